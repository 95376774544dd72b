"""Core tensor ops: conversion, dtype and shape queries, slicing, scatter, unstack,
rearrange."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.graph.spec import canonical_dtype
from kerax.graph.symbolic import KerasTensor
from kerax.ops._core import Array, Tensor, export, exports, op, unwrap


@op
def cast(x: Tensor, dtype: Any) -> Array:
    """``x`` converted to ``dtype``."""
    return jnp.asarray(x).astype(dtype)


@op
def convert_to_tensor(
    x: Tensor, dtype: Any = None, sparse: bool | None = None, ragged: bool | None = None
) -> Array:
    """``x`` as a JAX array (of ``dtype`` if given); ``sparse`` and ``ragged`` must not
    be ``True``."""
    if sparse or ragged:
        raise ValueError("Sparse and ragged tensors are not supported.")
    return jnp.asarray(x, dtype=dtype)


@op
def saturate_cast(x: Tensor, dtype: Any) -> Array:
    """``x`` cast to ``dtype`` after clipping to the range ``dtype`` can hold."""
    x = jnp.asarray(x)
    lo, hi = _limits(x.dtype, dtype)
    return jnp.clip(x, lo, hi).astype(dtype)


def _range(dtype: Any) -> tuple[Any, Any]:
    dtype = jnp.dtype(dtype)
    if dtype == jnp.bool_:
        return 0, 1
    info = jnp.iinfo(dtype) if jnp.issubdtype(dtype, jnp.integer) else jnp.finfo(dtype)
    return info.min, info.max


def _limits(in_dtype: Any, out_dtype: Any) -> tuple[Any, Any]:
    """The clip bounds, as values of ``in_dtype`` that land inside ``out_dtype``'s range
    (a bound that rounds outward in ``in_dtype`` is stepped back toward zero)."""
    (in_lo, in_hi), (out_lo, out_hi) = _range(in_dtype), _range(out_dtype)
    kind = np.dtype(jnp.dtype(in_dtype).name) if jnp.dtype(in_dtype) != jnp.bfloat16 else None
    to_in = (lambda v: np.asarray(v).astype(kind)) if kind is not None else jnp.bfloat16
    lo = to_in(out_lo if float(out_lo) > float(in_lo) else in_lo)
    hi = to_in(out_hi if float(out_hi) < float(in_hi) else in_hi)
    if float(lo) < float(out_lo):
        lo = np.nextafter(lo, np.zeros_like(lo))
    if float(hi) > float(out_hi):
        hi = np.nextafter(hi, np.zeros_like(hi))
    return lo, hi


@op
def stop_gradient(variable: Tensor) -> Array:
    """``variable``'s value, with no gradient flowing back through it."""
    return jax.lax.stop_gradient(variable)


@op
def getitem(x: Tensor, index: Any) -> Array:
    """``x[index]`` (what ``tensor[...]`` records on symbolic tensors)."""
    return x[index]


@op
def slice(  # noqa: A001 - Keras's name
    inputs: Tensor, start_indices: Sequence[Any], shape: Sequence[int]
) -> Array:
    """The block of ``inputs`` of ``shape`` starting at ``start_indices`` (a ``-1`` in
    ``shape`` takes the rest of that axis)."""
    inputs = jnp.asarray(inputs)
    sizes = tuple(inputs.shape[i] - start_indices[i] if s == -1 else s for i, s in enumerate(shape))
    return jax.lax.dynamic_slice(inputs, start_indices, sizes)


@op
def slice_update(inputs: Tensor, start_indices: Sequence[Any], updates: Tensor) -> Array:
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    return jax.lax.dynamic_update_slice(inputs, updates, start_indices)


