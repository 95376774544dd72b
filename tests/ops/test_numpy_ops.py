"""kerax.ops NumPy-like ops against keras.ops on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

from kerax import ops
from tests.ops._parity import check

_rng = np.random.default_rng(0)
X = _rng.normal(size=(3, 4)).astype(np.float32)
Y = _rng.normal(size=(3, 4)).astype(np.float32)
V = _rng.normal(size=(5,)).astype(np.float32)
POS = (np.abs(X) + 0.5).astype(np.float32)
NANS = np.where(X > 0.5, np.nan, X).astype(np.float32)
INTS = _rng.integers(0, 8, size=(3, 4)).astype(np.int32)
INTS2 = _rng.integers(1, 4, size=(3, 4)).astype(np.int32)

CASES = [
    # elementwise, new
    ("cbrt", (X,), {}),
    ("deg2rad", (X,), {}),
    ("rad2deg", (X,), {}),
    ("fabs", (X,), {}),
    ("i0", (X,), {}),
    ("isneginf", (np.array([-np.inf, 0.0, np.inf], np.float32),), {}),
    ("isposinf", (np.array([-np.inf, 0.0, np.inf], np.float32),), {}),
    ("isreal", (X,), {}),
    ("angle", (X,), {}),
    ("fliplr", (X,), {}),
    ("flipud", (X,), {}),
    ("fmax", (NANS, Y), {}),
    ("fmin", (NANS, Y), {}),
    ("fmod", (X, POS), {}),
    ("heaviside", (X, Y), {}),
    ("ldexp", (X, INTS2), {}),
    ("logaddexp2", (X, Y), {}),
    ("nextafter", (X, Y), {}),
    ("inner", (X, Y), {}),
    ("bitwise_invert", (INTS,), {}),
    ("bitwise_left_shift", (INTS, INTS2), {}),
    ("bitwise_right_shift", (INTS, INTS2), {}),
    # reductions, new
    ("amax", (X,), {"axis": 1, "keepdims": True}),
    ("amin", (X,), {"axis": 0}),
    ("ptp", (X,), {"axis": 1}),
    ("nanmax", (NANS,), {"axis": 1}),
    ("nanmin", (NANS,), {}),
    ("nanmean", (NANS,), {"axis": 0, "keepdims": True}),
    ("nansum", (NANS,), {"axis": 1}),
    ("nanprod", (NANS,), {"axis": 1}),
    ("nanstd", (NANS,), {"axis": 1}),
    ("nanvar", (NANS,), {"axis": 1}),
    ("nanmedian", (NANS,), {"axis": 1}),
    ("nanargmax", (NANS,), {"axis": 1}),
    ("nanargmin", (NANS,), {"axis": 1}),
    ("nancumsum", (NANS,), {"axis": 1}),
    ("nancumprod", (NANS,), {"axis": 1}),
    ("percentile", (X, 30.0), {"axis": 1}),
    ("nanpercentile", (NANS, 30.0), {"axis": 1}),
    ("nanquantile", (NANS, 0.3), {"axis": 1}),
    # Keras's positional order for reductions (jax.numpy's differs).
    ("sum", (X, 1, True), {}),
    ("mean", (X, (0, 1), True), {}),
    ("max", (X, 1, True), {}),
    ("argmax", (X, 1, True), {}),
    ("std", (X, 0, True), {}),
    ("prod", (X, 1, False), {}),
    ("median", (X, 1, True), {}),
    ("quantile", (X, 0.25, 1), {}),
    ("nan_to_num", (NANS, 7.0), {}),
    ("clip", (X,), {"x_min": -0.5, "x_max": 0.5}),
    ("reshape", (X,), {"newshape": (4, 3)}),
    ("tile", (V,), {"repeats": 2}),
    ("pad", (X, ((1, 0), (0, 2)), "constant", 3.0), {}),
    ("where", (X > 0, X, Y), {}),
    ("append", (X, Y), {"axis": 0}),
    # constructors, splitting, the rest
    ("tri", (3, 4, 1), {}),
    ("geomspace", (1.0, 100.0, 5), {}),
    ("hamming", (6,), {}),
    ("hanning", (6,), {}),
    ("bartlett", (6,), {}),
    ("blackman", (6,), {}),
    ("kaiser", (6, 2.0), {}),
    ("vander", (V, 3), {}),
    ("diagflat", (V[:3],), {"k": 1}),
    ("corrcoef", (X,), {}),
    ("isin", (INTS, np.array([1, 3], np.int32)), {}),
    ("array_split", (V, 2), {}),
    ("hsplit", (X, 2), {}),
    ("vsplit", (np.ones((4, 3), np.float32), 2), {}),
    ("dsplit", (np.ones((2, 2, 4), np.float32), 2), {}),
    ("histogram", (V,), {"bins": 4}),
    ("trapezoid", (X,), {"axis": 1}),
    ("unravel_index", (np.array([1, 5, 7]), (2, 4)), {}),
    ("empty_like", (X,), {}),
    ("allclose", (X, X + 1e-9), {}),
    ("divide_no_nan", (X, np.where(Y > 0, Y, 0).astype(np.float32)), {}),
    ("slogdet", (np.eye(3, dtype=np.float32) * 2,), {}),
    ("array", (V,), {"dtype": "float32"}),
    ("bincount", (INTS,), {"minlength": 9}),
    ("bincount", (INTS[0],), {"weights": X[0]}),
    ("unique", (INTS.ravel(),), {"return_counts": True}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_numpy_ops_match_keras(name, args, kwargs):
    if name == "empty_like":
        assert ops.empty_like(*args).shape == args[0].shape
        return
    check(name, *args, **kwargs)


def test_numpy_namespace_has_the_new_ops():
    for name in ("nanmean", "cbrt", "divide_no_nan", "slogdet", "get_item", "vectorize"):
        assert getattr(ops.numpy, name) is getattr(ops, name)


def test_queries_and_views():
    assert ops.ndim(X) == 2
    np.testing.assert_array_equal(np.asarray(ops.nonzero(INTS)[1]), np.nonzero(INTS)[1])
    np.testing.assert_array_equal(np.asarray(ops.view(X, "int32")), X.view(np.int32))
    np.testing.assert_allclose(np.asarray(ops.get_item(X, (1, 2))), X[1, 2])
    doubled = ops.vectorize(lambda a, b: a * b + 1)(V, 2.0)
    np.testing.assert_allclose(np.asarray(doubled), V * 2 + 1, rtol=1e-6)
