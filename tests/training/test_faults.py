"""Fault injection: what the model holds after something goes wrong during training.

The reference is real Keras 3 (JAX backend): the same tiny model (Dense(3, relu) ->
Dense(2) on (4,) inputs, SGD(0.1), mse), the same initial weights, trained on the first
``n`` batches of the same rows without shuffling. After a failure at step ``k`` the
kerax model must hold exactly the weights Keras reaches after the steps that completed,
and stay usable.
"""

from __future__ import annotations

import functools
import os

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerax
from kerax.callbacks import CallbackList
from kerax.training.fit_loop import watch_mode

TOL = {"rtol": 1e-5, "atol": 1e-6}
BATCH, STEPS = 2, 12
_rng = np.random.default_rng(0)
X = _rng.normal(size=(BATCH * STEPS, 4)).astype("float32")
Y = _rng.normal(size=(BATCH * STEPS, 2)).astype("float32")


class Boom(Exception):
    """The injected error."""


def _build(lib, *extra):
    inputs = lib.Input(shape=(4,))
    x = lib.layers.Dense(3, activation="relu")(inputs)
    for layer in extra:
        x = layer(x)
    model = lib.Model(inputs, lib.layers.Dense(2)(x))
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


@functools.cache
def _initial() -> tuple[np.ndarray, ...]:
    keras.utils.set_random_seed(0)
    return tuple(_build(keras).get_weights())


@functools.cache
def _keras_after(steps: int) -> tuple[np.ndarray, ...]:
    """Keras's weights after ``steps`` SGD steps on the first batches."""
    model = _build(keras)
    model.set_weights(list(_initial()))
    if steps:
        rows = slice(0, steps * BATCH)
        model.fit(X[rows], Y[rows], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return tuple(model.get_weights())


def _model(*extra):
    model = _build(kerax, *extra)
    model.set_weights(list(_initial()))
    return model


def _assert_weights(model, expected):
    got = model.get_weights()  # raises if an array was deleted
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, **TOL)


def _fit(model, callbacks=(), x=X, y=Y):
    return model.fit(
        x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=list(callbacks)
    )


# ---------------------------------------------------------------- callbacks that raise
class _Observer(kerax.callbacks.Callback):
    """Raises at one batch; reads neither its logs nor the model (an observer)."""

    def __init__(self, at, hook, error):
        super().__init__()
        self.at, self.hook, self.error = at, hook, error

    def on_train_batch_begin(self, batch, logs=None):
        if self.hook == "begin" and batch == self.at:
            raise self.error("injected")

    def on_train_batch_end(self, batch, logs=None):
        if self.hook == "end" and batch == self.at:
            raise self.error("injected")


