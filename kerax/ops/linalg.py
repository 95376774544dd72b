"""``kerax.ops.linalg``: Keras's linear algebra ops (all also at ``kerax.ops``).

Every op works on batches of matrices (the last two axes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from kerax.ops._core import Array, Tensor, export, exports, op


@op
def norm(
    x: Tensor,
    ord: int | float | str | None = None,  # noqa: A002 - Keras's name
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
) -> Array:
    """The vector or matrix norm of ``x`` (``jax.numpy.linalg.norm``)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype("float32")
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


@op
def inv(x: Tensor) -> Array:
    """The inverse of the square matrix ``x``."""
    return jnp.linalg.inv(x)


@op
def det(x: Tensor) -> Array:
    """The determinant of the square matrix ``x``."""
    return jnp.linalg.det(x)


@op
def slogdet(x: Tensor) -> tuple[Array, Array]:
    """``(sign, log|det|)`` of the square matrix ``x``."""
    sign, logabsdet = jnp.linalg.slogdet(x)
    return sign, logabsdet


@op
def solve(a: Tensor, b: Tensor) -> Array:
    """``x`` with ``a @ x = b``, for a square, invertible ``a``."""
    return jnp.linalg.solve(a, b)


@op
def solve_triangular(a: Tensor, b: Tensor, lower: bool = False) -> Array:
    """``x`` with ``a @ x = b``, for a triangular ``a`` (upper unless ``lower``)."""
    return jsl.solve_triangular(a, b, lower=lower)


@op
def cholesky(x: Tensor, upper: bool = False) -> Array:
    """The Cholesky factor of the positive-definite ``x``: lower ``L`` with
    ``x = L @ L^H``, or upper ``U`` with ``x = U^H @ U``."""
    lower = jnp.linalg.cholesky(x)
    return jnp.swapaxes(lower, -1, -2).conj() if upper else lower


@op
def cholesky_inverse(x: Tensor, upper: bool = False) -> Array:
    """The inverse of ``A`` given its Cholesky factor ``x`` (lower unless ``upper``)."""
    x = jnp.asarray(x)
    eye = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    inv_factor = jsl.solve_triangular(x, eye, lower=not upper)
    t = jnp.swapaxes(inv_factor, -1, -2).conj()
    return inv_factor @ t if upper else t @ inv_factor


@op
def qr(x: Tensor, mode: str = "reduced") -> tuple[Array, Array]:
    """The QR decomposition ``(q, r)`` of ``x``; ``mode`` is ``"reduced"`` or ``"complete"``."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` must be 'reduced' or 'complete', received {mode!r}.")
    q, r = jnp.linalg.qr(x, mode=mode)
    return q, r


@op
def svd(x: Tensor, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """The singular value decomposition ``(u, s, vh)`` of ``x`` (``s`` only without
    ``compute_uv``)."""
    out = jnp.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


@op
def eig(x: Tensor) -> tuple[Array, Array]:
    """Eigenvalues and right eigenvectors of the square ``x`` (complex; CPU only in JAX)."""
    w, v = jnp.linalg.eig(x)
    return w, v


@op
def eigh(x: Tensor) -> tuple[Array, Array]:
    """Eigenvalues (ascending) and eigenvectors of the symmetric / Hermitian ``x``."""
    w, v = jnp.linalg.eigh(x)
    return w, v


@op
def lstsq(a: Tensor, b: Tensor, rcond: float | None = None) -> Array:
    """The least-squares solution ``x`` of ``a @ x = b``."""
    return jnp.linalg.lstsq(a, b, rcond=rcond)[0]


@op
def lu_factor(x: Tensor) -> tuple[Array, Array]:
    """The pivoted LU factorization ``(lu, pivots)`` of ``x`` (``jax.scipy``'s layout)."""
    x = jnp.asarray(x)
    fn = jsl.lu_factor
    for _ in range(x.ndim - 2):
        fn = jax.vmap(fn)
    lu, piv = fn(x)
    return lu, piv


@op
def matrix_rank(x: Tensor, tol: float | None = None) -> Array:
    """The rank of ``x`` (singular values above ``tol``), as ``int32``."""
    return jnp.linalg.matrix_rank(x, tol=tol).astype("int32")


@op
def pinv(x: Tensor, rcond: float | None = None) -> Array:
    """The Moore-Penrose pseudo-inverse of ``x``."""
    return jnp.linalg.pinv(x, rcond)  # (``rcond``, or ``rtol`` in newer JAX: the same)


@export
def jvp(
    fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> Any:
    """``(fun(*primals), J(primals) @ tangents)``: a forward-mode Jacobian-vector product
    (with ``fun``'s auxiliary output last if ``has_aux``)."""
    return jax.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)


__all__ = exports(__name__)
