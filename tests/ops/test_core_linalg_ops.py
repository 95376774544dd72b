"""kerax.ops core, control-flow and linear-algebra ops against keras.ops."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerax import ops
from tests.ops._parity import assert_same, check, keras_ops

_rng = np.random.default_rng(2)
A = _rng.normal(size=(3, 3)).astype(np.float32)
SPD = (A @ A.T + 3 * np.eye(3)).astype(np.float32)
LOWER = np.linalg.cholesky(SPD).astype(np.float32)
B = _rng.normal(size=(3, 2)).astype(np.float32)
X = _rng.normal(size=(2, 3, 4)).astype(np.float32)

LINALG = [
    ("cholesky", (SPD,), {"upper": True}),
    ("cholesky_inverse", (LOWER,), {}),
    ("cholesky_inverse", (LOWER.T,), {"upper": True}),
    ("solve_triangular", (LOWER, B), {"lower": True}),
    ("lstsq", (A, B), {}),
    ("matrix_rank", (A,), {}),
    ("pinv", (A[:, :2],), {}),
    ("lu_factor", (np.stack([A, SPD]),), {}),
    ("qr", (A,), {"mode": "complete"}),
    ("svd", (A,), {"compute_uv": False}),
    ("norm", (A,), {"ord": "fro", "axis": (0, 1)}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), LINALG, ids=[c[0] for c in LINALG])
def test_linalg_ops_match_keras(name, args, kwargs):
    check(name, *args, namespace="linalg", rtol=1e-4, atol=1e-4, **kwargs)
    assert getattr(ops, name) is getattr(ops.linalg, name)


def test_eig_and_jvp():
    w, v = ops.eig(SPD)
    np.testing.assert_allclose(
        np.sort(np.real(np.asarray(w))), np.linalg.eigvalsh(SPD), rtol=1e-4, atol=1e-4
    )
    assert v.shape == (3, 3)
    out, tangent = ops.linalg.jvp(jnp.sin, (jnp.asarray(A),), (jnp.ones_like(A),))
    np.testing.assert_allclose(np.asarray(tangent), np.cos(A), rtol=1e-6)


CORE = [
    ("saturate_cast", (np.array([-3.0, 1.5, 300.0, np.inf], np.float32), "uint8"), {}),
    ("saturate_cast", (np.array([-3e9, 0.0, 3e9], np.float32), "int32"), {}),
    ("saturate_cast", (np.array([-70000, 5, 70000], np.int32), "int16"), {}),
    ("scatter_update", (np.zeros((3, 4), np.float32), [[0, 1], [2, 3]], [5.0, 6.0]), {}),
    (
        "scatter_update",
        (np.ones((3, 4), np.float32), [[0, 1], [0, 1]], [5.0, 6.0]),
        {"reduction": "add"},
    ),
    ("unstack", (X,), {"axis": 1}),
    ("slice", (X, (0, 1, 1), (-1, 2, 2)), {}),
    ("convert_to_tensor", (X, "float16"), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CORE, ids=[c[0] for c in CORE])
def test_core_ops_match_keras(name, args, kwargs):
    check(name, *args, **kwargs)


@pytest.mark.parametrize(
    ("pattern", "lengths"),
    [
        ("b h w -> b w h", {}),
        ("b h w -> (b h) w", {}),
        ("b h w -> b (w h)", {}),
        ("b h (w1 w) -> (b w1) h w", {"w1": 2}),
        ("b (h h1) (w w1) -> b h w (h1 w1)", {"h1": 3, "w1": 2}),
    ],
)
def test_rearrange_matches_keras(pattern, lengths):
    check("rearrange", np.arange(72.0).reshape(2, 6, 6), pattern, **lengths)


def test_rearrange_errors():
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(X, "a b c -> a b")
    with pytest.raises(ValueError, match="names 2 axes"):
        ops.rearrange(X, "a b -> b a")


def test_queries():
    k = keras_ops()
    assert ops.dtype(X) == k.dtype(X) == "float32"
    assert ops.dtype(jnp.ones(2, "int32")) == "int32"
    assert ops.is_tensor(jnp.ones(2)) and not ops.is_tensor(X)
    assert ops.shape(X) == (2, 3, 4)


def test_function_transforms_match_keras():
    k = keras_ops()
    elems = jnp.arange(1.0, 6.0)
    assert_same(
        ops.associative_scan(jnp.add, elems), k.associative_scan(jnp.add, elems), msg="scan"
    )
    assert_same(
        ops.associative_scan(jnp.multiply, elems, reverse=True),
        k.associative_scan(jnp.multiply, elems, reverse=True),
    )
    assert_same(ops.vectorized_map(jnp.sum, X), k.vectorized_map(jnp.sum, X))

    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return jnp.clip(upstream, -0.5, 0.5)

        return x, grad

    grads = jax.grad(lambda x: jnp.sum(clipped_identity(x) * 3.0))(jnp.ones(3))
    np.testing.assert_allclose(np.asarray(grads), [0.5, 0.5, 0.5])
