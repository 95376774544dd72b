"""Every data entry point checks its data against the model before tracing.

A table of bad inputs (wrong feature size, rank, dict keys, number of inputs, dtype,
row counts, labels) is run through every entry point that takes data: ``fit``,
``evaluate``, ``predict``, the ``*_on_batch`` methods, ``validation_data``, iterables
of batches and ``model(array)``. Each must raise a ``ValueError`` from kerax (not
from inside JAX's tracing) that names the model, the input and both shapes, and
leave the model as it was: the same weights, bit for bit, and the same numbers from
the next valid ``predict`` and ``fit``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kerax
from kerax.layers import Concatenate, Dense, Input

KERAX_DIR = Path(kerax.__file__).resolve().parent
ROWS = 8

_rng = np.random.default_rng(0)
X3 = _rng.normal(size=(ROWS, 3)).astype(np.float32)
X4 = _rng.normal(size=(ROWS, 4)).astype(np.float32)
Y = _rng.normal(size=(ROWS, 2)).astype(np.float32)


def _fit(model: Any, x: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
    return model.fit(
        x,
        y,
        sample_weight=sample_weight,
        batch_size=4,
        epochs=1,
        shuffle=False,
        verbose=0,
        **kwargs,
    )


@dataclasses.dataclass
class Bench:
    """A compiled model and what it computes before any bad call."""

    model: Any
    good_x: Any
    weights: list[np.ndarray]
    predictions: np.ndarray
    fit_loss: float
    fitted: list[np.ndarray]

    def assert_unchanged(self) -> None:
        """Same weights bit for bit; the next predict and fit give the same numbers."""
        model = self.model
        _assert_bits(model.get_weights(), self.weights)
        np.testing.assert_array_equal(model.predict(self.good_x, verbose=0), self.predictions)
        history = _fit(model, self.good_x, Y)
        assert history.history["loss"][0] == self.fit_loss
        _assert_bits(model.get_weights(), self.fitted)
        model.set_weights(self.weights)


def _assert_bits(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _bench(model: Any, good_x: Any) -> Bench:
    model.compile(optimizer="sgd", loss="mse")
    weights = [np.array(w) for w in model.get_weights()]
    predictions = model.predict(good_x, verbose=0)
    loss = _fit(model, good_x, Y).history["loss"][0]
    fitted = [np.array(w) for w in model.get_weights()]
    model.set_weights(weights)
    return Bench(model, good_x, weights, predictions, loss, fitted)


@pytest.fixture(scope="module")
def tiny() -> Bench:
    """One input ``features`` of shape (None, 3), one output ``out`` of shape (None, 2)."""
    inputs = Input((3,), name="features")
    return _bench(kerax.Model(inputs, Dense(2, name="out")(inputs), name="tiny"), X3)


@pytest.fixture(scope="module")
def pair() -> Bench:
    """Two inputs, ``left`` (None, 3) and ``right`` (None, 4)."""
    left, right = Input((3,), name="left"), Input((4,), name="right")
    out = Dense(2, name="out")(Concatenate(name="joined")([left, right]))
    return _bench(kerax.Model([left, right], out, name="pair"), {"left": X3, "right": X4})


# ------------------------------------------------------------------ the table
@dataclasses.dataclass(frozen=True)
class Bad:
    """One kind of bad data: for which model, the data, and what the message names."""

    model: str
    x: Callable[[], Any]
    y: Callable[[], Any] = lambda: Y
    sample_weight: Callable[[], Any] = lambda: None
    names: tuple[str, ...] = ()
    about_x: bool = True  # predict and model(x) take no targets


def _text(shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, "a")


BAD = {
    "feature size": Bad(
        "tiny", lambda: np.ones((ROWS, 5), np.float32), names=("features", "(None, 3)", "(8, 5)")
    ),
    "rank too high": Bad(
        "tiny",
        lambda: np.ones((ROWS, 3, 2), np.float32),
        names=("features", "(None, 3)", "(8, 3, 2)"),
    ),
    "rank too low": Bad(
        "tiny", lambda: np.ones((ROWS,), np.float32), names=("features", "(None, 3)", "(8,)")
    ),
    "one example without batch axis": Bad(
        "tiny",
        lambda: np.ones((3,), np.float32),
        names=("features", "(None, 3)", "(3,)", "x[None]"),
    ),
    "strings": Bad(
        "tiny", lambda: _text((ROWS, 3)), names=("features", "(None, 3)", "(8, 3)", "text")
    ),
    "objects": Bad(
        "tiny",
        lambda: np.ones((ROWS, 3), object),
        names=("features", "(None, 3)", "(8, 3)", "object"),
    ),
    "complex": Bad(
        "tiny",
        lambda: np.ones((ROWS, 3), np.complex64),
        names=("features", "(None, 3)", "(8, 3)", "complex"),
    ),
    "missing dict key": Bad("pair", lambda: {"left": X3}, names=("right", "(None, 4)", "(8, 3)")),
    "extra dict key": Bad(
        "pair",
        lambda: {"left": X3, "right": X4, "extra": X4},
        names=("extra", "(None, 3)", "(None, 4)"),
    ),
    "misspelt dict key": Bad(
        "pair",
        lambda: {"left": X3, "rigth": X4},
        names=("'rigth'", "did you mean 'right'", "(None, 4)"),
    ),
    "too many inputs": Bad(
        "pair", lambda: [X3, X4, X4], names=("left", "right", "(None, 4)", "(8, 4)")
    ),
    "too few inputs": Bad("pair", lambda: [X3], names=("right", "(None, 4)", "(8, 3)")),
    "inputs with other row counts": Bad(
        "pair", lambda: {"left": X3, "right": X4[:5]}, names=("x['right']", "5", "(5, 4)", "(8, 3)")
    ),
    "fewer target rows": Bad(
        "tiny", lambda: X3, y=lambda: Y[:5], names=("x['features']", "8", "5"), about_x=False
    ),
    "fewer sample weights": Bad(
        "tiny",
        lambda: X3,
        sample_weight=lambda: np.ones(5, np.float32),
        names=("sample_weight", "8", "5"),
        about_x=False,
    ),
    "labels that do not fit the loss": Bad(
        "tiny",
        lambda: X3,
        y=lambda: np.ones((ROWS, 5), np.float32),
        names=("out", "(None, 2)", "(8, 5)", "mse"),
        about_x=False,
    ),
    "text labels": Bad(
        "tiny", lambda: X3, y=lambda: _text((ROWS, 2)), names=("y", "(8, 2)", "<U1"), about_x=False
    ),
}

# What each entry point does with a bad case's data (and the good data it needs).
ENTRY: dict[str, Callable[[Any, Bad], Any]] = {
    "fit": lambda m, b: _fit(m, b.x(), b.y(), b.sample_weight()),
    "evaluate": lambda m, b: m.evaluate(b.x(), b.y(), sample_weight=b.sample_weight(), verbose=0),
    "train_on_batch": lambda m, b: m.train_on_batch(b.x(), b.y(), sample_weight=b.sample_weight()),
    "test_on_batch": lambda m, b: m.test_on_batch(b.x(), b.y(), sample_weight=b.sample_weight()),
    "fit on batches": lambda m, b: _fit(m, iter([(b.x(), b.y(), b.sample_weight())]), None),
    "evaluate on batches": lambda m, b: m.evaluate(
        iter([(b.x(), b.y(), b.sample_weight())]), verbose=0
    ),
    "predict": lambda m, b: m.predict(b.x(), verbose=0),
    "predict on batches": lambda m, b: m.predict(iter([(b.x(),)]), verbose=0),
    "predict_on_batch": lambda m, b: m.predict_on_batch(b.x()),
    "model(x)": lambda m, b: m(b.x()),
}
TAKES_TARGETS = {
    "fit",
    "evaluate",
    "train_on_batch",
    "test_on_batch",
    "fit on batches",
    "evaluate on batches",
}
ROW_CASES = {"fewer target rows", "fewer sample weights"}


def _cases() -> list[Any]:
    cases = []
    for case, bad in BAD.items():
        for entry in ENTRY:
            if bad.about_x or entry in TAKES_TARGETS:
                cases.append(pytest.param(entry, case, id=f"{entry}-{case}"))
    return cases


def _raised_by_kerax(info: pytest.ExceptionInfo[BaseException]) -> None:
    last = Path(str(info.traceback[-1].path)).resolve()
    assert last.is_relative_to(KERAX_DIR), f"raised from {last}, not from kerax"
    assert "jax/_src" not in str(last)


@pytest.mark.parametrize("entry,case", _cases())
def test_bad_data_is_refused_clearly_and_harmlessly(entry, case, request):
    bad = BAD[case]
    bench: Bench = request.getfixturevalue(bad.model)
    with pytest.raises(ValueError) as info:
        ENTRY[entry](bench.model, bad)
    _raised_by_kerax(info)
    message = str(info.value)
    assert f'"{bench.model.name}"' in message, message
    for part in bad.names:
        assert part in message, f"{part!r} not in: {message}"
    bench.assert_unchanged()


@pytest.mark.parametrize(
    "case", ["feature size", "labels that do not fit the loss", "inputs with other row counts"]
)
def test_bad_validation_data_names_the_problem(tiny, pair, case):
    bad = BAD[case]
    bench = tiny if bad.model == "tiny" else pair
    with pytest.raises(ValueError) as info:
        _fit(bench.model, bench.good_x, Y, validation_data=(bad.x(), bad.y()))
    _raised_by_kerax(info)
    for part in bad.names:
        assert part in str(info.value)
    bench.model.set_weights(bench.weights)


def test_validation_data_can_be_checked_before_training(tiny, pair):
    """``check_validation_data`` is what ``fit`` needs to refuse bad validation data
    before its first step; flattened data (from ``validation_split``) passes."""
    from kerax.training.checks import check_validation_data

    losses = tiny.model._loss.losses
    for case in ("feature size", "labels that do not fit the loss", "fewer target rows"):
        bad = BAD[case]
        with pytest.raises(ValueError) as info:
            check_validation_data(tiny.model.graph, losses, (bad.x(), bad.y()))
        for part in (*bad.names, '"tiny"'):
            assert part in str(info.value)
    with pytest.raises(ValueError, match=r'"pair".*right.*\(None, 4\)'):
        check_validation_data(pair.model.graph, pair.model._loss.losses, ({"left": X3}, Y))
    check_validation_data(tiny.model.graph, losses, (X3, Y))
    check_validation_data(tiny.model.graph, losses, ([X3], [Y], [None]))
    check_validation_data(tiny.model.graph, losses, iter([(X4, Y)]))  # batches: not consumed


@pytest.mark.parametrize("case", ["feature size", "labels that do not fit the loss"])
def test_bad_validation_data_fails_before_training(tiny, case):
    bad = BAD[case]
    try:
        with pytest.raises(ValueError):
            _fit(tiny.model, tiny.good_x, Y, validation_data=(bad.x(), bad.y()))
        tiny.assert_unchanged()
    finally:
        tiny.model.set_weights(tiny.weights)


@pytest.mark.parametrize("case", sorted(ROW_CASES))
def test_row_count_errors_name_the_model(tiny, case):
    bad = BAD[case]
    with pytest.raises(ValueError, match='"tiny"'):
        ENTRY["fit"](tiny.model, bad)


# ------------------------------------------------------------------ valid data passes
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: X3.astype(np.float64), id="float64"),
        pytest.param(lambda: np.round(X3 * 10).astype(np.int64), id="int64"),
        pytest.param(lambda: X3 > 0, id="bool"),
        pytest.param(lambda: X3[..., None], id="trailing unit axis"),
        pytest.param(lambda: X3.tolist(), id="nested lists"),
        pytest.param(lambda: [X3], id="list of one"),
        pytest.param(lambda: {"features": X3}, id="dict"),
    ],
)
def test_valid_data_in_other_forms_is_accepted(tiny, data):
    """Keras accepts these (it casts numbers and drops a trailing unit axis)."""
    plain = data()
    plain = plain.get("features") if isinstance(plain, dict) else plain
    plain = plain[0] if isinstance(plain, list) and len(plain) == 1 else plain
    expected = tiny.model.predict(np.asarray(plain, np.float32).reshape(ROWS, 3), verbose=0)
    np.testing.assert_allclose(tiny.model.predict(data(), verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(tiny.model(data()), expected, rtol=1e-6)
    tiny.model.evaluate(data(), Y, verbose=0)
    _assert_bits(tiny.model.get_weights(), tiny.weights)


def test_data_without_the_inputs_unit_axis_gets_it():
    """``(n,)`` feeds ``Input(shape=(1,))``, as in Keras."""
    inputs = Input((1,), name="scalar")
    model = kerax.Model(inputs, Dense(2)(inputs), name="one_feature")
    model.compile(optimizer="sgd", loss="mse")
    column = np.arange(ROWS, dtype=np.float32)
    np.testing.assert_array_equal(
        model.predict(column, verbose=0), model.predict(column[:, None], verbose=0)
    )
    assert np.isfinite(model.evaluate(column, Y, verbose=0))


def test_dict_keyed_by_input_layer_names(pair):
    left, right = pair.model.get_layer("left").name, pair.model.get_layer("right").name
    np.testing.assert_array_equal(
        pair.model.predict({left: X3, right: X4}, verbose=0), pair.predictions
    )


# ------------------------------------------------------------------ Sequential
def test_deferred_sequential_refuses_other_feature_sizes_after_building():
    model = kerax.Sequential([Dense(2, name="out")], name="stack")
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r'Sequential "stack".*text') as info:
        model.fit(_text((ROWS, 3)), Y, verbose=0)
    _raised_by_kerax(info)
    assert not model.built
    with pytest.raises(ValueError, match=r'Sequential "stack" takes one input.*\(8, 3\), \(8, 4\)'):
        model.predict([X3, X4], verbose=0)
    assert not model.built
    _fit(model, X3, Y)  # builds it for (None, 3)
    weights = [np.array(w) for w in model.get_weights()]
    predictions = model.predict(X3, verbose=0)
    for call in (
        lambda: model.predict(X4, verbose=0),
        lambda: model(X4),
        lambda: _fit(model, X4, Y),
        lambda: model.train_on_batch(X4, Y),
    ):
        with pytest.raises(ValueError) as info:
            call()
        _raised_by_kerax(info)
        for part in ('"stack"', "(None, 3)", "(8, 4)"):
            assert part in str(info.value)
        _assert_bits(model.get_weights(), weights)
        np.testing.assert_array_equal(model.predict(X3, verbose=0), predictions)
