"""``fit`` through a model's own ``train_step``: the fused epoch (full batches in one
compiled loop, data resident on the device) trains exactly as one step per call does
(a batch callback forces that path) and as host batches from a generator do.

Agreement with real Keras on the default (fused) path is tested in test_keras_steps.py.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kerax
from kerax.training import keras_epochs

RNG = np.random.default_rng(3)
X = RNG.random((22, 5)).astype("float32")  # batch 8: two full batches and one of 6
Y = RNG.random((22, 1)).astype("float32")


class Noisy(kerax.Model):
    """Dropout in the forward pass and a SeedGenerator draw in the step: every step's
    key must be the same on every path."""

    def __init__(self):
        super().__init__()
        self.hidden = kerax.layers.Dense(6, activation="relu")
        self.drop = kerax.layers.Dropout(0.3)
        self.out = kerax.layers.Dense(1)
        self.seed = kerax.random.SeedGenerator(7)
        self.tracker = kerax.metrics.Mean(name="loss")
        self.mae = kerax.metrics.MeanAbsoluteError(name="mae")

    @property
    def metrics(self):
        return [self.tracker, self.mae]

    def call(self, x, training=None):
        return self.out(self.drop(self.hidden(x), training=training))

    def train_step(self, state, data):
        trainable, non_trainable, opt_vars, metric_vars = state
        x, y = data
        x = x + 0.01 * kerax.random.normal(kerax.ops.shape(x), seed=self.seed)

        def loss_fn(values):
            y_pred, nt = self.stateless_call(values, non_trainable, x, training=True)
            return kerax.ops.mean((y - y_pred) ** 2), (y_pred, nt)

        (loss, (y_pred, non_trainable)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            trainable
        )
        trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
        n = len(self.tracker.variables)
        lv = self.tracker.stateless_update_state(metric_vars[:n], loss)
        mv = self.mae.stateless_update_state(metric_vars[n:], y, y_pred)
        logs = {"loss": self.tracker.stateless_result(lv), "mae": self.mae.stateless_result(mv)}
        return logs, (trainable, non_trainable, opt_vars, lv + mv)


class BatchWatcher(kerax.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append((batch, logs["loss"]))


@pytest.fixture(scope="module")
def initial_weights():
    model = Noisy()
    model(X[:1])
    return model.get_weights()


def _fit(weights, data, **kwargs):
    kerax.utils.set_random_seed(11)
    model = Noisy()
    model(X[:1])
    model.set_weights(weights)
    model.compile(optimizer=kerax.optimizers.Adam(0.01))
    history = model.fit(*data, batch_size=8, epochs=2, verbose=0, **kwargs)
    return model, history.history


def _assert_same(a, b, steps):
    (ma, ha), (mb, hb) = a, b
    assert list(ha) == list(hb) == ["loss", "mae"]
    for name in ha:
        np.testing.assert_allclose(ha[name], hb[name], rtol=1e-6, atol=1e-7)
    for wa, wb in zip(ma.get_weights(), mb.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    assert int(ma.optimizer.iterations) == int(mb.optimizer.iterations) == steps


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts the fused-epoch calls that ran."""
    calls = []
    real = keras_epochs.StepPrograms.steps

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        calls.append(args[5])  # the number of steps fused
        return out

    monkeypatch.setattr(keras_epochs.StepPrograms, "steps", spy)
    return calls


@pytest.mark.parametrize("steps_per_epoch", [None, 2])
def test_fused_epochs_train_as_one_step_per_call(initial_weights, fused_calls, steps_per_epoch):
    kwargs = {"shuffle": True, "steps_per_epoch": steps_per_epoch}
    fused = _fit(initial_weights, (X, Y), **kwargs)
    # Two full batches in one call each epoch; with steps_per_epoch=2, as in Keras, the
    # second epoch continues the pass: its short last batch alone, one step.
    expected_calls = [2, 2] if steps_per_epoch is None else [2]
    assert fused_calls == expected_calls
    watcher = BatchWatcher()
    one_by_one = _fit(initial_weights, (X, Y), callbacks=[watcher], **kwargs)
    assert fused_calls == expected_calls  # a callback reading each batch's logs: one by one
    batches = [0, 1, 2, 0, 1, 2] if steps_per_epoch is None else [0, 1, 0]
    assert [b for b, _ in watcher.seen] == batches
    _assert_same(fused, one_by_one, len(batches))
    assert fused[1]["loss"][-1] == pytest.approx(watcher.seen[-1][1], rel=1e-6)


def test_fused_epochs_train_as_host_batches_from_a_generator(initial_weights, fused_calls):
    fused = _fit(initial_weights, (X, Y), shuffle=False)
    assert fused_calls == [2, 2]

    def batches():
        while True:
            for i in range(0, len(X), 8):
                yield X[i : i + 8], Y[i : i + 8]

    host = _fit(initial_weights, (batches(),), steps_per_epoch=3)
    assert fused_calls == [2, 2]
    _assert_same(fused, host, 6)


class BatchCounter(kerax.callbacks.Callback):
    """Observes batches without reading their logs: fit may run several steps per call."""

    def __init__(self):
        super().__init__()
        self.begun, self.ended = [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.begun.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ended.append(batch)


def _fit_compiled(weights, steps_per_execution, **kwargs):
    kerax.utils.set_random_seed(11)
    model = Noisy()
    model(X[:1])
    model.set_weights(weights)
    model.compile(optimizer=kerax.optimizers.Adam(0.01), steps_per_execution=steps_per_execution)
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, **kwargs)
    return model, history.history


def test_steps_per_execution_runs_that_many_steps_per_call(initial_weights, fused_calls):
    # 22 rows in batches of 4: five full batches and one of 2 per epoch.
    counter = BatchCounter()
    chunked = _fit_compiled(initial_weights, 2, callbacks=[counter], verbose=0)
    assert fused_calls == [2, 2, 1] * 2  # the short batch is its own call
    assert counter.begun == counter.ended == list(range(6)) * 2
    one_by_one = _fit_compiled(initial_weights, 1, callbacks=[BatchWatcher()], verbose=0)
    assert fused_calls == [2, 2, 1] * 2
    _assert_same(chunked, one_by_one, 12)


def test_a_live_progress_bar_runs_chunks_and_shows_the_last_logs(
    initial_weights, fused_calls, capsys
):
    bar = _fit_compiled(initial_weights, 1, verbose=1)
    assert sum(fused_calls) == 10  # every full batch ran inside a compiled loop
    out = capsys.readouterr().out
    assert "6/6" in out and "loss:" in out
    quiet = _fit_compiled(initial_weights, 1, verbose=0)
    _assert_same(bar, quiet, 12)


class LogObserver(BatchWatcher):
    """Reads each batch's logs and declares it only observes: fit may fuse steps."""

    async_safe = True


def test_observers_reading_logs_get_each_steps_logs_from_fused_calls(initial_weights, fused_calls):
    observer = LogObserver()
    fused = _fit(initial_weights, (X, Y), shuffle=False, callbacks=[observer])
    assert sum(fused_calls) == 4  # the full batches ran in compiled loops
    watcher = BatchWatcher()
    one_by_one = _fit(initial_weights, (X, Y), shuffle=False, callbacks=[watcher])
    assert sum(fused_calls) == 4  # a reader that may act: one step per call
    assert [b for b, _ in observer.seen] == [b for b, _ in watcher.seen] == [0, 1, 2] * 2
    np.testing.assert_allclose(
        [v for _, v in observer.seen], [v for _, v in watcher.seen], rtol=1e-6
    )
    _assert_same(fused, one_by_one, 6)
