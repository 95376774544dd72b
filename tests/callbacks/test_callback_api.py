"""kerax.callbacks has Keras 3's classes, constructor arguments and public methods."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import kerax
from kerax.callbacks import Callback, CallbackList, History, ProgbarLogger, TerminateOnNaN

keras = pytest.importorskip("keras")

#: Keras callbacks kerax does not have, and why.
NOT_PROVIDED = {
    "OrbaxCheckpoint": "Orbax is not a dependency; ModelCheckpoint('*.ckpt') covers it",
    "RemoteMonitor": "posts to an HTTP server",
}


def _keras_callback_classes():
    return [
        name
        for name in dir(keras.callbacks)
        if not name.startswith("_") and inspect.isclass(getattr(keras.callbacks, name))
    ]


def test_every_keras_callback_exists_with_keras_arguments_and_methods():
    for name in _keras_callback_classes():
        if name in NOT_PROVIDED:
            assert not hasattr(kerax.callbacks, name), f"{name} exists now: update NOT_PROVIDED"
            continue
        ours, theirs = getattr(kerax.callbacks, name), getattr(keras.callbacks, name)
        want = list(inspect.signature(theirs.__init__).parameters)
        got = list(inspect.signature(ours.__init__).parameters)
        if name == "LambdaCallback":  # takes every hook as a keyword
            hooks = {k: (lambda *a: None) for k in want if k not in ("self", "kwargs")}
            assert set(vars(ours(**hooks))) >= set(hooks), name
        else:
            assert got[: len(want)] == want, (name, got, want)
        methods = {m for m in dir(theirs) if not m.startswith("_") and m != "model"}
        missing = methods - set(dir(ours))
        assert not missing, (name, sorted(missing))


def test_callback_list_in_a_custom_loop_as_keras_writes_it():
    x = kerax.Input(shape=(2,))
    model = kerax.Model(x, kerax.layers.Dense(1)(x))
    seen = []

    class Recorder(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, dict(logs), self.params))

    cbs = CallbackList([Recorder()], add_history=True, add_progbar=False, model=model, epochs=2)
    assert isinstance(cbs.callbacks[-1], History)
    assert all(cb.model is model for cb in cbs.callbacks)
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    cbs.on_train_end()
    assert seen == [(0, {"loss": 1.0}, {"epochs": 2}), (1, {"loss": 0.5}, {"epochs": 2})]
    assert cbs.callbacks[-1].history == {"loss": [1.0, 0.5]}
    late = Recorder()
    cbs.append(late)
    assert late.model is model and late.params == {"epochs": 2}
    cbs.on_epoch_end(2, {"loss": 0.25})
    assert len(seen) == 4  # both recorders
    with_bar = CallbackList(add_progbar=True)
    assert isinstance(with_bar.callbacks[0], ProgbarLogger)


def test_monitor_helpers():
    stop = kerax.callbacks.EarlyStopping(monitor="val_loss")
    assert stop.get_monitor_value({"val_loss": 0.5}) == 0.5
    with pytest.warns(UserWarning, match="val_loss"):
        assert stop.get_monitor_value({"loss": 0.5}) is None
    reduce = kerax.callbacks.ReduceLROnPlateau(cooldown=2)
    assert not reduce.in_cooldown()
    reduce.cooldown_counter = 1
    assert reduce.in_cooldown()


def _nan_model():
    x = kerax.Input(shape=(1,))
    model = kerax.Model(x, kerax.layers.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_terminate_on_nan_stops_or_raises():
    x = np.array([[1.0], [np.nan], [1.0], [1.0]], np.float32)
    y = np.ones((4, 1), np.float32)
    model = _nan_model()
    ends = []
    end = kerax.callbacks.LambdaCallback(on_train_end=lambda logs: ends.append(logs))
    history = model.fit(x, y, batch_size=1, epochs=3, verbose=0, callbacks=[TerminateOnNaN(), end])
    assert len(history.epoch) == 1 and len(ends) == 1  # stopped gracefully in epoch 0
    model = _nan_model()
    ends.clear()
    with pytest.raises(RuntimeError, match="at batch 1"):
        model.fit(x, y, batch_size=1, epochs=3, verbose=0, callbacks=[TerminateOnNaN(True), end])
    assert ends == []  # raise_error skips on_train_end, as in Keras
