"""``steps=`` on in-memory arrays and the global step cap, as Keras reads them: ``evaluate``
and ``predict`` use the first ``steps`` batches, ``fit``'s ``validation_steps`` the first
batches of the validation data, and ``keras.config.set_max_steps_per_epoch`` caps all
three (with Keras's warning); ``fit``'s ``steps_per_epoch`` on arrays takes consecutive
batches of a pass over the data, epoch after epoch, as Keras's epoch iterator does.
Before, kerax silently used every row."""

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


class _Batches(kerax.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epochs = [*getattr(self, "epochs", []), 0]

    def on_train_batch_end(self, batch, logs=None):
        self.epochs[-1] += 1


@pytest.mark.parametrize("reduces", [False, True], ids=["kerax_step", "keras_default_step"])
@pytest.mark.parametrize("steps", [3, 5, 12])
def test_steps_per_epoch_on_arrays_continues_through_the_data_as_keras(steps, reduces):
    # 10 batches per pass: the epochs take consecutive batches; an epoch that reaches
    # the end of the data ends there (short, with Keras's warning) and the next starts
    # a new pass. kerax used to run every batch in every epoch, ignoring the argument.
    weights, losses = {}, {}
    counted = _Batches()
    for lib in (kerax, keras):
        model = _model(lib)
        # A loss that reduces the batch itself runs through Keras's default steps.
        loss = (lambda y, p, ops=lib.ops: ops.mean((y - p) ** 2)) if reduces else "mse"
        model.compile(lib.optimizers.SGD(0.1), loss)
        if lib is kerax:
            assert kerax.training.keras_loop.uses_keras_steps(model, "fit") == reduces
        history = model.fit(
            X / 10,
            Y / 10,
            batch_size=10,
            epochs=5,
            shuffle=False,
            steps_per_epoch=steps,
            verbose=0,
            callbacks=[counted] if lib is kerax else None,
        )
        weights[lib.__name__] = model.get_weights()
        losses[lib.__name__] = history.history["loss"]
    expected = {3: [3, 3, 3, 1, 3], 5: [5] * 5, 12: [10] * 5}[steps]
    assert counted.epochs == expected
    for a, b in zip(weights["kerax"], weights["keras"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(losses["kerax"], losses["keras"], rtol=1e-5)


def test_the_schedule_and_its_warning():
    from kerax.training.fit_loop import epoch_schedule

    assert [epoch_schedule(e, 3, 10) for e in range(5)] == [
        (0, 0, 3),
        (0, 3, 3),
        (0, 6, 3),
        (0, 9, 1),
        (1, 0, 3),
    ]
    assert [epoch_schedule(e, 10, 10) for e in range(3)] == [(0, 0, 10), (1, 0, 10), (2, 0, 10)]
    # From initial_epoch 2: the first batch, and passes numbered from 2 (their seeds).
    assert [epoch_schedule(e, 3, 10, 2) for e in (2, 5, 6)] == [(2, 0, 3), (2, 9, 1), (3, 0, 3)]
    model = _model(kerax)
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(X, Y, batch_size=10, epochs=1, steps_per_epoch=12, verbose=0)


def test_the_global_cap_continues_through_the_data_as_keras(cap):
    cap(2)
    weights = {}
    for lib in (kerax, keras):
        model = _model(lib)
        model.compile(lib.optimizers.SGD(0.1), "mse")
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
            model.fit(X / 10, Y / 10, batch_size=10, epochs=3, shuffle=False, verbose=0)
        weights[lib.__name__] = model.get_weights()
    for a, b in zip(weights["kerax"], weights["keras"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_fit_from_initial_epoch_starts_at_the_first_batch_as_keras():
    weights = {}
    for lib in (kerax, keras):
        model = _model(lib)
        model.compile(lib.optimizers.SGD(0.1), "mse")
        fit = dict(batch_size=10, shuffle=False, steps_per_epoch=3, verbose=0)
        model.fit(X / 10, Y / 10, epochs=5, initial_epoch=2, **fit)
        weights[lib.__name__] = model.get_weights()
    for a, b in zip(weights["kerax"], weights["keras"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
