"""Reduction ops: sums, extrema, statistics, quantiles, cumulative sums, counts."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op
from kerax.ops.numpy._make import as_axis, define, direct, quantile, reduction

define(
    globals(),
    reduction,
    {
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
    },
)
define(
    globals(),
    quantile,
    {
        "nanpercentile": "nanpercentile",
        "nanquantile": "nanquantile",
        "percentile": "percentile",
        "quantile": "quantile",
    },
)
define(
    globals(),
    direct,
    [
        "average",
        "corrcoef",
        "count_nonzero",
        "cumprod",
        "cumsum",
        "diff",
        "histogram",
        "nancumprod",
        "nancumsum",
        "trace",
        "trapezoid",
    ],
)


@op
def max(  # noqa: A001 - Keras's name
    x: Tensor,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
    initial: float | None = None,
) -> Array:
    """The maximum of ``x`` over ``axis`` (all axes if ``None``), at least ``initial``."""
    return jnp.max(x, axis=as_axis(axis), keepdims=keepdims, initial=initial)


@op
def min(  # noqa: A001 - Keras's name
    x: Tensor,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
    initial: float | None = None,
) -> Array:
    """The minimum of ``x`` over ``axis`` (all axes if ``None``), at most ``initial``."""
    return jnp.min(x, axis=as_axis(axis), keepdims=keepdims, initial=initial)


@op
def prod(
    x: Tensor,
    axis: int | Sequence[int] | None = None,
    keepdims: bool = False,
    dtype: Any = None,
) -> Array:
    """The product of ``x`` over ``axis`` (all axes if ``None``)."""
    return jnp.prod(x, axis=as_axis(axis), keepdims=keepdims, dtype=dtype)


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


__all__ = exports(__name__)
