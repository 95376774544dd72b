"""``steps=`` on in-memory arrays and the global step cap, as Keras reads them: ``evaluate``
and ``predict`` use the first ``steps`` batches, ``fit``'s ``validation_steps`` the first
batches of the validation data, and ``keras.config.set_max_steps_per_epoch`` caps all
three (with Keras's warning). Before, kerax silently used every row."""

from __future__ import annotations

import os

import numpy as np
import pytest

import kerax

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

X = np.arange(100, dtype="float32").reshape(100, 1) / 10
Y = X * 2 + 1


def _model(lib):
    inputs = lib.layers.Input((1,))
    dense = lib.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    model = lib.Model(inputs, dense(inputs))
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _first(rows: int) -> float:
    return float(np.mean((X[:rows] - Y[:rows]) ** 2))


@pytest.fixture
def cap():
    def set_cap(n):
        kerax.config.set_max_steps_per_epoch(n)
        keras.config.set_max_steps_per_epoch(n)

    yield set_cap
    set_cap(None)


def test_evaluate_and_predict_use_the_first_steps_batches():
    for lib in (kerax, keras):
        model = _model(lib)
        loss, _ = model.evaluate(X, Y, batch_size=10, steps=2, verbose=0)
        np.testing.assert_allclose(loss, _first(20), rtol=1e-6)
        out = model.predict(X, batch_size=10, steps=3, verbose=0)
        np.testing.assert_array_equal(out, X[:30])
    # More steps than the data holds: every row, once.
    loss, _ = _model(kerax).evaluate(X, Y, batch_size=30, steps=9, verbose=0)
    np.testing.assert_allclose(loss, _first(100), rtol=1e-6)


def test_validation_steps_on_arrays_match_keras():
    logs = {}
    for lib in (kerax, keras):
        model = _model(lib)
        history = model.fit(
            X,
            Y,
            batch_size=10,
            epochs=1,
            shuffle=False,
            validation_data=(X, Y),
            validation_steps=2,
            validation_batch_size=10,
            verbose=0,
        )
        logs[lib.__name__] = history.history["val_loss"][0]
    np.testing.assert_allclose(logs["kerax"], logs["keras"], rtol=1e-6)


def test_the_global_cap_limits_evaluate_predict_and_validation(cap):
    cap(2)
    for lib in (kerax, keras):
        model = _model(lib)
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
            loss, _ = model.evaluate(X, Y, batch_size=10, verbose=0)
        np.testing.assert_allclose(loss, _first(20), rtol=1e-6)
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
            assert model.predict(X, batch_size=10, verbose=0).shape == (20, 1)
    # steps below the cap stay as given
    assert _model(kerax).predict(X, batch_size=10, steps=1, verbose=0).shape == (10, 1)


def test_keras_default_steps_honour_steps_on_arrays():
    # A loss that reduces the batch itself runs through Keras's default steps.
    model = _model(kerax)
    model.compile("sgd", lambda y, p: kerax.ops.mean((y - p) ** 2))
    assert kerax.training.keras_loop.uses_keras_steps(model, "evaluate")
    loss = model.evaluate(X, Y, batch_size=10, steps=2, verbose=0)
    np.testing.assert_allclose(loss, _first(20), rtol=1e-6)