@op
def scatter(indices: Tensor, values: Tensor, shape: Sequence[int]) -> Array:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (last axis: the
    coordinates)."""
    values = jnp.asarray(values)
    zeros = jnp.zeros(shape, values.dtype)
    return zeros.at[tuple(jnp.moveaxis(jnp.asarray(indices), -1, 0))].add(values)


@op
def scatter_update(
    inputs: Tensor, indices: Tensor, updates: Tensor, reduction: str | None = None
) -> Array:
    """``inputs`` with ``updates`` written at ``indices`` (shape ``(n, rank)``).

    Args:
        inputs: The tensor to update.
        indices: One row of coordinates per update.
        updates: The new values (or slices), one per row of ``indices``.
        reduction: ``None`` (overwrite), ``"add"``, ``"mul"``, ``"max"`` or ``"min"``.
    """
    at = jnp.asarray(inputs).at[tuple(jnp.asarray(indices).T)]
    methods = {None: at.set, "add": at.add, "mul": at.multiply, "max": at.max, "min": at.min}
    if reduction not in methods:
        raise ValueError(f"Unsupported reduction: {reduction!r}.")
    return methods[reduction](updates)


@op
def unstack(x: Tensor, num: int | None = None, axis: int = 0) -> list[Array]:
    """The slices of ``x`` along ``axis``, as a list (``num``, if given, must match)."""
    x = jnp.asarray(x)
    n = x.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"`num` is {num} but axis {axis} has size {n}.")
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(n)]


def _groups(side: str) -> list[list[str]]:
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``."""
    groups = []
    for token in re.findall(r"\([^)]*\)|[^\s()]+", side.strip()):
        names = token.strip("()").split() if token.startswith("(") else [token]
        bad = [n for n in names if not n.isidentifier()]
        if bad:
            raise ValueError(f"Bad axis name(s) {bad} in rearrange pattern {side!r}.")
        groups.append(names)
    return groups


@op
def rearrange(tensor: Tensor, pattern: str, **axes_lengths: int) -> Array:
    """Reorders, merges and splits axes as an einops-style ``pattern`` says.

    Args:
        tensor: The input.
        pattern: ``"inputs -> outputs"``: one name per axis, with ``( )`` around axes
            merged into one (on the output side) or split from one (on the input side),
            e.g. ``"b (h p) (w q) c -> b h w (p q c)"``.
        **axes_lengths: Sizes of split axes (one per group may be left to infer).
    """
    x = jnp.asarray(tensor)
    if pattern.count("->") != 1:
        raise ValueError(f"A rearrange pattern needs one '->', received {pattern!r}.")
    left, right = (_groups(side) for side in pattern.split("->"))
    if len(left) != x.ndim:
        raise ValueError(f"Pattern {pattern!r} names {len(left)} axes; the tensor has {x.ndim}.")
    sizes: dict[str, Any] = {}
    for group, dim in zip(left, x.shape, strict=True):
        if len(group) == 1:
            sizes[group[0]] = dim
            continue
        unknown = [n for n in group if n not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(f"Give the lengths of all but one of {group} in {pattern!r}.")
        known = int(np.prod([axes_lengths[n] for n in group if n in axes_lengths]))
        sizes.update({n: axes_lengths[n] if n in axes_lengths else dim // known for n in group})
    flat_in = [n for g in left for n in g]
    flat_out = [n for g in right for n in g]
    if sorted(flat_in) != sorted(flat_out) or len(set(flat_in)) != len(flat_in):
        raise ValueError(f"Both sides of {pattern!r} must name the same axes, once each.")
    x = x.reshape([sizes[n] for n in flat_in])
    x = jnp.transpose(x, [flat_in.index(n) for n in flat_out])
    out_shape = []
    for group in right:
        size = 1
        for n in group:
            size = size * sizes[n]
        out_shape.append(size)
    return x.reshape(out_shape)


@op
def flatten(x: Tensor) -> Array:
    """``x`` as a 1D tensor (kerax's alias of :func:`~kerax.ops.numpy.ravel`)."""
    return jnp.ravel(x)


@export
def shape(x: Tensor) -> tuple[Any, ...]:
    """The shape of an array, or of a symbolic tensor (``None`` for unknown dims)."""
    if isinstance(x, KerasTensor):
        return x.shape
    return tuple(jnp.shape(unwrap(x)))


@export
def dtype(x: Tensor) -> str:
    """The dtype name of ``x`` (``"float32"``, ...), also of a symbolic tensor."""
    if isinstance(x, KerasTensor):
        return canonical_dtype(x.dtype)
    value = unwrap(x)
    kind = getattr(value, "dtype", None)
    return canonical_dtype(np.asarray(value).dtype if kind is None else kind)


@export
def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a JAX array or a symbolic tensor (NumPy arrays are not)."""
    return isinstance(x, jax.Array | KerasTensor)


@export
def convert_to_numpy(x: Tensor) -> np.ndarray:
    """A NumPy copy of an array."""
    return np.asarray(unwrap(x))


__all__ = exports(__name__)
