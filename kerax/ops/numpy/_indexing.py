"""Indexing ops: selecting, gathering, searching, sorting and unique values."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op
from kerax.ops.numpy._make import define, direct

define(
    globals(),
    direct,
    [
        "argpartition",
        "argsort",
        "diagonal",
        "digitize",
        "searchsorted",
        "select",
        "sort",
        "take",
        "take_along_axis",
        "unravel_index",
    ],
)


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
def get_item(x: Tensor, key: Any) -> Array:
    """``x[key]``."""
    return x[key]


@op
def nonzero(x: Tensor) -> Any:
    """The indices of the non-zero entries of ``x``, one array per axis (arrays only:
    the output length is data dependent)."""
    return jnp.nonzero(x)


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


__all__ = exports(__name__)
