""".keras files both ways with the real keras, for three kinds of model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


def headline(lib):
    main = lib.Input(shape=(12,), dtype="int32", name="main_input")
    x = lib.layers.Embedding(output_dim=8, input_dim=50)(main)
    lstm = lib.layers.LSTM(4)(x)
    aux_out = lib.layers.Dense(1, activation="sigmoid", name="aux_output")(lstm)
    aux_in = lib.Input(shape=(5,), name="aux_input")
    h = lib.layers.concatenate([lstm, aux_in])
    h = lib.layers.Dense(6, activation="relu")(h)
    out = lib.layers.Dense(1, activation="sigmoid", name="main_output")(h)
    return lib.Model([main, aux_in], [out, aux_out])


def convnet(lib):
    return lib.Sequential(
        [
            lib.Input(shape=(10, 10, 1)),
            lib.layers.Conv2D(4, (3, 3), activation="relu"),
            lib.layers.BatchNormalization(),
            lib.layers.MaxPooling2D((2, 2)),
            lib.layers.Dropout(0.25),
            lib.layers.Flatten(),
            lib.layers.Dense(3, activation="softmax"),
        ]
    )


def nested_shared(lib):
    x = lib.Input(shape=(4,))
    encoder = lib.Model(x, lib.layers.Dense(3, activation="tanh")(x), name="encoder")
    a, b = lib.Input(shape=(4,)), lib.Input(shape=(4,))
    shared = lib.layers.Dense(2)
    merged = lib.layers.concatenate([shared(encoder(a)), shared(encoder(b))])
    return lib.Model([a, b], lib.layers.Dense(1)(merged))


def _data(name):
    rng = np.random.default_rng(0)
    if name == "headline":
        return [
            rng.integers(1, 50, size=(3, 12)).astype("int32"),
            rng.normal(size=(3, 5)).astype("float32"),
        ]
    if name == "convnet":
        return rng.normal(size=(3, 10, 10, 1)).astype("float32")
    return [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 4)).astype("float32")]


def _close(a, b):
    for x, y in zip(
        np.atleast_1d(a) if not isinstance(a, list) else a,
        np.atleast_1d(b) if not isinstance(b, list) else b,
    ):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", [headline, convnet, nested_shared], ids=lambda f: f.__name__)
def test_keras_file_loads_in_kerax(build, tmp_path):
    theirs = build(keras)
    theirs.set_weights([w + 0.01 for w in theirs.get_weights()])
    path = str(tmp_path / "k.keras")
    theirs.save(path)
    ours = kerax.models.load_model(path)
    data = _data(build.__name__)
    _close(ours.predict(data, verbose=0), theirs.predict(data, verbose=0))


@pytest.mark.parametrize("build", [headline, convnet, nested_shared], ids=lambda f: f.__name__)
def test_kerax_file_loads_in_keras(build, tmp_path):
    ours = build(kerax)
    path = str(tmp_path / "x.keras")
    ours.save(path)
    theirs = keras.models.load_model(path)
    data = _data(build.__name__)
    _close(theirs.predict(data, verbose=0), ours.predict(data, verbose=0))
