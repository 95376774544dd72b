"""Callback semantics against Keras 3 (JAX backend): the same fit, the same hook calls.

Each test builds one tiny model in both libraries (Dense(3, relu) -> Dense(2) on (4,)
inputs, SGD(0.1), mse, metrics ["mae"]), copies Keras's weights into kerax with
``set_weights`` and runs the same ``fit`` / ``evaluate`` / ``predict`` with callbacks
subclassing each library's ``Callback``. What the callbacks see is compared as a Keras
user would see it: which hooks are called, in which order, with which batch or epoch
index, and which logs (keys, and values to rtol 1e-5).

What Keras 3.15 does (read from the recordings, the oracle here):

* every hook gets a ``logs`` dict, never ``None``: ``{}`` at ``on_train_begin``,
  ``on_epoch_begin``, every ``on_*_batch_begin``, ``on_test_begin``,
  ``on_predict_begin`` and ``on_predict_end``;
* ``on_train_batch_end`` / ``on_test_batch_end`` get the running averages of the loss
  and metrics over the epoch (or the evaluation) so far;
* the validation inside ``fit`` is an ``evaluate`` on the same callbacks: it calls
  ``on_test_begin``, ``on_test_batch_begin/end`` per validation batch and ``on_test_end``
  before ``on_epoch_end``, whose logs then hold ``val_*`` keys;
* ``on_train_end`` gets the last epoch's logs;
* ``on_predict_batch_end`` gets ``{"outputs": <the batch's outputs>}`` (the last batch
  unpadded);
* ``params`` is ``{"epochs", "steps", "verbose"}`` with the real step count, in ``fit``
  and also in ``evaluate`` / ``predict`` (``epochs=1`` there);
* ``model.stop_training = True`` in ``on_train_batch_end`` of batch N ends the epoch
  after batch N (validation and ``on_epoch_end`` still run), and no further epoch runs;
* a learning rate set in ``on_train_batch_begin`` of batch N is used by batch N's update.
"""

from __future__ import annotations

import functools
import re
import time

import keras
import numpy as np
import pytest

import kerax

TOL = {"rtol": 1e-5, "atol": 1e-6}
LIBS = (keras, kerax)

_rng = np.random.default_rng(0)
X = _rng.normal(size=(10, 4)).astype("float32")  # 10 rows, batches of 4: the last is partial
Y = _rng.normal(size=(10, 2)).astype("float32")
XV = _rng.normal(size=(6, 4)).astype("float32")  # validation: batches of 4 and 2
YV = _rng.normal(size=(6, 2)).astype("float32")
FIT = {
    "batch_size": 4,
    "epochs": 2,
    "shuffle": False,
    "validation_data": (XV, YV),
    "verbose": 0,
}


def _build(lib):
    inputs = lib.Input(shape=(4,))
    hidden = lib.layers.Dense(3, activation="relu")(inputs)
    model = lib.Model(inputs, lib.layers.Dense(2)(hidden))
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    return model


def _models():
    """``{keras: model, kerax: model}`` with the same weights."""
    keras.utils.set_random_seed(0)
    reference = _build(keras)
    model = _build(kerax)
    model.set_weights(reference.get_weights())
    return {keras: reference, kerax: model}


def _snapshot(logs):
    """A copy of ``logs`` (``None`` stays ``None``): values as float64 arrays."""
    if logs is None:
        return None
    out = {}
    for key, value in logs.items():
        try:
            out[key] = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            out[key] = repr(value)
    return out


class _Recording:
    """Overrides every hook; records ``(hook, index, logs)`` and ``params`` at begins."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.params_seen = []
        self.epoch = None

    def _record(self, hook, index, logs):
        self.calls.append((hook, index, _snapshot(logs)))

    def _record_params(self, hook):
        self.params_seen.append((hook, dict(self.params or {})))

    def on_train_begin(self, logs=None):
        self._record_params("on_train_begin")
        self._record("on_train_begin", None, logs)

    def on_train_end(self, logs=None):
        self._record("on_train_end", None, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._record("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._record("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._record("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._record("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._record_params("on_test_begin")
        self._record("on_test_begin", None, logs)

    def on_test_end(self, logs=None):
        self._record("on_test_end", None, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._record("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._record("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._record_params("on_predict_begin")
        self._record("on_predict_begin", None, logs)

    def on_predict_end(self, logs=None):
        self._record("on_predict_end", None, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._record("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._record("on_predict_batch_end", batch, logs)


class _StopAt(_Recording):
    """Sets ``model.stop_training`` in ``on_train_batch_end`` of ``(epoch, batch)``."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if (self.epoch, batch) == self.at:
            self.model.stop_training = True


