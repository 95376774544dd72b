"""The warm start of ``fit`` (large models, where a core is free for it): the first steps
run the one-step program while the epoch runner compiles on a background thread. The
numbers must be those of the epoch runner alone, bit for bit, whenever the switch
happens; a background compile that fails leaves the foreground to compile and raise."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

import kerax
from kerax import layers
from kerax.training import fit_loop
from kerax.training import programs as _programs

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 4)).astype("float32")
Y = RNG.normal(size=(48, 1)).astype("float32")


def _model() -> kerax.Model:
    kerax.utils.set_random_seed(1)
    inputs = layers.Input((4,))
    h = layers.Dense(8, activation="relu")(inputs)
    h = layers.LayerNormalization()(layers.Add()([h, layers.Dense(8)(h)]))
    model = kerax.Model(inputs, layers.Dense(1)(h))
    model.compile("adam", "mse", metrics=["mae"])
    return model


def _runner(model: kerax.Model):
    return model._programs().train_runner(8, True)


class _WaitAtEpoch(kerax.callbacks.Callback):
    """Holds epoch ``epoch`` until the background compiles are done, so that the fit
    runs both programs: one-step calls first, the epoch runner after."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            for future in _runner(self.model).background.values():
                future.result()


@pytest.fixture
def warm(monkeypatch):
    monkeypatch.setattr(fit_loop, "WARM_START", True)
    monkeypatch.setattr(fit_loop, "WARM_START_WEIGHTS", 0)


def _cold_fit(callbacks=()) -> tuple[dict, list[np.ndarray]]:
    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=list(callbacks))
    return history.history, model.get_weights()


def test_warm_start_runs_both_programs_and_gives_the_epoch_runners_numbers(monkeypatch):
    monkeypatch.setattr(fit_loop, "WARM_START", False)
    cold_history, cold_weights = _cold_fit()
    monkeypatch.setattr(fit_loop, "WARM_START", True)
    monkeypatch.setattr(fit_loop, "WARM_START_WEIGHTS", 0)
    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0, callbacks=[_WaitAtEpoch(1)])
    # The one-step program and the epoch runner were both traced, once each.
    assert model.train_step_traces == 2
    [future] = _runner(model).background.values()
    assert future.done() and future.exception() is None
    assert history.history == cold_history
    for a, b in zip(model.get_weights(), cold_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    # A later fit on data of the same shapes goes straight to the compiled runner.
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    assert model.train_step_traces == 2
    assert len(_runner(model).background) == 1


def test_a_fit_of_one_step_compiles_no_epoch_runner(warm):
    model = _model()
    model.fit(X[:8], Y[:8], batch_size=8, epochs=1, verbose=0)
    assert model.train_step_traces == 1
    assert _runner(model).background == {}


def test_a_failed_background_compile_leaves_the_foreground_to_compile(warm, monkeypatch):
    def failing(self, ts, *rest):
        future = concurrent.futures.Future()
        future.set_exception(RuntimeError("background compile failed"))
        return future

    monkeypatch.setattr(_programs._Keyless, "compile_in_background", failing)
    model = _model()
    history = model.fit(X, Y, batch_size=8, epochs=3, verbose=0)
    monkeypatch.setattr(fit_loop, "WARM_START", False)
    cold_history, cold_weights = _cold_fit()
    assert history.history == cold_history
    for a, b in zip(model.get_weights(), cold_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_warm_start_is_off_for_small_models_and_when_forced_off(monkeypatch):
    monkeypatch.setattr(fit_loop, "WARM_START", True)  # a free core, but a small model
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert model.train_step_traces == 1 and _runner(model).background == {}
    monkeypatch.setattr(fit_loop, "WARM_START_WEIGHTS", 0)
    monkeypatch.setattr(fit_loop, "WARM_START", False)
    assert not fit_loop.warm_start_pays()
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert model.train_step_traces == 1 and _runner(model).background == {}


def test_leaving_out_the_while_loop_passes_changes_no_number(monkeypatch):
    """The epoch runner compiles without two of XLA's while-loop passes on CPU
    (``programs.loop_compiler_options``); ``KERAX_LOOP_PASSES=`` keeps them."""
    assert _programs.loop_compiler_options() == {
        "xla_disable_hlo_passes": "simplify-while-loops,while-loop-invariant-code-motion"
    }
    history, weights = _cold_fit()
    monkeypatch.setenv("KERAX_LOOP_PASSES", "")
    assert _programs.loop_compiler_options() is None
    kept_history, kept_weights = _cold_fit()
    assert history == kept_history
    for a, b in zip(weights, kept_weights, strict=True):
        np.testing.assert_array_equal(a, b)


class _Observer(kerax.callbacks.Callback):
    """Reads every batch's logs without acting (an observer: per-step logs)."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])

    async_safe = True


@pytest.mark.parametrize("how", ["progress bar", "observer reading logs", "steps_per_execution"])
def test_warm_start_with_what_watches_the_steps(how, monkeypatch, capsys):
    def run(warm: bool):
        monkeypatch.setattr(fit_loop, "WARM_START", warm)
        monkeypatch.setattr(fit_loop, "WARM_START_WEIGHTS", 0)
        model = _model()
        if how == "steps_per_execution":
            model.compile("adam", "mse", metrics=["mae"], steps_per_execution=2)
        observer = _Observer()
        callbacks = [_WaitAtEpoch(1), observer] if how == "observer reading logs" else []
        verbose = 1 if how == "progress bar" else 0
        history = model.fit(X, Y, batch_size=8, epochs=3, verbose=verbose, callbacks=callbacks)
        return history.history, model.get_weights(), observer.losses, model.train_step_traces

    cold = run(False)
    warm = run(True)
    assert (cold[3], warm[3]) == (1, 2)  # the warm fit ran the one-step program too
    assert warm[0] == cold[0]
    assert warm[2] == cold[2]
    if how == "observer reading logs":
        assert len(warm[2]) == 18  # every step's logs, one-step calls and loop alike
    for a, b in zip(warm[1], cold[1], strict=True):
        np.testing.assert_array_equal(a, b)
    capsys.readouterr()
