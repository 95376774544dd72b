"""Which callbacks keep fit's many-steps runner, and what observers receive."""

from __future__ import annotations

import time

import numpy as np
import pytest

import kerax
from kerax.callbacks import Callback, LambdaCallback, TerminateOnNaN
from kerax.callbacks._observe import touches_model, uses_logs
from kerax.layers import Dense, Input


class Timer(Callback):
    def __init__(self):
        super().__init__()
        self.batches = []

    def on_train_batch_begin(self, batch, logs=None):
        self.batches.append((batch, time.perf_counter()))


class LossReader(Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append((batch, logs["loss"]))


class DeclaredReader(LossReader):
    async_safe = True


class Stopper(Callback):
    def on_batch_end(self, batch, logs=None):
        if batch == 1:
            self.model.stop_training = True


class NestedReader(Callback):
    def on_train_batch_end(self, batch, logs=None):
        def later():
            return logs

        self.later = later


def test_hook_inspection():
    assert not uses_logs(Timer().on_train_batch_begin)
    assert not touches_model(Timer().on_train_batch_begin)
    assert uses_logs(LossReader().on_train_batch_end)
    assert touches_model(Stopper().on_batch_end)
    assert uses_logs(NestedReader().on_train_batch_end)  # captured by an inner function
    assert uses_logs(lambda batch, logs: print(logs))
    assert not uses_logs(lambda batch, logs: None)
    assert uses_logs(lambda *args: None)  # cannot tell: assume it reads
    assert uses_logs(print)  # no code to read


@pytest.mark.parametrize(
    "callback, observes",
    [
        (Timer(), True),
        (LossReader(), False),
        (DeclaredReader(), True),
        (Stopper(), False),
        (TerminateOnNaN(), False),
        (LambdaCallback(on_batch_begin=lambda batch, logs: None), True),
        (LambdaCallback(on_batch_end=lambda batch, logs: print(logs["loss"])), False),
    ],
)
def test_which_callbacks_observe(callback, observes):
    assert callback.observes_batches() is observes


def _model():
    kerax.set_random_seed(1)
    x = Input(shape=(3,))
    model = kerax.Model(x, Dense(2)(Dense(4, activation="relu")(x)))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 3)).astype(np.float32), rng.normal(size=(20, 2)).astype(np.float32)


class _Counted:
    """A train program that records the step count of each call."""

    def __init__(self, program, calls):
        self.program, self.calls = program, calls

    def __call__(self, ts, data, order, start, count, reset):
        self.calls.append(int(count))
        return self.program(ts, data, order, start, count, reset)

    def flat(self, leaves, treedef, key, data, order, start, count, reset):
        self.calls.append(int(count))
        return self.program.flat(leaves, treedef, key, data, order, start, count, reset)


def _fit_counting_calls(callback):
    """Fits 2 epochs of 5 batches; returns the weights and the steps run by each call."""
    model = _model()
    calls = []
    programs = model._programs()
    for name in ("train_runner", "train_logged_runner"):
        real = getattr(programs, name)

        def spy(*static, _real=real):
            return _Counted(_real(*static), calls)

        setattr(programs, name, spy)
    x, y = _data()
    history = model.fit(
        x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[callback]
    )
    return model.get_weights(), history.history, calls


def test_observers_keep_the_many_steps_runner_and_see_every_batch_in_order():
    timer = Timer()
    w_obs, hist_obs, calls = _fit_counting_calls(timer)
    assert sum(calls) == 10 and len(calls) < 10  # several steps per call
    assert [b for b, _ in timer.batches] == [0, 1, 2, 3, 4] * 2
    w_ref, hist_ref, ref_calls = _fit_counting_calls(LossReader())
    assert ref_calls == [1] * 10  # a logs reader: one step per call
    for a, b in zip(w_obs, w_ref):
        np.testing.assert_array_equal(a, b)
    assert hist_obs == hist_ref


def test_declared_observers_get_each_steps_logs():
    """async_safe=True: chunks of steps, and each batch's logs equal the one-step ones."""
    declared, reader = DeclaredReader(), LossReader()
    _, _, calls = _fit_counting_calls(declared)
    assert sum(calls) == 10 and len(calls) < 10
    _fit_counting_calls(reader)
    assert [b for b, _ in declared.losses] == [b for b, _ in reader.losses]
    np.testing.assert_allclose(
        [v for _, v in declared.losses], [v for _, v in reader.losses], rtol=1e-6
    )


def test_a_synchronous_callback_stops_training_at_the_next_batch():
    w, hist, calls = _fit_counting_calls(Stopper())
    assert calls == [1, 1]  # batches 0 and 1, then stop


def test_async_safe_false_forces_one_step_per_call():
    class Forced(Timer):
        async_safe = False

    _, _, calls = _fit_counting_calls(Forced())
    assert calls == [1] * 10


def test_logs_are_read_only_when_looked_at():
    from kerax.training.logs import LazyLogs

    seen = []

    class Keeper(Callback):
        async_safe = False

        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs)

    _fit_counting_calls(Keeper())
    assert all(isinstance(logs, LazyLogs) for logs in seen)
    assert all(dict.__len__(logs) == 0 for logs in seen)  # nothing fetched yet
    assert set(seen[0]) == {"loss", "mae"} and isinstance(seen[0]["loss"], float)


def test_a_synchronous_callback_reads_and_writes_the_live_weights():
    """One step per call with the state passed as flat leaves: a hook that reads the
    weights sees each step's, and a weight it sets is what the next step starts from."""
    seen = []

    class Watcher(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                kernel = self.model.layers[1].kernel
                kernel.assign(np.zeros(kernel.shape, np.float32))
            seen.append(self.model.get_weights()[0].copy())

    model = _model()
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[Watcher()])
    assert len(seen) == 5
    assert all(not np.array_equal(a, b) for a, b in zip(seen, seen[1:]))
    np.testing.assert_array_equal(seen[2], 0.0)  # read back right after the write
    assert np.abs(seen[3]).max() < 0.5  # the next step started from zeros
    np.testing.assert_array_equal(model.get_weights()[0], seen[-1])
