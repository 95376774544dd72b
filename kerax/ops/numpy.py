"""``kerax.ops.numpy``: Keras's NumPy-like ops, in ``jax.numpy``, with Keras's signatures."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, export, exports, op, register, unwrap
from kerax.ops.linalg import slogdet

_MODULE = __name__


def _set(name: str, fn: Callable[..., Any]) -> None:
    globals()[name] = register(name, fn, _MODULE)


# The tables map each op to the name of its ``jax.numpy`` function, looked up when
# called (so an older JAX lacking one fails only on that op).

# Elementwise functions of one tensor.
_UNARY = {
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
    "copy": "copy",
    "cos": "cos",
    "cosh": "cosh",
    "deg2rad": "deg2rad",
    "exp": "exp",
    "exp2": "exp2",
    "expm1": "expm1",
    "fabs": "fabs",
    "fliplr": "fliplr",
    "flipud": "flipud",
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
    "matrix_transpose": "matrix_transpose",
    "negative": "negative",
    "rad2deg": "rad2deg",
    "ravel": "ravel",
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
}

# Elementwise (or product-like) functions of two tensors, Keras's ``(x1, x2)``.
_BINARY = {
    "add": "add",
    "arctan2": "arctan2",
    "divide": "divide",
    "dot": "dot",
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
    "inner": "inner",
    "kron": "kron",
    "lcm": "lcm",
    "ldexp": "ldexp",
    "less": "less",
    "less_equal": "less_equal",
    "logaddexp": "logaddexp",
    "logaddexp2": "logaddexp2",
    "logical_and": "logical_and",
    "logical_or": "logical_or",
    "logical_xor": "logical_xor",
    "matmul": "matmul",
    "maximum": "maximum",
    "minimum": "minimum",
    "mod": "mod",
    "multiply": "multiply",
    "nextafter": "nextafter",
    "not_equal": "not_equal",
    "outer": "outer",
    "power": "power",
    "subtract": "subtract",
    "true_divide": "divide",
    "vdot": "vdot",
}

# Bitwise functions of two integer tensors, Keras's ``(x, y)``.
_BITWISE = {
    "bitwise_and": "bitwise_and",
    "bitwise_left_shift": "left_shift",
    "bitwise_or": "bitwise_or",
    "bitwise_right_shift": "right_shift",
    "bitwise_xor": "bitwise_xor",
    "left_shift": "left_shift",
    "right_shift": "right_shift",
}

# Reductions, Keras's ``(x, axis=None, keepdims=False)``.
_REDUCTIONS = {
    "all": "all",
    "amax": "max",
    "amin": "min",
    "any": "any",
    "argmax": "argmax",
    "argmin": "argmin",
    "mean": "mean",
    "median": "median",
    "nanargmax": "nanargmax",
    "nanargmin": "nanargmin",
    "nanmax": "nanmax",
    "nanmean": "nanmean",
    "nanmedian": "nanmedian",
    "nanmin": "nanmin",
    "nanprod": "nanprod",
    "nanstd": "nanstd",
    "nansum": "nansum",
    "nanvar": "nanvar",
    "ptp": "ptp",
    "std": "std",
    "sum": "sum",
    "var": "var",
}

# Quantiles, Keras's ``(x, q, axis=None, method="linear", keepdims=False)``.
_QUANTILES = {
    "nanpercentile": "nanpercentile",
    "nanquantile": "nanquantile",
    "percentile": "percentile",
    "quantile": "quantile",
}

# Functions whose ``jax.numpy`` signature takes Keras's positional arguments as is.
_DIRECT = [
    "allclose",
    "arange",
    "argpartition",
    "argsort",
    "array_split",
    "average",
    "bartlett",
    "blackman",
    "broadcast_to",
    "concatenate",
    "correlate",
    "corrcoef",
    "count_nonzero",
    "cross",
    "cumprod",
    "cumsum",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "digitize",
    "dsplit",
    "dstack",
    "einsum",
    "empty",
    "empty_like",
    "expand_dims",
    "eye",
    "flip",
    "full",
    "full_like",
    "geomspace",
    "hamming",
    "hanning",
    "histogram",
    "hsplit",
    "hstack",
    "identity",
    "isclose",
    "isin",
    "kaiser",
    "linspace",
    "logspace",
    "meshgrid",
    "moveaxis",
    "nancumprod",
    "nancumsum",
    "ones",
    "ones_like",
    "repeat",
    "roll",
    "rot90",
    "round",
    "searchsorted",
    "select",
    "sort",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tensordot",
    "trace",
    "transpose",
    "trapezoid",
    "tri",
    "tril",
    "triu",
    "unravel_index",
    "vander",
    "vsplit",
    "vstack",
    "zeros",
    "zeros_like",
]


def _jnp(name: str) -> Callable[..., Any]:
    return getattr(jnp, name)


def _unary(name: str, jname: str) -> Callable[..., Any]:
    def impl(x: Tensor) -> Array:
        return _jnp(jname)(x)

    impl.__doc__ = f"Elementwise ``{name}`` of ``x`` (``jax.numpy.{jname}``)."
    return impl


def _binary(name: str, jname: str) -> Callable[..., Any]:
    def impl(x1: Tensor, x2: Tensor) -> Array:
        return _jnp(jname)(x1, x2)

    impl.__doc__ = f"``{name}`` of ``x1`` and ``x2`` (``jax.numpy.{jname}``)."
    return impl


def _bitwise(name: str, jname: str) -> Callable[..., Any]:
    def impl(x: Tensor, y: Tensor) -> Array:
        return _jnp(jname)(x, y)

    impl.__doc__ = f"``{name}`` of integer tensors ``x`` and ``y`` (``jax.numpy.{jname}``)."
    return impl


def _reduction(name: str, jname: str) -> Callable[..., Any]:
    def impl(x: Tensor, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Array:
        return _jnp(jname)(x, axis=_axis(axis), keepdims=keepdims)

    impl.__doc__ = f"``{name}`` of ``x`` over ``axis`` (all axes if ``None``)."
    return impl


def _quantile(name: str, jname: str) -> Callable[..., Any]:
    def impl(
        x: Tensor,
        q: Tensor,
        axis: int | Sequence[int] | None = None,
        method: str = "linear",
        keepdims: bool = False,
    ) -> Array:
        return _jnp(jname)(x, q, axis=_axis(axis), method=method, keepdims=keepdims)

    impl.__doc__ = f"``{name}`` of ``x`` at ``q`` over ``axis`` (all axes if ``None``)."
    return impl


def _direct(name: str) -> Callable[..., Any]:
    def impl(*args: Any, **kwargs: Any) -> Any:
        return _jnp(name)(*args, **kwargs)

    impl.__doc__ = f"``jax.numpy.{name}``, on arrays or symbolic tensors."
    if hasattr(jnp, name):
        impl.__wrapped__ = getattr(jnp, name)  # type: ignore[attr-defined]  # its signature
    return impl


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


for _name, _fn in _UNARY.items():
    _set(_name, _unary(_name, _fn))
for _name, _fn in _BINARY.items():
    _set(_name, _binary(_name, _fn))
for _name, _fn in _BITWISE.items():
    _set(_name, _bitwise(_name, _fn))
for _name, _fn in _REDUCTIONS.items():
    _set(_name, _reduction(_name, _fn))
for _name, _fn in _QUANTILES.items():
    _set(_name, _quantile(_name, _fn))
for _name in _DIRECT:
    _set(_name, _direct(_name))


@op
def max(  # noqa: A001 - Keras's name
    x: Tensor,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
    initial: float | None = None,
) -> Array:
    """The maximum of ``x`` over ``axis`` (all axes if ``None``), at least ``initial``."""
    return jnp.max(x, axis=_axis(axis), keepdims=keepdims, initial=initial)


@op
def min(  # noqa: A001 - Keras's name
    x: Tensor,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
    initial: float | None = None,
) -> Array:
    """The minimum of ``x`` over ``axis`` (all axes if ``None``), at most ``initial``."""
    return jnp.min(x, axis=_axis(axis), keepdims=keepdims, initial=initial)


@op
def prod(
    x: Tensor,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
    dtype: Any = None,
) -> Array:
    """The product of ``x`` over ``axis`` (all axes if ``None``)."""
    return jnp.prod(x, axis=_axis(axis), keepdims=keepdims, dtype=dtype)


@op
def clip(x: Tensor, x_min: Tensor, x_max: Tensor) -> Array:
    """``x`` limited to ``[x_min, x_max]``."""
    return jnp.clip(x, x_min, x_max)


@op
def reshape(x: Tensor, newshape: int | Sequence[int]) -> Array:
    """``x`` with shape ``newshape`` (one entry may be ``-1``)."""
    return jnp.reshape(x, newshape)


@op
def tile(x: Tensor, repeats: int | Sequence[int]) -> Array:
    """``x`` repeated ``repeats`` times along each axis."""
    return jnp.tile(x, repeats)


@op
def where(condition: Tensor, x1: Tensor | None = None, x2: Tensor | None = None) -> Array:
    """``x1`` where ``condition`` holds, else ``x2``.

    With neither ``x1`` nor ``x2``, the indices where ``condition`` holds (arrays only).
    """
    if x1 is None and x2 is None:
        return jnp.nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` must be given together.")
    return jnp.where(condition, x1, x2)


@op
def pad(
    x: Tensor,
    pad_width: Any,
    mode: str = "constant",
    constant_values: float | None = None,
) -> Array:
    """``x`` padded by ``pad_width`` (``jax.numpy.pad`` modes)."""
    if constant_values is not None:
        if mode != "constant":
            raise ValueError("`constant_values` can only be given with mode='constant'.")
        return jnp.pad(x, pad_width, mode=mode, constant_values=constant_values)
    return jnp.pad(x, pad_width, mode=mode)


@op
def nan_to_num(
    x: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Array:
    """``x`` with NaN and infinities replaced by finite numbers."""
    return jnp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


@op
def append(x1: Tensor, x2: Tensor, axis: int | None = None) -> Array:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened if ``None``)."""
    return jnp.append(x1, x2, axis=axis)