class _SetRateAt(_Recording):
    """Sets the learning rate in ``on_train_batch_begin`` of ``(epoch, batch)``; reads it
    back at every ``on_train_batch_end``."""

    def __init__(self, at, rate):
        super().__init__()
        self.at, self.rate = at, rate
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        super().on_train_batch_begin(batch, logs)
        if (self.epoch, batch) == self.at:
            self.model.optimizer.learning_rate = self.rate

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self.rates.append(float(np.asarray(self.model.optimizer.learning_rate)))


class _BatchTimer:
    """Overrides only ``on_train_batch_begin``, like a timer."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self.times.append((batch, time.perf_counter()))


class _EpochEnd:
    """Overrides only ``on_epoch_end``: the logs and the weights the model shows then."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("on_epoch_end", epoch, _snapshot(logs)))
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def _callback(lib, mixin, *args):
    """An instance of ``mixin`` subclassing ``lib``'s ``Callback``."""
    cls = type(f"{mixin.__name__.strip('_')}_{lib.__name__}", (mixin, lib.callbacks.Callback), {})
    return cls(*args)


# ------------------------------------------------------------------ comparisons
def _hooks(calls):
    return [(hook, index) for hook, index, _ in calls]


def _keys(calls):
    return [(hook, index, sorted(logs or {})) for hook, index, logs in calls]


def _assert_same_logs(got, expected):
    """Hook sequence, then logs keys (``None`` read as ``{}``), then values."""
    assert _hooks(got) == _hooks(expected), "hook calls (name, batch/epoch index) differ"
    assert _keys(got) == _keys(expected), "logs keys differ"
    for (hook, index, g), (_, _, e) in zip(got, expected, strict=True):
        for key in sorted(e or {}):
            np.testing.assert_allclose(
                g[key], e[key], **TOL, err_msg=f"{hook}({index}): logs[{key!r}]"
            )


def _assert_same_weights(got, expected):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        np.testing.assert_allclose(g, e, **TOL, err_msg=f"weight {i}")


# ------------------------------------------------------------------ one recorded session
@functools.cache
def _session():
    """Per library: one recorder through fit, evaluate and predict, split by phase."""
    out = {}
    for lib, model in _models().items():
        rec = _callback(lib, _Recording)
        history = model.fit(X, Y, callbacks=[rec], **FIT)
        n_fit, p_fit = len(rec.calls), len(rec.params_seen)
        evaluated = model.evaluate(X, Y, batch_size=4, callbacks=[rec], verbose=0)
        n_eval, p_eval = len(rec.calls), len(rec.params_seen)
        predicted = model.predict(X, batch_size=4, callbacks=[rec], verbose=0)
        out[lib] = {
            "fit": rec.calls[:n_fit],
            "evaluate": rec.calls[n_fit:n_eval],
            "predict": rec.calls[n_eval:],
            "all": list(rec.calls),
            "params": {
                "fit": rec.params_seen[:p_fit],
                "evaluate": rec.params_seen[p_fit:p_eval],
                "predict": rec.params_seen[p_eval:],
            },
            "history": history.history,
            "evaluated": evaluated,
            "predicted": np.asarray(predicted),
        }
    return out


def _training_side(calls):
    """The calls without the on_test_* ones (the validation's inside fit)."""
    return [call for call in calls if not call[0].startswith("on_test_")]


def _validation_side(calls):
    return [call for call in calls if call[0].startswith("on_test_")]


