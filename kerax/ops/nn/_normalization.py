"""Normalization ops: moments, norm scaling, and batch, layer and RMS normalization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op

_EPSILON = 1e-7  # Keras's backend epsilon, the default of the normalization ops.


@op
def moments(
    x: Tensor,
    axes: int | Sequence[int],
    keepdims: bool = False,
    synchronized: bool = False,
) -> tuple[Array, Array]:
    """The mean and variance of ``x`` over ``axes`` (``synchronized`` is accepted for
    Keras compatibility: a jitted step already reduces over the whole batch)."""
    axes = tuple(axes) if isinstance(axes, list) else axes
    return jnp.mean(x, axes, keepdims=keepdims), jnp.var(x, axes, keepdims=keepdims)


@op
def normalize(x: Tensor, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Array:
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"`order` must be an int >= 1, received {order!r}.")
    x = jnp.asarray(x)
    eps = _EPSILON if epsilon is None else epsilon
    if order == 2:
        inv = jax.lax.rsqrt(jnp.sum(x * x, axis=axis, keepdims=True))
        return x * jnp.minimum(inv, 1.0 / eps)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, eps)


@op
def batch_normalization(
    x: Tensor,
    mean: Tensor,
    variance: Tensor,
    axis: int,
    offset: Tensor | None = None,
    scale: Tensor | None = None,
    epsilon: float = 1e-3,
) -> Array:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics
    being vectors along ``axis``."""
    x = jnp.asarray(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x - jnp.reshape(mean, shape)) * jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if scale is not None:
        y = y * jnp.reshape(scale, shape)
    if offset is not None:
        y = y + jnp.reshape(offset, shape)
    return y


def _norm_setup(x: Any, axis: Any) -> tuple[Any, Any, tuple[int, ...], list[int]]:
    x = jnp.asarray(x)
    dtype = x.dtype
    x = x.astype(jnp.promote_types(dtype, jnp.float32))
    axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)))
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return x, dtype, axes, shape


def _param(v: Any, shape: list[int], axes: tuple[int, ...], ndim: int, dtype: Any) -> Any:
    v = jnp.asarray(v, dtype)
    return v if axes == (ndim - 1,) or v.ndim == ndim else jnp.reshape(v, shape)


@op
def layer_normalization(
    x: Tensor,
    gamma: Tensor | None = None,
    beta: Tensor | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
    rms_scaling: bool = False,
) -> Array:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis`` (computed in
    at least float32; with ``rms_scaling``, no centering and no ``beta``)."""
    eps = _EPSILON if epsilon is None else epsilon
    x, dtype, axes, shape = _norm_setup(x, axis)
    mean, var = jnp.mean(x, axes, keepdims=True), jnp.var(x, axes, keepdims=True)
    inv = jax.lax.rsqrt(var + eps)
    if gamma is not None:
        inv = inv * _param(gamma, shape, axes, x.ndim, x.dtype)
    if rms_scaling:
        return (x * inv).astype(dtype)
    out = (x - mean) * inv
    if beta is not None:
        out = out + _param(beta, shape, axes, x.ndim, x.dtype)
    return out.astype(dtype)


@op
def rms_normalization(
    x: Tensor,
    scale: Tensor | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
) -> Array:
    """``x / sqrt(mean(x**2) + epsilon) * scale`` over ``axis`` (in at least float32)."""
    eps = _EPSILON if epsilon is None else epsilon
    x, dtype, axes, shape = _norm_setup(x, axis)
    out = x * jax.lax.rsqrt(jnp.mean(x * x, axes, keepdims=True) + eps)
    if scale is not None:
        out = out * jnp.asarray(scale, x.dtype)
    return out.astype(dtype)


__all__ = exports(__name__)
