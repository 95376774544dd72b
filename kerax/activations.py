"""Activation functions by Keras name, with Keras's formulas and defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from kerax.errors import unknown_name

Activation = Callable[[jax.Array], jax.Array]


def linear(x: jax.Array) -> jax.Array:
    """The identity."""
    return x


def relu(
    x: jax.Array,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> jax.Array:
    """``max(x, 0)``, with Keras's optional slope, cap and threshold."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return jax.nn.relu(x)
    y = jnp.where(x >= threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = jnp.minimum(y, max_value)
    return y


def relu6(x: jax.Array) -> jax.Array:
    """``min(max(x, 0), 6)``."""
    return jax.nn.relu6(x)


def leaky_relu(x: jax.Array, negative_slope: float = 0.2) -> jax.Array:
    """``x`` for ``x >= 0``, else ``negative_slope * x`` (Keras's default slope 0.2)."""
    return jax.nn.leaky_relu(x, negative_slope)


def sigmoid(x: jax.Array) -> jax.Array:
    """``1 / (1 + exp(-x))``."""
    return jax.nn.sigmoid(x)


def hard_sigmoid(x: jax.Array) -> jax.Array:
    """``relu6(x + 3) / 6``."""
    return jax.nn.relu6(x + 3.0) / 6.0


def hard_silu(x: jax.Array) -> jax.Array:
    """``x * hard_sigmoid(x)``."""
    return x * hard_sigmoid(x)


def softmax(x: jax.Array, axis: int = -1) -> jax.Array:
    """Normalised exponentials along ``axis``."""
    return jax.nn.softmax(x, axis=axis)


def log_softmax(x: jax.Array, axis: int = -1) -> jax.Array:
    """``log(softmax(x))``, computed stably."""
    return jax.nn.log_softmax(x, axis=axis)


def tanh(x: jax.Array) -> jax.Array:
    """The hyperbolic tangent."""
    return jnp.tanh(x)


def elu(x: jax.Array, alpha: float = 1.0) -> jax.Array:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return jax.nn.elu(x, alpha)


def selu(x: jax.Array) -> jax.Array:
    """The scaled ELU of Klambauer et al."""
    return jax.nn.selu(x)


def gelu(x: jax.Array, approximate: bool = False) -> jax.Array:
    """The Gaussian error linear unit; the exact (erf) form by default, as in Keras."""
    return jax.nn.gelu(x, approximate=approximate)


def silu(x: jax.Array) -> jax.Array:
    """``x * sigmoid(x)`` (also called swish)."""
    return jax.nn.silu(x)


def softplus(x: jax.Array) -> jax.Array:
    """``log(exp(x) + 1)``."""
    return jax.nn.softplus(x)


def softsign(x: jax.Array) -> jax.Array:
    """``x / (abs(x) + 1)``."""
    return jax.nn.soft_sign(x)


def exponential(x: jax.Array) -> jax.Array:
    """``exp(x)``."""
    return jnp.exp(x)


def mish(x: jax.Array) -> jax.Array:
    """``x * tanh(softplus(x))``."""
    return x * jnp.tanh(jax.nn.softplus(x))


def celu(x: jax.Array, alpha: float = 1.0) -> jax.Array:
    """``x`` for ``x >= 0``, else ``alpha * (exp(x / alpha) - 1)``."""
    return jax.nn.celu(x, alpha)


def glu(x: jax.Array, axis: int = -1) -> jax.Array:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second."""
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: axis {axis} of the input must have an even size, received shape {x.shape}."
        )
    a, b = jnp.split(x, 2, axis=axis)
    return a * jax.nn.sigmoid(b)


def hard_shrink(x: jax.Array, threshold: float = 0.5) -> jax.Array:
    """``x`` where ``|x| > threshold``, else 0."""
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros_like(x))


def hard_tanh(x: jax.Array) -> jax.Array:
    """``x`` clipped to ``[-1, 1]``."""
    return jnp.clip(x, -1.0, 1.0)


def log_sigmoid(x: jax.Array) -> jax.Array:
    """``log(sigmoid(x))``, computed stably."""
    return jax.nn.log_sigmoid(x)


def soft_shrink(x: jax.Array, threshold: float = 0.5) -> jax.Array:
    """``x`` moved ``threshold`` towards 0, and 0 within ``[-threshold, threshold]``."""
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


def sparse_plus(x: jax.Array) -> jax.Array:
    """0 below -1, ``x`` above 1, and ``(x + 1)**2 / 4`` between."""
    return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, 0.25 * (x + 1.0) ** 2))


def sparse_sigmoid(x: jax.Array) -> jax.Array:
    """0 below -1, 1 above 1, and ``(x + 1) / 2`` between."""
    return jnp.clip(0.5 * (x + 1.0), 0.0, 1.0)


def sparsemax(x: jax.Array, axis: int = -1) -> jax.Array:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``:
    like softmax, but exactly 0 for the smallest entries."""
    moved = jnp.moveaxis(x, axis, -1)
    z = -jnp.sort(-moved, axis=-1)
    k = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cumulative = jnp.cumsum(z, axis=-1)
    support = (1.0 + k * z) > cumulative
    size = jnp.sum(support, axis=-1, keepdims=True)
    tau = (jnp.take_along_axis(cumulative, size - 1, axis=-1) - 1.0) / size.astype(z.dtype)
    return jnp.moveaxis(jnp.maximum(moved - tau, 0.0), -1, axis)


def squareplus(x: jax.Array, b: float = 4) -> jax.Array:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU."""
    return 0.5 * (x + jnp.sqrt(x * x + b))


def tanh_shrink(x: jax.Array) -> jax.Array:
    """``x - tanh(x)``."""
    return x - jnp.tanh(x)


def threshold(x: jax.Array, threshold: float, default_value: float) -> jax.Array:
    """``x`` where ``x > threshold``, else ``default_value``."""
    return jnp.where(x > threshold, x, default_value)


# Keras's second names of the same functions.
swish = silu
hard_swish = hard_silu


_BY_NAME: dict[str, Activation] = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "tanh": tanh,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "silu": silu,
    "swish": silu,
    "softplus": softplus,
    "softsign": softsign,
    "exponential": exponential,
    "mish": mish,
    "celu": celu,
    "glu": glu,
    "hard_shrink": hard_shrink,
    "hard_tanh": hard_tanh,
    "log_sigmoid": log_sigmoid,
    "soft_shrink": soft_shrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
    "threshold": threshold,
}


def get(identifier: str | Activation | None) -> Activation:
    """Resolves an activation given by name, callable or ``None`` (linear).

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]
    raise unknown_name("activation", identifier, _BY_NAME)


def serialize(activation: Activation) -> str | Activation:
    """The Keras name of ``activation`` when it has one, else its ``__name__``."""
    for name, known in _BY_NAME.items():
        if known is activation:
            return name
    return getattr(activation, "__name__", activation)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Activation:
    """The activation a name or a Keras config dict (``{"class_name": ...}``) stands for,
    looked up in ``custom_objects`` first.

    Raises:
        ValueError: For an unknown name.
    """
    name = config.get("config", config.get("class_name")) if isinstance(config, dict) else config
    if isinstance(name, dict):
        name = name.get("name", config.get("class_name"))
    if custom_objects and isinstance(name, str) and name in custom_objects:
        return custom_objects[name]
    return get(name)
