"""What kerax prints and logs, compared with the real Keras 3 package.

- ``kerax.utils.Progbar`` against ``keras.utils.Progbar``, byte for byte, on a shared
  fake clock (escape codes, backspaces and carriage returns included: on POSIX Keras
  rewrites the line in place even when its output is captured).
- ``fit`` / ``evaluate`` / ``predict`` output: the lines a terminal ends up showing,
  numbers and times normalised, and the colour codes of each final line.
- The key order of the logs callbacks receive, of ``History.history`` and of
  ``evaluate(return_dict=True)``.
"""

from __future__ import annotations

import re
import time

import keras
import numpy as np
import pytest

import kerax

# --------------------------------------------------------------------------- Progbar

_SCRIPTS = {
    # (constructor kwargs, [(clock, method, args, kwargs), ...])
    "live": (
        {"target": 12},
        [(0.5 * i, "update", (i, [("loss", 1.0 / i), ("acc", 0.1 * i)]), {}) for i in range(1, 13)],
    ),
    "long_eta_and_throttle": (
        {"target": 300, "width": 10, "interval": 0.05},
        [(t, "update", (s, [("loss", 2.0 - s / 200)]), {}) for t, s in [(1, 1), (1.01, 2), (9, 3)]]
        + [(4000, "update", (4, None), {}), (4100, "update", (300, [("loss", 1e-5)]), {})],
    ),
    "stateful_and_add": (
        {"target": 5, "stateful_metrics": ["acc"], "unit_name": "sample"},
        [(0.002 * i, "add", (1, [("loss", i * 1.5), ("acc", -0.5 * i)]), {}) for i in range(1, 6)],
    ),
    "unknown_target": (
        {"target": None},
        [(0.2 * i, "update", (i, [("loss", 0.25)]), {}) for i in range(1, 4)]
        + [(1.0, "update", (3, [("loss", 0.2)]), {"finalize": True})],
    ),
    "verbose_2": (
        {"target": 15, "verbose": 2},
        [(0.1 * i, "update", (i, [("loss", 0.0002 * i), ("b", -1.0)]), {}) for i in range(1, 16)],
    ),
    "verbose_0": ({"target": 3, "verbose": 0}, [(1, "update", (3, [("loss", 1.0)]), {})]),
}


