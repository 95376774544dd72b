"""Activation functions by Keras name, with Keras's formulas and defaults."""

from __future__ import annotations

from collections.abc import Callable

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


def serialize(fn: Activation) -> str | Activation:
    """The Keras name of ``fn`` when it has one, else ``fn`` itself."""
    for name, known in _BY_NAME.items():
        if known is fn:
            return name
    return getattr(fn, "__name__", fn)
