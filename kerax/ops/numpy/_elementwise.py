"""Elementwise ops: math, comparisons, logic and bitwise functions, broadcast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, export, exports, op
from kerax.ops.numpy._make import binary, bitwise, define, direct, unary

define(
    globals(),
    unary,
    {
        "abs": "abs",
        "absolute": "abs",
        "angle": "angle",
        "arccos": "arccos",
        "arccosh": "arccosh",
        "arcsin": "arcsin",
        "arcsinh": "arcsinh",
        "arctan": "arctan",
        "arctanh": "arctanh",
        "bitwise_invert": "bitwise_invert",
        "bitwise_not": "bitwise_not",
        "cbrt": "cbrt",
        "ceil": "ceil",
        "conj": "conj",
        "conjugate": "conjugate",
        "cos": "cos",
        "cosh": "cosh",
        "deg2rad": "deg2rad",
        "exp": "exp",
        "exp2": "exp2",
        "expm1": "expm1",
        "fabs": "fabs",
        "floor": "floor",
        "i0": "i0",
        "imag": "imag",
        "isfinite": "isfinite",
        "isinf": "isinf",
        "isnan": "isnan",
        "isneginf": "isneginf",
        "isposinf": "isposinf",
        "isreal": "isreal",
        "log": "log",
        "log10": "log10",
        "log1p": "log1p",
        "log2": "log2",
        "logical_not": "logical_not",
        "negative": "negative",
        "rad2deg": "rad2deg",
        "real": "real",
        "reciprocal": "reciprocal",
        "sign": "sign",
        "signbit": "signbit",
        "sin": "sin",
        "sinc": "sinc",
        "sinh": "sinh",
        "sqrt": "sqrt",
        "square": "square",
        "tan": "tan",
        "tanh": "tanh",
        "trunc": "trunc",
    },
)
define(
    globals(),
    binary,
    {
        "add": "add",
        "arctan2": "arctan2",
        "divide": "divide",
        "equal": "equal",
        "floor_divide": "floor_divide",
        "fmax": "fmax",
        "fmin": "fmin",
        "fmod": "fmod",
        "gcd": "gcd",
        "greater": "greater",
        "greater_equal": "greater_equal",
        "heaviside": "heaviside",
        "hypot": "hypot",
        "lcm": "lcm",
        "ldexp": "ldexp",
        "less": "less",
        "less_equal": "less_equal",
        "logaddexp": "logaddexp",
        "logaddexp2": "logaddexp2",
        "logical_and": "logical_and",
        "logical_or": "logical_or",
        "logical_xor": "logical_xor",
        "maximum": "maximum",
        "minimum": "minimum",
        "mod": "mod",
        "multiply": "multiply",
        "nextafter": "nextafter",
        "not_equal": "not_equal",
        "power": "power",
        "subtract": "subtract",
        "true_divide": "divide",
    },
)
define(
    globals(),
    bitwise,
    {
        "bitwise_and": "bitwise_and",
        "bitwise_left_shift": "left_shift",
        "bitwise_or": "bitwise_or",
        "bitwise_right_shift": "right_shift",
        "bitwise_xor": "bitwise_xor",
        "left_shift": "left_shift",
        "right_shift": "right_shift",
    },
)
define(globals(), direct, ["allclose", "isclose", "isin", "round"])


@op
def clip(x: Tensor, x_min: Tensor, x_max: Tensor) -> Array:
    """``x`` limited to ``[x_min, x_max]``."""
    return jnp.clip(x, x_min, x_max)


@op
def nan_to_num(
    x: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Array:
    """``x`` with NaN and infinities replaced by finite numbers."""
    return jnp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@op
def divide_no_nan(x1: Tensor, x2: Tensor) -> Array:
    """``x1 / x2``, with 0 where ``x2`` is 0."""
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe))


@export
def vectorize(
    pyfunc: Callable[..., Any], *, excluded: Any = None, signature: str | None = None
) -> Callable[..., Any]:
    """``pyfunc`` vectorized NumPy-style (``jax.numpy.vectorize``)."""
    return jnp.vectorize(pyfunc, excluded=excluded or frozenset(), signature=signature)


__all__ = exports(__name__)
