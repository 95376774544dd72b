"""Merging layers: Concatenate and Add, with their function forms.

Shape compatibility is checked when the layer is called on symbolic tensors, so a
mismatch is reported at construction with the layer's name and every input shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import Layer

Shape = tuple[int | None, ...]


class Merge(Layer):
    """Base class of layers that combine a list of tensors."""

    supports_masking = True

    def _check_list(self, input_shape: Any) -> list[Shape]:
        if (
            not isinstance(input_shape, list | tuple)
            or not input_shape
            or not isinstance(input_shape[0], list | tuple)
        ):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a list of '
                f"tensors; received input shape {input_shape}."
            )
        if len(input_shape) < 2:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a list of at '
                f"least 2 tensors; received {len(input_shape)}."
            )
        return [tuple(s) for s in input_shape]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or all(m is None for m in mask):
            return None
        masks = [jnp.ones(x.shape[:2], bool) if m is None else m for x, m in zip(inputs, mask)]
        out = masks[0]
        for m in masks[1:]:
            out = jnp.logical_and(out, m)
        return out


class _Elementwise(Merge):
    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        try:
            _broadcast([s[1:] for s in shapes])
        except ValueError:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) requires inputs with matching '
                f"shapes (after broadcasting); received inputs with shapes "
                f"{', '.join(str(s) for s in shapes)}."
            ) from None

    def _merge(self, a: jax.Array, b: jax.Array) -> jax.Array:
        raise NotImplementedError

    def apply(self, ctx: Any, inputs: Sequence[jax.Array], mask: Any = None) -> jax.Array:
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out


def _broadcast(shapes: list[Shape]) -> Shape:
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for axis in range(rank):
        dims = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0} - {1}
        known = dims - {None}
        if len(known) > 1:
            raise ValueError(f"incompatible shapes {shapes}")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


class Add(_Elementwise):
    """Adds a list of tensors of the same shape, element-wise.

    Input shape:
        A list of tensors of matching shapes (broadcastable).

    Output shape:
        The common shape.
    """

    def _merge(self, a, b):
        return a + b


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``.

    Args:
        axis: Axis to concatenate along (default -1).

    Input shape:
        A list of tensors whose shapes agree except along ``axis``.

    Output shape:
        The common shape, with the sizes along ``axis`` summed.
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        ranks = {len(s) for s in shapes}
        if len(ranks) == 1:
            rank = ranks.pop()
            axis = self.axis % rank if -rank <= self.axis < rank else None
            if axis is not None:
                for i in range(1, rank):
                    if i == axis:
                        continue
                    dims = {s[i] for s in shapes} - {None}
                    if len(dims) > 1:
                        break
                else:
                    return
        raise ValueError(
            f'Layer "{self.name}" (Concatenate) requires inputs with matching shapes except '
            f"for the concatenation axis {self.axis}; received inputs with shapes "
            f"{', '.join(str(s) for s in shapes)}."
        )

    def apply(self, ctx: Any, inputs: Sequence[jax.Array], mask: Any = None) -> jax.Array:
        dtype = jnp.result_type(*inputs)
        return jnp.concatenate([x.astype(dtype) for x in inputs], axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or all(m is None for m in mask):
            return None
        if self.axis in (-1, inputs[0].ndim - 1):
            return super().compute_mask(inputs, mask)
        masks = [jnp.ones(x.shape[:-1], bool) if m is None else m for x, m in zip(inputs, mask)]
        return jnp.concatenate(masks, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Add`: ``add([x, y])``."""
    return Add(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Concatenate`: ``concatenate([x, y], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