@op
def bincount(
    x: Tensor, weights: Tensor | None = None, minlength: int = 0, sparse: bool = False
) -> Array:
    """Counts (or sums ``weights``) of each value of the non-negative ints ``x``.

    A 2D ``x`` is counted row by row. The output length must be static: inside a
    graph, pass ``minlength`` of at least the largest value + 1.
    """
    if sparse:
        raise ValueError("Sparse outputs are not supported.")
    x = jnp.asarray(x)
    try:
        length = builtins.max(minlength, int(jnp.max(x)) + 1 if x.size else 0)
    except jax.errors.ConcretizationTypeError:
        if not minlength:
            raise ValueError(
                "`bincount` inside a graph needs `minlength` (the static output length)."
            ) from None
        length = minlength

    def count(row: Any, w: Any) -> Any:
        return jnp.bincount(row, weights=w, length=length)

    if x.ndim == 2:
        if weights is None:
            return jax.vmap(lambda row: count(row, None))(x)
        return jax.vmap(count)(x, weights)
    return count(x, weights)


@op
def divide_no_nan(x1: Tensor, x2: Tensor) -> Array:
    """``x1 / x2``, with 0 where ``x2`` is 0."""
    safe = jnp.where(x2 == 0, 1, x2)
    return jnp.where(x2 == 0, 0, jnp.divide(x1, safe))