def _play(cls, kwargs, script, monkeypatch, capsys):
    clock = [100.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    capsys.readouterr()
    bar = cls(**kwargs)
    for when, method, args, kw in script:
        clock[0] = 100.0 + when
        getattr(bar, method)(*args, **kw)
    return capsys.readouterr().out


@pytest.mark.parametrize("case", sorted(_SCRIPTS))
def test_progbar_prints_what_keras_prints_byte_for_byte(case, monkeypatch, capsys):
    kwargs, script = _SCRIPTS[case]
    ours = _play(kerax.utils.Progbar, kwargs, script, monkeypatch, capsys)
    theirs = _play(keras.utils.Progbar, kwargs, script, monkeypatch, capsys)
    assert ours == theirs
    if case != "verbose_0":
        assert theirs  # the comparison is not between two empty outputs


def test_progbar_takes_stateful_or_stateless_metrics_not_both():
    with pytest.raises(ValueError, match="not both"):
        kerax.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_fit_uses_the_public_progbar():
    from kerax.callbacks import ProgbarLogger

    logger = ProgbarLogger()
    logger.set_params({"epochs": 1, "steps": 2, "verbose": 1})
    logger.on_epoch_begin(0)
    assert type(logger._bar) is kerax.utils.Progbar


# ------------------------------------------------------------------ fit, evaluate, ...

_X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
_Y = (np.random.default_rng(1).random((40, 1)) > 0.5).astype("float32")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _build(lib):
    inputs = lib.Input((4,))
    model = lib.Model(inputs, lib.layers.Dense(1, activation="sigmoid")(inputs))
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def models():
    keras.utils.set_random_seed(0)
    reference = _build(keras)
    ours = _build(kerax)
    ours.set_weights(reference.get_weights())
    return {"keras": reference, "kerax": ours}


def _screen(text):
    """The lines a terminal shows in the end, colour codes dropped: ``\r`` returns to
    the line's start, ``\b`` moves back one column, later characters overwrite."""
    lines, line, col = [], [], 0
    for char in _ANSI.sub("", text):
        if char == "\n":
            lines.append(line)
            line, col = [], 0
        elif char == "\r":
            col = 0
        elif char == "\b":
            col = max(col - 1, 0)
        else:
            line[col : col + 1] = [char]
            col += 1
    if line:
        lines.append(line)
    return ["".join(cells).rstrip() for cells in lines]


def _last_writes(text):
    """Of each line, what was written last (after its last ``\r``), codes kept."""
    return [line.split("\r")[-1].replace("\b", "").rstrip() for line in text.split("\n")]


def _layout(line):
    """The line with its numbers and time units replaced: the layout only."""
    line = re.sub(r"\d+(?:\.\d+)?(?:e[-+]\d+)?", "N", line)
    line = re.sub(r"N(?:ms|us|s)/", "T/", line)
    return re.sub(r"\b(?:N:)*Ns\b|N:N(?::N)?", "T", line)


def _printed(model, capsys, call, **kwargs):
    capsys.readouterr()
    getattr(model, call)(_X, *([_Y] if call != "predict" else []), batch_size=8, **kwargs)
    return capsys.readouterr().out


_CALLS = {
    "fit_one_epoch": ("fit", {"epochs": 1, "verbose": 1}),
    "fit_validation": ("fit", {"epochs": 2, "verbose": 1, "validation_split": 0.25}),
    "fit_verbose_2": ("fit", {"epochs": 2, "verbose": 2, "validation_split": 0.25}),
    "fit_verbose_2_one_epoch": ("fit", {"epochs": 1, "verbose": 2}),
    "evaluate": ("evaluate", {"verbose": 1}),
    "evaluate_verbose_2": ("evaluate", {"verbose": 2}),
    "predict": ("predict", {"verbose": 1}),
    "predict_verbose_2": ("predict", {"verbose": 2}),
}


@pytest.mark.parametrize("case", sorted(_CALLS))
def test_fit_evaluate_predict_print_keras_layout(case, models, capsys):
    call, kwargs = _CALLS[case]
    out = {lib: _printed(model, capsys, call, **kwargs) for lib, model in models.items()}
    screens = {lib: _screen(text) for lib, text in out.items()}
    assert [_layout(s) for s in screens["kerax"]] == [_layout(s) for s in screens["keras"]]
    if kwargs.get("epochs") == 1:
        assert not any(line.startswith("Epoch") for line in screens["kerax"])
    # The final lines carry the same colour codes (bold counter, green bar...).
    coded = {lib: _last_writes(text) for lib, text in out.items()}
    assert [_layout(s) for s in coded["kerax"]] == [_layout(s) for s in coded["keras"]]


def test_the_screen_helper_rewrites_lines_like_a_terminal():
    assert _screen("abc\b\b\rX\n\x1b[1mY\x1b[0mZ  \n") == ["Xbc", "YZ"]
    assert _last_writes("\ra\b\r\x1b[1mb\x1b[0m \nc") == ["\x1b[1mb\x1b[0m", "c"]
    assert _layout("12/12 ━━ 3s 45ms/step - loss: 0.1234 - x: 1.0e-05") == (
        "N/N ━━ T T/step - loss: N - x: N"
    )


# ----------------------------------------------------------------------- log order


def _multi(lib):
    inputs = lib.Input((4,), name="in")
    a = lib.layers.Dense(1, activation="sigmoid", name="a")(inputs)
    b = lib.layers.Dense(2, name="b")(inputs)
    model = lib.Model(inputs, {"zb": b, "a": a})
    model.compile(
        optimizer="sgd",
        loss={"zb": "mse", "a": "binary_crossentropy"},
        metrics={"a": ["accuracy"], "zb": ["mse", "mae"]},
    )
    return model


def _orders(lib, build, y):
    model = build(lib)
    seen = {}

    class Record(lib.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batch", list(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen["epoch"] = list(logs)

    history = model.fit(
        _X, y, batch_size=20, epochs=1, verbose=0, validation_split=0.5, callbacks=[Record()]
    )
    seen["history"] = list(history.history)
    seen["evaluate"] = list(model.evaluate(_X, y, batch_size=40, verbose=0, return_dict=True))
    return seen


@pytest.mark.parametrize("build", [_build, _multi], ids=["loss_accuracy", "multi_output"])
def test_logs_and_history_keys_follow_keras_order(build):
    y = _Y if build is _build else {"a": _Y, "zb": np.ones((40, 2), "float32")}
    theirs = _orders(keras, build, y)
    assert theirs["history"][0] != "loss"  # Keras 3 sorts: accuracy before loss
    assert _orders(kerax, build, y) == theirs


def test_evaluate_list_keeps_loss_first():
    keras.utils.set_random_seed(0)
    reference, ours = _build(keras), _build(kerax)
    ours.set_weights(reference.get_weights())
    logs = ours.evaluate(_X, _Y, batch_size=40, verbose=0, return_dict=True)
    values = ours.evaluate(_X, _Y, batch_size=40, verbose=0)
    assert list(logs) == ["accuracy", "loss"]
    assert values == [logs["loss"], logs["accuracy"]]
    expected = reference.evaluate(_X, _Y, batch_size=40, verbose=0)
    np.testing.assert_allclose(values, expected, atol=1e-5)


# ------------------------------------------------------------------------- summary


def _summary_models(lib):
    """Functional (frozen weights, float16, a nested model, long names, two outputs),
    Sequential (trained: optimizer params), and a model with shared layers and two
    inputs; explicit model names (auto-generated model names are not compared)."""
    layers = lib.layers
    inp = lib.Input((6,), name="inp")
    inner_in = lib.Input((6,), name="inner_in")
    inner = lib.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    frozen = layers.Dense(4, name="a_rather_long_layer_name_that_does_not_fit_anywhere")
    frozen.trainable = False
    half = layers.Dense(2, dtype="float16", name="half")(frozen(inp))
    joined = layers.Concatenate(name="joined")([inner(inp), half])
    normed = layers.BatchNormalization(name="norm")(joined)
    big = lib.Model(inp, [normed, half], name="big")

    seq = lib.Sequential(
        [lib.Input((3,)), layers.Dense(2, name="s1"), layers.Dense(1, name="s2")], name="seq"
    )
    seq.compile(optimizer="adam", loss="mse")
    seq.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)

    a, b = lib.Input((5,), name="a"), lib.Input((5,), name="b")
    shared = layers.Dense(4, name="shared")
    both = layers.Concatenate(name="cat")([shared(a), shared(b)])
    tower = lib.Sequential([lib.Input((8,)), layers.Dense(2, name="t")], name="tower")
    outer = lib.Model([a, b], tower(both), name="outer")
    return {"big": big, "seq": seq, "outer": outer}


_SUMMARY_ARGS = {
    "default": {},
    "nested_trainable": {"expand_nested": True, "show_trainable": True},
    "wide_cropped": {"line_length": 120},
    "positions": {"line_length": 90, "positions": [0.4, 0.6, 0.7, 1.0]},
    "narrow": {"line_length": 60},
}


@pytest.fixture(scope="module")
def summary_models():
    keras.utils.set_random_seed(0)
    return {"keras": _summary_models(keras), "kerax": _summary_models(kerax)}


@pytest.mark.parametrize("args", sorted(_SUMMARY_ARGS))
def test_summary_prints_keras_table(args, summary_models, monkeypatch, capsys):
    from kerax.models.summary import print_summary

    monkeypatch.setenv("COLUMNS", "80")  # both size the table from the terminal
    kwargs = _SUMMARY_ARGS[args]
    for name in ("big", "seq", "outer"):
        capsys.readouterr()
        summary_models["keras"][name].summary(**kwargs)
        theirs = capsys.readouterr().out
        print_summary(summary_models["kerax"][name], **kwargs)
        ours = capsys.readouterr().out
        assert ours.rstrip("\n").split("\n") == theirs.rstrip("\n").split("\n"), name
        assert "Total params:" in theirs and "┏" in theirs and "(" in theirs


def test_summary_method_and_layer_range(summary_models, monkeypatch, capsys):
    from kerax.models.summary import print_summary

    monkeypatch.setenv("COLUMNS", "80")
    texts = {}
    for lib, models in summary_models.items():
        capsys.readouterr()
        models["big"].summary(line_length=76)
        if lib == "keras":
            models["big"].summary(layer_range=["inner", "joined"])
        else:
            print_summary(models["big"], layer_range=["inner", "joined"])
        texts[lib] = capsys.readouterr().out.rstrip("\n").split("\n")
    assert texts["kerax"] == texts["keras"]
    with pytest.raises(ValueError, match="no layer matches 'nope'"):
        print_summary(summary_models["kerax"]["big"], layer_range=["inp", "nope"])
    with pytest.raises(ValueError, match="at least 4"):
        print_summary(summary_models["kerax"]["big"], line_length=10)


def test_unbuilt_sequential_summary(monkeypatch, capsys):
    from kerax.models.summary import print_summary

    monkeypatch.setenv("COLUMNS", "80")
    keras.Sequential([keras.layers.Dense(3, name="d")], name="later").summary()
    theirs = capsys.readouterr().out
    print_summary(kerax.Sequential([kerax.layers.Dense(3, name="d")], name="later"))
    assert capsys.readouterr().out.rstrip("\n") == theirs.rstrip("\n")


def test_subclassed_model_summary_shows_the_build_calls_shapes(monkeypatch, capsys):
    from kerax.models.summary import print_summary

    monkeypatch.setenv("COLUMNS", "80")
    texts = []
    for lib in (keras, kerax):

        class Two(lib.Model):
            def __init__(self):
                super().__init__(name="two")
                self.a = lib.layers.Dense(4, name="a")  # noqa: B023
                self.b = lib.layers.Dense(2, name="b")  # noqa: B023

            def call(self, x):
                return self.b(self.a(x))

        model = Two()
        model(np.ones((3, 5), "float32"))
        capsys.readouterr()
        model.summary() if lib is keras else print_summary(model)
        texts.append(capsys.readouterr().out.rstrip("\n").split("\n"))
    assert texts[1] == texts[0]
    assert any("(3, 4)" in line for line in texts[1])
