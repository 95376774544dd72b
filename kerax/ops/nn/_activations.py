"""Activation ops: the elementwise nonlinearities, and softmax, its log and sparsemax."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, alias, exports, op


@op
def relu(x: Tensor) -> Array:
    """``max(x, 0)``."""
    return jax.nn.relu(x)


@op
def relu6(x: Tensor) -> Array:
    """``min(max(x, 0), 6)``."""
    return jax.nn.relu6(x)


@op
def sigmoid(x: Tensor) -> Array:
    """``1 / (1 + exp(-x))``."""
    return jax.nn.sigmoid(x)


@op
def hard_sigmoid(x: Tensor) -> Array:
    """The piecewise-linear sigmoid ``relu6(x + 3) / 6``."""
    return jax.nn.relu6(jnp.asarray(x) + 3.0) / 6.0


@op
def sparse_sigmoid(x: Tensor) -> Array:
    """0 below -1, 1 above 1, and ``(x + 1) / 2`` between."""
    return jnp.clip((jnp.asarray(x) + 1.0) / 2.0, 0.0, 1.0)


@op
def softmax(x: Tensor, axis: int | Sequence[int] = -1) -> Array:
    """``exp(x)`` normalized to sum to 1 over ``axis``."""
    return jax.nn.softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


@op
def log_softmax(x: Tensor, axis: int | Sequence[int] = -1) -> Array:
    """``log(softmax(x))``, computed stably."""
    return jax.nn.log_softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


@op
def sparsemax(x: Tensor, axis: int = -1) -> Array:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``
    (like softmax, but with exact zeros)."""
    x = jnp.asarray(x)
    z = jnp.moveaxis(x, axis, -1)
    desc = -jnp.sort(-z, axis=-1)
    rank = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cums = jnp.cumsum(desc, axis=-1)
    support = desc * rank > cums - 1
    k = jnp.sum(support, axis=-1, keepdims=True)
    tau = (jnp.sum(jnp.where(support, desc, 0), axis=-1, keepdims=True) - 1) / k
    return jnp.moveaxis(jnp.maximum(z - tau, 0), -1, axis)


@op
def gelu(x: Tensor, approximate: bool = True) -> Array:
    """The Gaussian error linear unit (the tanh approximation unless ``approximate``
    is ``False``; the Keras *activation* defaults to exact, this op does not)."""
    return jax.nn.gelu(x, approximate=approximate)


@op
def silu(x: Tensor) -> Array:
    """``x * sigmoid(x)`` (also called swish)."""
    return jax.nn.silu(x)


swish = alias(silu, "swish")


@op
def hard_silu(x: Tensor) -> Array:
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    x = jnp.asarray(x)
    return x * jax.nn.relu6(x + 3.0) / 6.0


hard_swish = alias(hard_silu, "hard_swish")


@op
def elu(x: Tensor, alpha: float = 1.0) -> Array:
    """``x`` if positive, else ``alpha * (exp(x) - 1)``."""
    return jax.nn.elu(x, alpha)


@op
def selu(x: Tensor) -> Array:
    """The self-normalizing ELU (fixed scale and alpha)."""
    return jax.nn.selu(x)


@op
def celu(x: Tensor, alpha: float = 1.0) -> Array:
    """``max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)``."""
    x = jnp.asarray(x)
    return jnp.maximum(x, 0) + jnp.minimum(alpha * jnp.expm1(x / alpha), 0)


@op
def glu(x: Tensor, axis: int = -1) -> Array:
    """The gated linear unit: ``a * sigmoid(b)`` for the halves ``a, b`` of ``x``
    along ``axis``."""
    a, b = jnp.split(jnp.asarray(x), 2, axis=axis)
    return a * jax.nn.sigmoid(b)


@op
def softplus(x: Tensor) -> Array:
    """``log(1 + exp(x))``, computed stably."""
    return jax.nn.softplus(x)


@op
def softsign(x: Tensor) -> Array:
    """``x / (1 + |x|)``."""
    return jax.nn.soft_sign(x)


@op
def sparse_plus(x: Tensor) -> Array:
    """0 below -1, ``x`` above 1, and ``(x + 1)**2 / 4`` between."""
    x = jnp.asarray(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4))


@op
def squareplus(x: Tensor, b: float = 4) -> Array:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU."""
    x = jnp.asarray(x)
    return (x + jnp.sqrt(x * x + b)) / 2


@op
def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Array:
    """``x`` if positive, else ``negative_slope * x``."""
    return jax.nn.leaky_relu(x, negative_slope)


@op
def log_sigmoid(x: Tensor) -> Array:
    """``log(sigmoid(x))``, computed stably."""
    return jax.nn.log_sigmoid(x)


@op
def hard_tanh(x: Tensor) -> Array:
    """``x`` clipped to ``[-1, 1]``."""
    return jnp.clip(x, -1.0, 1.0)


@op
def hard_shrink(x: Tensor, threshold: float = 0.5) -> Array:
    """``x`` where ``|x| > threshold``, else 0."""
    x = jnp.asarray(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@op
def soft_shrink(x: Tensor, threshold: float = 0.5) -> Array:
    """``x`` moved toward 0 by ``threshold`` (0 within ``[-threshold, threshold]``)."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@op
def tanh_shrink(x: Tensor) -> Array:
    """``x - tanh(x)``."""
    x = jnp.asarray(x)
    return x - jnp.tanh(x)


@op
def threshold(x: Tensor, threshold: float, default_value: float) -> Array:
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x, default_value)


__all__ = exports(__name__)