class _Reader(kerax.callbacks.Callback):
    """Reads its logs (one step per call), raises at one batch."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.at and logs["loss"] >= 0:
            raise Boom("injected")


@pytest.mark.parametrize(
    ("hook", "error", "at", "done"),
    [("end", Boom, 6, 7), ("begin", Boom, 6, 6), ("end", KeyboardInterrupt, 4, 5)],
)
def test_observer_hook_raising_stops_at_its_step(hook, error, at, done):
    cb = _Observer(at, hook, error)
    model = _model()
    assert watch_mode(CallbackList([cb], model=model)) == "observed"
    with pytest.raises(error):
        _fit(model, [cb])
    _assert_weights(model, _keras_after(done))


def test_synced_hook_raising_stops_at_its_step():
    cb = _Reader(at=5)
    model = _model()
    assert watch_mode(CallbackList([cb], model=model)) == "synced"
    with pytest.raises(Boom):
        _fit(model, [cb])
    _assert_weights(model, _keras_after(6))


# ---------------------------------------------------------------- failures inside a step
class _Tap(kerax.layers.Layer):
    """Passes its input through and calls the host once per step: ``jax.debug.callback``,
    or ``jax.pure_callback`` whose result enters the output; raises at call ``fail_at``."""

    def __init__(self, pure=False, **kwargs):
        super().__init__(**kwargs)
        self.pure, self.calls, self.fail_at = pure, 0, None

    def _host(self, *args):
        self.calls += 1
        if self.calls == self.fail_at:
            raise Boom(f"host callback failed at call {self.calls}")
        return np.zeros((), np.float32)

    def call(self, x):
        if self.pure:
            zero = jax.pure_callback(self._host, jax.ShapeDtypeStruct((), jnp.float32))
            return x + zero
        jax.debug.callback(self._host)
        return x


@pytest.mark.parametrize("pure", [False, True])
def test_train_on_batch_failing_inside_the_step_keeps_the_last_step(pure):
    tap = _Tap(pure=pure)
    model = _model(tap)
    tap.fail_at = 4
    for i in range(3):
        model.train_on_batch(X[i * BATCH : (i + 1) * BATCH], Y[i * BATCH : (i + 1) * BATCH])
    with pytest.raises(Exception, match="host callback failed"):
        model.train_on_batch(X[3 * BATCH : 4 * BATCH], Y[3 * BATCH : 4 * BATCH])
    _assert_weights(model, _keras_after(3))
    model.predict(X, verbose=0)  # usable, and training continues from there
    model.train_on_batch(X[3 * BATCH : 4 * BATCH], Y[3 * BATCH : 4 * BATCH])
    _assert_weights(model, _keras_after(4))
    if pure:
        return
    for call in (model.predict, model.evaluate, model.test_on_batch, model.predict_on_batch):
        tap.fail_at = tap.calls + 1
        with pytest.raises(Exception, match="host callback failed"):
            call(X, Y) if call in (model.evaluate, model.test_on_batch) else call(X)
        _assert_weights(model, _keras_after(4))


def test_fit_failing_inside_a_compiled_epoch_keeps_the_weights_before_it():
    """A whole epoch runs in one call: it completes or leaves the state it started from."""
    tap = _Tap()
    model = _model(tap)
    tap.fail_at = tap.calls + 5
    with pytest.raises(Exception, match="host callback failed"):
        _fit(model)
    _assert_weights(model, _initial())
    _fit(model)
    _assert_weights(model, _keras_after(STEPS))


# ---------------------------------------------------------------- TerminateOnNaN
def test_terminate_on_nan_keeps_the_last_finite_weights():
    y = Y.copy()
    y[4 * BATCH] = np.nan  # the loss of step 4 is NaN
    model = _model()
    with pytest.raises(RuntimeError, match="batch 4"):
        _fit(model, [kerax.callbacks.TerminateOnNaN(raise_error=True)], y=y)
    _assert_weights(model, _keras_after(4))
    model = _model()
    history = _fit(model, [kerax.callbacks.TerminateOnNaN()], y=y)
    assert np.isnan(history.history["loss"][-1])
    _assert_weights(model, _keras_after(4))


def test_terminate_on_nan_undoes_a_finite_loss_step_with_nan_gradients():
    """Step 3's loss is finite but its gradient is NaN (0 * inf), so the weights after
    it are NaN and step 4's loss is NaN: both steps are undone."""

    def loss(y_true, y_pred):
        marked = y_true[:, :1] == 7.0
        q = jnp.where(marked, 0.0 * y_pred[:, :1], 1.0)
        trap = jnp.sqrt(jnp.square(q))  # d/dq is 0/0 where q is 0
        return jnp.mean(jnp.square(y_true - y_pred), axis=-1) + 0.0 * trap[:, 0]

    y = Y.copy()
    y[3 * BATCH, 0] = 7.0
    model = _model()
    model.compile(optimizer=kerax.optimizers.SGD(learning_rate=0.1), loss=loss)
    history = _fit(model, [kerax.callbacks.TerminateOnNaN()], y=y)
    assert np.isnan(history.history["loss"][-1])
    _assert_weights(model, _keras_after(3))


