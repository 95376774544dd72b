"""Shape ops: reshaping, joining and splitting, flipping and transposing, padding,
repeating, and the size, rank and bytes of a tensor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, export, exports, op, unwrap
from kerax.ops.numpy._make import define, direct, unary

define(
    globals(),
    unary,
    {
        "fliplr": "fliplr",
        "flipud": "flipud",
        "matrix_transpose": "matrix_transpose",
        "ravel": "ravel",
    },
)
define(
    globals(),
    direct,
    [
        "array_split",
        "broadcast_to",
        "concatenate",
        "dsplit",
        "dstack",
        "expand_dims",
        "flip",
        "hsplit",
        "hstack",
        "moveaxis",
        "repeat",
        "roll",
        "rot90",
        "split",
        "squeeze",
        "stack",
        "swapaxes",
        "transpose",
        "vsplit",
        "vstack",
    ],
)


@op
def reshape(x: Tensor, newshape: int | Sequence[int]) -> Array:
    """``x`` with shape ``newshape`` (one entry may be ``-1``)."""
    return jnp.reshape(x, newshape)


@op
def tile(x: Tensor, repeats: int | Sequence[int]) -> Array:
    """``x`` repeated ``repeats`` times along each axis."""
    return jnp.tile(x, repeats)


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
def append(x1: Tensor, x2: Tensor, axis: int | None = None) -> Array:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened if ``None``)."""
    return jnp.append(x1, x2, axis=axis)


@op
def size(x: Tensor) -> Array:
    """The number of elements of ``x``."""
    return jnp.asarray(jnp.size(x))


@op
def view(x: Tensor, dtype: Any = None) -> Array:
    """``x``'s bytes reinterpreted as ``dtype`` (the last axis rescales when the item
    sizes differ)."""
    x = jnp.asarray(x)
    return x if dtype is None else x.view(dtype)


@export
def ndim(x: Tensor) -> int:
    """The rank of ``x`` (also of a symbolic tensor)."""
    from kerax.graph.symbolic import KerasTensor

    if isinstance(x, KerasTensor):
        return len(x.shape)
    return jnp.ndim(unwrap(x))


__all__ = exports(__name__)
