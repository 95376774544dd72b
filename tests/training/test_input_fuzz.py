"""Property-based fuzz of the input contract.

Random shapes, dtypes and nestings, valid and invalid, go to ``predict``,
``evaluate``, ``fit`` and ``model(x)``. Valid data is never refused; invalid data
gets a ValueError or TypeError raised by kerax itself (not from inside JAX), naming
the input, and the weights stay bit-identical.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# Hypothesis caches what it learns under ``.hypothesis`` in the working directory; keep
# the checkout clean (it is read when first needed, so setting it here is in time).
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "kerax-hypothesis")
)

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kerax  # noqa: E402
from kerax.layers import Dense, Input  # noqa: E402

KERAX_DIR = Path(kerax.__file__).resolve().parent
FEATURES = 3
ROWS = (2, 5)


@pytest.fixture(scope="module")
def model() -> Any:
    inputs = Input((FEATURES,), name="features")
    model = kerax.Model(inputs, Dense(2, name="out")(inputs), name="fuzzed")
    model.compile(optimizer="sgd", loss="mse")
    return model


def _array(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) % 7 - 3
    if dtype == "str":
        return values.astype(str)
    if dtype == "object":
        return values.astype(object)
    return values.astype(dtype)


GOOD_DTYPES = ("float32", "float64", "int32", "int64", "bool")
BAD_DTYPES = ("str", "object", "complex64")


@st.composite
def inputs(draw: st.DrawFn) -> tuple[Any, int, bool]:
    """``(x, rows, valid)``: data for a model with one input of shape (None, 3)."""
    rows = draw(st.sampled_from(ROWS))
    valid = True
    kind = draw(st.sampled_from(["good", "good", "feature", "rank", "dtype"]))
    dtype = draw(st.sampled_from(GOOD_DTYPES))
    shape: tuple[int, ...] = (rows, FEATURES)
    if kind == "good":
        # Keras's rank adjustment: one trailing unit axis more is dropped.
        shape = draw(st.sampled_from([(rows, FEATURES), (rows, FEATURES, 1)]))
    elif kind == "feature":
        shape = (rows, draw(st.integers(1, 6).filter(lambda k: k != FEATURES)))
        valid = False
    elif kind == "rank":
        extra = draw(st.lists(st.integers(2, 3), min_size=1, max_size=2))
        shape = draw(st.sampled_from([(rows,), (rows, FEATURES, *extra), (FEATURES,)]))
        valid = False
    else:
        dtype = draw(st.sampled_from(BAD_DTYPES))
        valid = False
    x: Any = _array(shape, dtype)
    nesting = draw(
        st.sampled_from(
            ["array", "array", "list", "dict", "nested lists", "two", "extra key", "bad key"]
        )
    )
    if nesting == "list":
        x = [x]
    elif nesting == "dict":
        x = {"features": x}
    elif nesting == "nested lists" and dtype in ("float32", "int32") and kind != "dtype":
        x = x.tolist()
    elif nesting == "two":
        x, valid = [x, x], False
    elif nesting == "extra key":
        x, valid = {"features": x, "other": x}, False
    elif nesting == "bad key":
        x, valid = {"feature": x}, False
    return x, rows, valid


def _weights(model: Any) -> list[bytes]:
    return [w.tobytes() for w in model.get_weights()]


def _call(model: Any, entry: str, x: Any, rows: int) -> Any:
    y = np.zeros((rows, 2), np.float32)
    if entry == "predict":
        return model.predict(x, verbose=0)
    if entry == "evaluate":
        return model.evaluate(x, y, verbose=0)
    if entry == "fit":
        return model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    return model(x)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=inputs(), entry=st.sampled_from(["predict", "evaluate", "fit", "call"]))
def test_any_input_is_accepted_or_clearly_refused(model, case, entry):
    x, rows, valid = case
    event("valid" if valid else "invalid")
    before = [w.copy() for w in model.get_weights()]
    if valid:
        out = _call(model, entry, x, rows)
        if entry in ("predict", "call"):
            assert np.shape(out) == (rows, 2)
        model.set_weights(before)  # fit trains: back to the start for the next example
        return
    with pytest.raises((ValueError, TypeError)) as info:
        _call(model, entry, x, rows)
    last = Path(str(info.traceback[-1].path)).resolve()
    assert last.is_relative_to(KERAX_DIR) and "jax/_src" not in str(last), last
    assert "features" in str(info.value), str(info.value)
    assert _weights(model) == [w.tobytes() for w in before]