@op
def size(x: Tensor) -> Array:
    """The number of elements of ``x``."""
    return jnp.asarray(jnp.size(x))


@op
def unique(
    x: Tensor,
    sorted: bool = True,  # noqa: A002 - Keras's name
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The unique values of ``x`` (sorted), with optional indices / inverse / counts.

    The output length is data dependent: inside a graph, pass a static ``size``.
    """
    extra = {} if sorted else {"sorted": False}  # (older JAX has no ``sorted``)
    return jnp.unique(
        x,
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
        size=size,
        fill_value=fill_value,
        **extra,
    )


@op
def nonzero(x: Tensor) -> Any:
    """The indices of the non-zero entries of ``x``, one array per axis (arrays only:
    the output length is data dependent)."""
    return jnp.nonzero(x)


@op
def view(x: Tensor, dtype: Any = None) -> Array:
    """``x``'s bytes reinterpreted as ``dtype`` (the last axis rescales when the item
    sizes differ)."""
    x = jnp.asarray(x)
    return x if dtype is None else x.view(dtype)


@op
def array(x: Tensor, dtype: Any = None) -> Array:
    """``x`` as an array of ``dtype``."""
    return jnp.array(x, dtype=dtype)


@op
def get_item(x: Tensor, key: Any) -> Array:
    """``x[key]``."""
    return x[key]


@export
def ndim(x: Tensor) -> int:
    """The rank of ``x`` (also of a symbolic tensor)."""
    from kerax.graph.symbolic import KerasTensor

    if isinstance(x, KerasTensor):
        return len(x.shape)
    return jnp.ndim(unwrap(x))


@export
def vectorize(
    pyfunc: Callable[..., Any], *, excluded: Any = None, signature: str | None = None
) -> Callable[..., Any]:
    """``pyfunc`` vectorized NumPy-style (``jax.numpy.vectorize``)."""
    return jnp.vectorize(pyfunc, excluded=excluded or frozenset(), signature=signature)


# Keras lists ``slogdet`` among its NumPy ops too.
__all__ = [*exports(_MODULE), "slogdet"]