def test_fit_hook_sequence():
    """Batch hooks per training batch (3 a epoch, the last partial), then the validation's
    test hooks (2 batches), then on_epoch_end; on_train_end last."""
    runs = _session()
    expected = _hooks(runs[keras]["fit"])
    assert expected[:8] == [
        ("on_train_begin", None),
        ("on_epoch_begin", 0),
        ("on_train_batch_begin", 0),
        ("on_train_batch_end", 0),
        ("on_train_batch_begin", 1),
        ("on_train_batch_end", 1),
        ("on_train_batch_begin", 2),
        ("on_train_batch_end", 2),
    ]
    assert expected[8:15] == [
        ("on_test_begin", None),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_batch_begin", 1),
        ("on_test_batch_end", 1),
        ("on_test_end", None),
        ("on_epoch_end", 0),
    ]
    assert expected[-1] == ("on_train_end", None)
    assert _hooks(runs[kerax]["fit"]) == expected


def test_fit_training_logs():
    """The training side of fit: batch-end logs are running averages over the epoch so
    far; epoch-end logs add the validation's ``val_*``; on_train_end gets the last
    epoch's logs; History holds the epoch logs."""
    runs = _session()
    expected = _training_side(runs[keras]["fit"])
    end = [logs for hook, _, logs in expected if hook == "on_epoch_end"][-1]
    assert sorted(end) == ["loss", "mae", "val_loss", "val_mae"]
    _assert_same_logs(_training_side(runs[kerax]["fit"]), expected)
    for key, values in runs[keras]["history"].items():
        np.testing.assert_allclose(runs[kerax]["history"][key], values, **TOL, err_msg=key)


def test_fit_validation_calls_test_hooks():
    """fit's validation runs the callbacks' test hooks: on_test_begin (with fit's
    params), begin/end per validation batch with running averages, on_test_end with the
    values that become ``val_*``."""
    runs = _session()
    expected = _validation_side(runs[keras]["fit"])
    assert len(expected) == 2 * 6  # per epoch: begin, 2 x (batch begin, batch end), end
    _assert_same_logs(_validation_side(runs[kerax]["fit"]), expected)
    assert runs[kerax]["params"]["fit"][1:] == runs[keras]["params"]["fit"][1:]


def test_evaluate_hooks_and_logs():
    """on_test_begin, then begin/end per batch (running averages), on_test_end with the
    final logs; the returned values equal Keras's."""
    runs = _session()
    expected = runs[keras]["evaluate"]
    assert _hooks(expected) == [
        ("on_test_begin", None),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_batch_begin", 1),
        ("on_test_batch_end", 1),
        ("on_test_batch_begin", 2),
        ("on_test_batch_end", 2),
        ("on_test_end", None),
    ]
    _assert_same_logs(runs[kerax]["evaluate"], expected)
    np.testing.assert_allclose(runs[kerax]["evaluated"], runs[keras]["evaluated"], **TOL)


def test_predict_hooks_and_outputs():
    """on_predict_batch_end gets ``{"outputs": ...}``: each batch's outputs, the last one
    with its 2 real rows only."""
    runs = _session()
    expected = runs[keras]["predict"]
    assert _hooks(expected) == [
        ("on_predict_begin", None),
        ("on_predict_batch_begin", 0),
        ("on_predict_batch_end", 0),
        ("on_predict_batch_begin", 1),
        ("on_predict_batch_end", 1),
        ("on_predict_batch_begin", 2),
        ("on_predict_batch_end", 2),
        ("on_predict_end", None),
    ]
    shapes = [logs["outputs"].shape for hook, _, logs in expected if hook.endswith("batch_end")]
    assert shapes == [(4, 2), (4, 2), (2, 2)]
    _assert_same_logs(runs[kerax]["predict"], expected)
    np.testing.assert_allclose(runs[kerax]["predicted"], runs[keras]["predicted"], **TOL)


def test_logs_are_always_dicts():
    """Keras hands every hook a dict (``{}`` where there is nothing to log), never None:
    ``logs["x"] = ...`` or ``logs.get(...)`` works in any hook. Lists the kerax calls
    that got something else."""
    runs = _session()
    assert all(isinstance(logs, dict) for _, _, logs in runs[keras]["all"])
    not_dicts = [(h, i) for h, i, logs in runs[kerax]["all"] if not isinstance(logs, dict)]
    hooks = sorted({hook for hook, _ in not_dicts})
    assert not not_dicts, f"{len(not_dicts)} calls got no dict, of the hooks {hooks}"