# ---------------------------------------------------------------- BackupAndRestore
class _CrashAtEpochEnd(kerax.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("simulated crash")


def _dropout_model():
    inputs = kerax.Input(shape=(4,))
    x = kerax.layers.Dropout(0.3)(kerax.layers.Dense(8, activation="relu")(inputs))
    model = kerax.Model(inputs, kerax.layers.Dense(2)(x))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def test_backup_and_restore_resumes_into_a_rebuilt_model_in_the_same_process(tmp_path):
    backup = str(tmp_path / "backup")
    fit = {"batch_size": 4, "epochs": 4, "verbose": 0}
    kerax.set_random_seed(7)
    straight = _dropout_model()
    straight.fit(X, Y, **fit)

    kerax.backend.clear_session()
    kerax.set_random_seed(7)  # the same model, the same draws
    first = _dropout_model()
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            X, Y, **fit, callbacks=[kerax.callbacks.BackupAndRestore(backup), _CrashAtEpochEnd()]
        )

    kerax.set_random_seed(99)  # re-running the cell: new layer names, nothing else kept
    rebuilt = _dropout_model()
    assert {la.name for la in rebuilt.layers}.isdisjoint(la.name for la in first.layers[1:])
    history = rebuilt.fit(X, Y, **fit, callbacks=[kerax.callbacks.BackupAndRestore(backup)])
    assert history.epoch == [2, 3]
    for a, b in zip(straight.get_weights(), rebuilt.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not os.path.exists(backup)


def test_backup_and_restore_names_a_different_architecture(tmp_path):
    backup = str(tmp_path / "backup")
    first = _dropout_model()
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            X,
            Y,
            epochs=3,
            verbose=0,
            callbacks=[kerax.callbacks.BackupAndRestore(backup), _CrashAtEpochEnd()],
        )
    inputs = kerax.Input(shape=(4,))
    other = kerax.Model(inputs, kerax.layers.Dense(2)(kerax.layers.Dense(5)(inputs)))
    other.compile(optimizer="adam", loss="mse", metrics=["mae"])
    kept = other.get_weights()
    with pytest.raises(
        ValueError, match=r"different architecture.*kernel \(4, 8\).*kernel \(4, 5\)"
    ):
        other.fit(X, Y, epochs=3, verbose=0, callbacks=[kerax.callbacks.BackupAndRestore(backup)])
    for a, b in zip(kept, other.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- non-trainable-only layers
def _frozen_scale(lib):
    class FrozenScale(lib.layers.Layer):
        """Multiplies by a non-trainable per-feature scale (its only weight)."""

        def build(self, input_shape):
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[-1],), initializer="ones", trainable=False
            )

        def call(self, x):
            return x * self.scale

    return FrozenScale()


@pytest.mark.parametrize("kind", ["batchnorm", "custom"])
def test_layers_with_only_non_trainable_weights_train_as_in_keras(kind):
    def extra(lib):
        if kind == "custom":
            return _frozen_scale(lib)
        return lib.layers.BatchNormalization(center=False, scale=False)

    keras.utils.set_random_seed(1)
    reference = _build(keras, extra(keras))
    weights = reference.get_weights()
    if kind == "custom":
        weights[2] = np.array([0.5, 2.0, -1.0], np.float32)
    reference.set_weights(weights)
    on_batch, fitted = _build(kerax, extra(kerax)), _build(kerax, extra(kerax))
    on_batch.set_weights(weights)
    fitted.set_weights(weights)
    rows = slice(0, 4 * BATCH)
    for i in range(2):
        batch = slice(2 * i * BATCH, 2 * (i + 1) * BATCH)
        on_batch.train_on_batch(X[batch], Y[batch])
    fitted.fit(X[rows], Y[rows], batch_size=2 * BATCH, shuffle=False, verbose=0)
    reference.fit(X[rows], Y[rows], batch_size=2 * BATCH, shuffle=False, verbose=0)
    expected = reference.get_weights()
    _assert_weights(on_batch, expected)
    _assert_weights(fitted, expected)
