"""model.save(".keras") / kerax.models.load_model round trips."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import kerax
from kerax.layers import BatchNormalization, Dense, Input, concatenate


def _model():
    a, b = Input(shape=(4,), name="a"), Input(shape=(2,), name="b")
    h = BatchNormalization()(Dense(3, activation="relu")(a))
    out = Dense(1, activation="sigmoid", name="out")(concatenate([h, b]))
    model = kerax.Model([a, b], out, name="saved")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_round_trip_predicts_the_same_and_stays_compiled(tmp_path):
    model = _model()
    data = [
        np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32),
        np.ones((6, 2), np.float32),
    ]
    model.fit(data, np.ones((6, 1), np.float32), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(str(path))
    assert set(zipfile.ZipFile(path).namelist()) == {
        "config.json",
        "metadata.json",
        "model.weights.h5",
    }
    loaded = kerax.models.load_model(str(path))
    assert loaded.name == "saved" and loaded.compiled
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6
    )
    loaded.fit(data, np.ones((6, 1), np.float32), epochs=1, verbose=0)


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"bad\.keras.*not a \.keras zip archive"):
        kerax.models.load_model(str(bad))
    partial = tmp_path / "partial.keras"
    with zipfile.ZipFile(partial, "w") as zf:
        zf.writestr("config.json", "{}")
    with pytest.raises(ValueError, match=r"lacks \['model\.weights\.h5'\]"):
        kerax.models.load_model(str(partial))
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        _model().save(str(tmp_path / "m.h5"))


def test_training_resumes_with_the_saved_optimizer_state(tmp_path):
    data = [
        np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32),
        np.ones((8, 2), np.float32),
    ]
    target = np.ones((8, 1), np.float32)
    model = _model()
    model.fit(data, target, epochs=2, batch_size=4, shuffle=False, verbose=0)
    path = str(tmp_path / "resume.keras")
    model.save(path)
    loaded = kerax.models.load_model(path)
    model.fit(data, target, epochs=1, batch_size=4, shuffle=False, verbose=0)
    loaded.fit(data, target, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