def test_params():
    """``self.params``: fit's ``{"epochs": 2, "steps": 3, "verbose": 0}`` at
    on_train_begin; evaluate and predict with their own step count and epochs=1."""
    runs = _session()
    expected = runs[keras]["params"]
    assert expected["fit"][0] == ("on_train_begin", {"epochs": 2, "steps": 3, "verbose": 0})
    assert expected["evaluate"] == [("on_test_begin", {"epochs": 1, "steps": 3, "verbose": 0})]
    assert expected["predict"] == [("on_predict_begin", {"epochs": 1, "steps": 3, "verbose": 0})]
    got = runs[kerax]["params"]
    assert got["fit"][:1] == expected["fit"][:1]
    assert got["evaluate"] == expected["evaluate"]
    assert got["predict"] == expected["predict"]


# ------------------------------------------------------------------ stop_training
@pytest.mark.parametrize(
    "at", [(0, 0), (0, 1), (1, 2)], ids=lambda at: f"epoch{at[0]}-batch{at[1]}"
)
def test_stop_training_in_batch_end(at):
    """Training stops right after batch N: same batch hooks (so the same optimizer steps),
    validation and on_epoch_end still run, no further epoch; same weights as Keras."""
    runs = {}
    for lib, model in _models().items():
        rec = _callback(lib, _StopAt, at)
        model.fit(X, Y, callbacks=[rec], **FIT)
        runs[lib] = (rec.calls, model.get_weights())
    expected = runs[keras][0]
    batch_ends = [i for h, i in _hooks(expected) if h == "on_train_batch_end"]
    assert batch_ends == [0, 1, 2] * at[0] + list(range(at[1] + 1))
    assert _hooks(expected)[-3:] == [
        ("on_test_end", None),
        ("on_epoch_end", at[0]),
        ("on_train_end", None),
    ]
    got = runs[kerax][0]
    assert [i for h, i in _hooks(got) if h == "on_train_batch_end"] == batch_ends
    # The training side (the validation's test hooks are test_fit_validation_calls_test_hooks's
    # business): epoch-end logs still carry val_*, so the validation ran after the stop.
    _assert_same_logs(_training_side(got), _training_side(expected))
    _assert_same_weights(runs[kerax][1], runs[keras][1])


# ------------------------------------------------------------------ learning rate
@pytest.mark.parametrize("at", [(0, 1), (1, 0)], ids=lambda at: f"epoch{at[0]}-batch{at[1]}")
def test_learning_rate_set_in_batch_begin_applies_to_that_batch(at):
    """A rate set in on_train_batch_begin of batch N drives batch N's update: the weights
    after the fit equal Keras's, and the rate read back at each batch end too."""
    runs = {}
    for lib, model in _models().items():
        rec = _callback(lib, _SetRateAt, at, 0.02)
        model.fit(X, Y, callbacks=[rec], **FIT)
        runs[lib] = (rec, model.get_weights())
    expected = runs[keras][0].rates
    first = 3 * at[0] + at[1]
    np.testing.assert_allclose(expected, [0.1] * first + [0.02] * (6 - first), rtol=1e-6)
    np.testing.assert_allclose(runs[kerax][0].rates, expected, rtol=1e-6)
    _assert_same_logs(_training_side(runs[kerax][0].calls), _training_side(runs[keras][0].calls))
    _assert_same_weights(runs[kerax][1], runs[keras][1])


# ------------------------------------------------------------------ partial overrides
def test_batch_begin_only_callback():
    """A callback overriding only on_train_batch_begin (a timer) is called once per
    batch, with Keras's batch indices, in time order."""
    runs = {}
    for lib, model in _models().items():
        timer = _callback(lib, _BatchTimer)
        model.fit(X, Y, callbacks=[timer], **FIT)
        runs[lib] = timer.times
    expected = [batch for batch, _ in runs[keras]]
    assert expected == [0, 1, 2, 0, 1, 2]
    assert [batch for batch, _ in runs[kerax]] == expected
    stamps = [t for _, t in runs[kerax]]
    assert stamps == sorted(stamps)


