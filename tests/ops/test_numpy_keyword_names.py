"""The NumPy ops whose ``jax.numpy`` function names its parameters differently take
Keras's names: each is called with every argument by keyword, as Keras names it, in
kerax and in keras, and the results compared. The table must cover every op of
``kerax.ops.numpy._signatures``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from kerax import ops
from kerax.ops.numpy import _signatures
from tests.ops._parity import assert_same, keras_ops

RNG = np.random.default_rng(0)
M = RNG.normal(size=(3, 3)).astype("float32")
A = RNG.normal(size=(2, 3)).astype("float32")
V = np.array([3.0, -1.0, 2.0, 0.5], "float32")
W = np.array([1.0, 2.0, 0.0, 1.0], "float32")
I = np.array([[0, 2], [1, 0]], "int32")  # noqa: E741
X3 = RNG.normal(size=(2, 2, 3)).astype("float32")

KWARGS = {
    "arange": {"start": 1, "stop": 7, "step": 2, "dtype": "float32"},
    "bartlett": {"x": 5},
    "blackman": {"x": 5},
    "diag": {"x": V, "k": 1},
    "diagflat": {"x": V[:2], "k": -1},
    "empty": {"shape": (2, 3), "dtype": "float32"},
    "empty_like": {"x": A, "dtype": "float32"},
    "eye": {"N": 3, "M": 4, "k": 1, "dtype": "float32"},
    "full": {"shape": (2, 2), "fill_value": 3.0, "dtype": "float32"},
    "full_like": {"x": A, "fill_value": 2.0, "dtype": "float32"},
    "hamming": {"x": 4},
    "hanning": {"x": 4},
    "kaiser": {"x": 4, "beta": 2.0},
    "linspace": {"start": 0.0, "stop": 1.0, "num": 5, "endpoint": False, "axis": 0},
    "logspace": {"start": 0.0, "stop": 2.0, "num": 3, "base": 2.0},
    "ones": {"shape": (2,), "dtype": "float32"},
    "ones_like": {"x": A, "dtype": "float32"},
    "tril": {"x": M, "k": 0},
    "triu": {"x": M, "k": 1},
    "zeros": {"shape": (3,), "dtype": "float32"},
    "zeros_like": {"x": A, "dtype": "float32"},
    "allclose": {"x1": V, "x2": V + 1e-6, "rtol": 1e-3, "atol": 0.0, "equal_nan": True},
    "isclose": {"x1": V, "x2": W, "rtol": 0.5, "atol": 0.1, "equal_nan": False},
    "isin": {"x1": V, "x2": W, "assume_unique": False, "invert": True},
    "round": {"x": V * 1.234, "decimals": 1},
    "correlate": {"x1": V, "x2": W[:3], "mode": "full"},
    "cross": {"x1": A, "x2": A[::-1], "axisa": -1, "axisb": -1, "axisc": -1},
    "tensordot": {"x1": A, "x2": A.T, "axes": 1},
    "average": {"x": A, "axis": 1, "weights": np.array([1.0, 2.0, 3.0], "float32")},
    "corrcoef": {"x": A},
    "count_nonzero": {"x": I, "axis": 0},
    "cumprod": {"x": A, "axis": 1, "dtype": "float32"},
    "cumsum": {"x": A, "axis": 0, "dtype": "float32"},
    "diff": {"a": V, "n": 2, "axis": -1},
    "histogram": {"x": V, "bins": 3, "range": (-1.0, 3.0)},
    "nancumprod": {"x": A, "axis": 1, "dtype": "float32"},
    "nancumsum": {"x": A, "axis": 0, "dtype": "float32"},
    "trace": {"x": X3, "offset": 0, "axis1": 1, "axis2": 2},
    "array_split": {"x": V, "indices_or_sections": 3, "axis": 0},
    "broadcast_to": {"x": V, "shape": (2, 4)},
    "concatenate": {"xs": [A, A], "axis": 1},
    "dsplit": {"x": X3[..., :2], "indices_or_sections": 2},
    "dstack": {"xs": [A, A]},
    "expand_dims": {"x": A, "axis": 1},
    "flip": {"x": A, "axis": 1},
    "hsplit": {"x": M[:, :2], "indices_or_sections": 2},
    "hstack": {"xs": [A, A]},
    "moveaxis": {"x": X3, "source": 0, "destination": -1},
    "repeat": {"x": A, "repeats": 2, "axis": 0},
    "roll": {"x": A, "shift": 1, "axis": 1},
    "rot90": {"array": A, "k": 3, "axes": (0, 1)},
    "split": {"x": V, "indices_or_sections": 2, "axis": 0},
    "squeeze": {"x": A[None], "axis": 0},
    "stack": {"x": [A, A], "axis": 1},
    "swapaxes": {"x": X3, "axis1": 0, "axis2": 2},
    "transpose": {"x": X3, "axes": (2, 0, 1)},
    "vsplit": {"x": M[:2], "indices_or_sections": 2},
    "vstack": {"xs": [A, A]},
    "argpartition": {"x": V, "kth": 1, "axis": -1},
    "argsort": {"x": A, "axis": 0},
    "diagonal": {"x": X3, "offset": 1, "axis1": 1, "axis2": 2},
    "digitize": {"x": V, "bins": np.array([0.0, 1.0, 2.5], "float32")},
    "searchsorted": {"sorted_sequence": np.sort(V), "values": W, "side": "right"},
    "sort": {"x": A, "axis": 0},
    "take": {"x": A, "indices": I, "axis": 1},
    "take_along_axis": {"x": A, "indices": I, "axis": 1},
}


def _stubs() -> list[str]:
    return sorted(
        n for n, f in vars(_signatures).items() if inspect.isfunction(f) and n != "meshgrid"
    )


def test_every_renamed_op_is_in_the_table():
    assert sorted(KWARGS) == _stubs()


@pytest.mark.parametrize("name", sorted(KWARGS))
def test_keras_keyword_names(name):
    kwargs = KWARGS[name]
    ours = getattr(ops.numpy, name)(**kwargs)
    theirs = getattr(keras_ops("numpy"), name)(**kwargs)
    if name in ("empty", "empty_like"):  # uninitialized values: compare shape and dtype
        assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
        return
    assert_same(ours, theirs, msg=name)


def test_meshgrid_takes_keras_indexing_keyword():
    x, y = V[:2], W[:3]
    assert_same(ops.meshgrid(x, y, indexing="ij"), keras_ops().meshgrid(x, y, indexing="ij"))


def test_numpy_names_are_refused():
    with pytest.raises(TypeError):
        ops.sort(a=V)
    with pytest.raises(TypeError):
        ops.concatenate(arrays=[V, V])