def test_epoch_end_only_callback():
    """A callback overriding only on_epoch_end: called per epoch with Keras's index and
    logs, and ``self.model.get_weights()`` there shows the weights after that epoch."""
    runs = {}
    for lib, model in _models().items():
        cb = _callback(lib, _EpochEnd)
        model.fit(X, Y, callbacks=[cb], **FIT)
        runs[lib] = cb
    _assert_same_logs(runs[kerax].calls, runs[keras].calls)
    assert _hooks(runs[keras].calls) == [("on_epoch_end", 0), ("on_epoch_end", 1)]
    assert len(runs[kerax].weights) == len(runs[keras].weights)
    for got, expected in zip(runs[kerax].weights, runs[keras].weights, strict=True):
        _assert_same_weights(got, expected)


# ------------------------------------------------------------------ verbose output
def _screen(text):
    """The lines a terminal ends up showing: colours dropped, and of each line rewritten
    with carriage returns (and backspaces) only its last state."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\b", "")
    lines = []
    for line in text.split("\n"):
        states = [s.strip() for s in line.split("\r") if s.strip()]
        if states:
            lines.append(states[-1])
    return lines


def _logged(line):
    return {k: float(v) for k, v in re.findall(r"(\w+): (-?[0-9.]+(?:e[-+]?\d+)?)", line)}


@pytest.mark.parametrize("verbose", [1, 2])
def test_fit_verbose_prints_epochs_and_logs(verbose, capsys):
    """Both print "Epoch i/2", then a line with the step count and the epoch's logs
    (validation included), with the same numbers to the printed precision."""
    capsys.readouterr()
    screens = {}
    for lib, model in _models().items():
        model.fit(X, Y, callbacks=[], **{**FIT, "verbose": verbose})
        screens[lib] = _screen(capsys.readouterr().out)
    for lib, lines in screens.items():
        headers = [i for i, line in enumerate(lines) if line.startswith("Epoch ")]
        assert [lines[i] for i in headers] == ["Epoch 1/2", "Epoch 2/2"], (lib.__name__, lines)
        ends = [lines[headers[1] - 1], lines[-1]]
        for line in ends:
            assert line.startswith("3/3"), (lib.__name__, line)
            for key in ("loss:", "mae:", "val_loss:", "val_mae:"):
                assert key in line, (lib.__name__, key, line)
    for got, expected in zip(_ends(screens[kerax]), _ends(screens[keras]), strict=True):
        assert sorted(got) == sorted(expected)
        for key in expected:
            assert got[key] == pytest.approx(expected[key], abs=1.5e-4), key


def _ends(lines):
    second = lines.index("Epoch 2/2")
    return [_logged(lines[second - 1]), _logged(lines[-1])]


def test_evaluate_and_predict_verbose_print_a_progress_bar(capsys):
    """Keras's evaluate and predict with verbose=1 end on a progress bar line with the
    step count ("3/3"); evaluate's shows the loss and metrics."""
    capsys.readouterr()
    screens = {}
    for lib, model in _models().items():
        model.evaluate(X, Y, batch_size=4, verbose=1)
        evaluated = _screen(capsys.readouterr().out)
        model.predict(X, batch_size=4, verbose=1)
        screens[lib] = (evaluated, _screen(capsys.readouterr().out))
    for lib, (evaluated, predicted) in screens.items():
        assert evaluated and evaluated[-1].startswith("3/3"), (lib.__name__, evaluated)
        assert "loss:" in evaluated[-1] and "mae:" in evaluated[-1], (lib.__name__, evaluated)
        assert predicted and predicted[-1].startswith("3/3"), (lib.__name__, predicted)
    got, expected = _logged(screens[kerax][0][-1]), _logged(screens[keras][0][-1])
    assert sorted(got) == sorted(expected)
    for key in expected:
        assert got[key] == pytest.approx(expected[key], abs=1.5e-4), key
