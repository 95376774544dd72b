"""Adaptive pooling: max or average over a grid of bins that gives a fixed output size,
AdaptiveAveragePooling1D to AdaptiveMaxPooling3D.

Along an axis of ``n`` cells pooled to ``m`` bins, bin ``i`` covers cells
``floor(i * n / m)`` up to (not including) ``ceil((i + 1) * n / m)``: the bins tile the
axis when ``m`` divides ``n`` and overlap by a cell where it does not, as in Keras 3
(and PyTorch). Every bin holds ``ceil(n / m)`` or ``ceil(n / m) + 1`` cells.

A bin is a box, so pooling runs one spatial axis at a time: each axis gathers its bins
padded to the larger width, masks the padding and reduces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._args import check_rank, normalize_data_format, normalize_tuple
from kerax.layers._base import InputSpec, Layer


def _bins(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The cell indices of each of ``m`` bins over ``n`` cells, padded to one width,
    and the mask of the real ones: two ``(m, width)`` arrays."""
    starts = (np.arange(m) * n) // m
    ends = -((-np.arange(1, m + 1) * n) // m)  # ceil((i + 1) * n / m)
    width = int(np.max(ends - starts))
    index = starts[:, None] + np.arange(width)[None, :]
    valid = index < ends[:, None]
    return np.minimum(index, n - 1), valid


def _pool_axis(x: jax.Array, axis: int, size: int, mode: str) -> jax.Array:
    n = x.shape[axis]
    if not isinstance(n, int):
        # A symbolic size (a None dimension while the graph infers its shapes): the
        # bins are only known once the size is, so give the output's shape alone.
        pooled = (
            jnp.max(x, axis, keepdims=True) if mode == "max" else jnp.mean(x, axis, keepdims=True)
        )
        return jnp.repeat(pooled, size, axis=axis)
    index, valid = _bins(n, size)
    # (..., size, width, ...) in place of the pooled axis.
    taken = jnp.take(x, jnp.asarray(index.reshape(-1)), axis=axis)
    taken = taken.reshape(*x.shape[:axis], *index.shape, *x.shape[axis + 1 :])
    mask = valid.reshape(*valid.shape, *([1] * (x.ndim - axis - 1)))
    if mode == "max":
        lowest = np.asarray(-np.inf if jnp.issubdtype(x.dtype, jnp.floating) else 0, x.dtype)
        return jnp.max(jnp.where(mask, taken, lowest), axis=axis + 1)
    total = jnp.sum(jnp.where(mask, taken, jnp.zeros((), x.dtype)), axis=axis + 1)
    count = valid.sum(axis=1).reshape(size, *([1] * (x.ndim - axis - 1)))
    return total / count.astype(x.dtype)


class BaseAdaptivePooling(Layer):
    """Max or average pooling to a fixed ``output_size`` over ``rank`` spatial axes.

    Use the ``AdaptiveMaxPooling*`` / ``AdaptiveAveragePooling*`` layers; this base holds
    the argument checks and the forward pass for any rank.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        mode: ``"max"`` or ``"average"``.
        output_size: The output's spatial size: an int (every axis) or ``rank`` ints.
        data_format: ``"channels_last"`` (default for ``None``) or
            ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, *spatial_dims, channels)`` with ``channels_last``, or
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``.

    Output shape:
        The same layout with the spatial dimensions replaced by ``output_size``.
    """

    def __init__(
        self,
        rank: int,
        mode: str,
        output_size: int | Sequence[int],
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.rank = rank
        self.pool_mode = mode
        self.output_size = normalize_tuple(cls, "output_size", output_size, rank)
        self.data_format = normalize_data_format(cls, data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _spatial_axes(self) -> range:
        return (
            range(1, self.rank + 1)
            if self.data_format == "channels_last"
            else range(2, self.rank + 2)
        )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        check_rank(self, tuple(input_shape), self.rank + 2)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        check_rank(self, inputs.shape, self.rank + 2)
        out = inputs
        for axis, size in zip(self._spatial_axes(), self.output_size, strict=True):
            if out.shape[axis] == 0:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) cannot pool an empty axis; "
                    f"received input shape {tuple(inputs.shape)}."
                )
            out = _pool_axis(out, axis, size, self.pool_mode)
        return out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


class _Adaptive(BaseAdaptivePooling):
    """A :class:`BaseAdaptivePooling` of fixed rank and mode, with Keras's constructor."""

    _rank: int = 0
    _mode: str = ""

    def __init__(
        self, output_size: int | Sequence[int], data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(self._rank, self._mode, output_size, data_format, **kwargs)


_DOC = """{what} pooling of {rank}D inputs to a fixed output size.

    The input is divided into ``output_size`` bins along each spatial axis (bin ``i`` of
    ``m`` over ``n`` cells spans ``floor(i * n / m)`` to ``ceil((i + 1) * n / m)``), and
    each bin gives its {reduce}.

    Args:
        output_size: The output's {names}: an int{every} or a tuple of {rank} int{s}.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, {dims}, channels)``, or ``(batch_size, channels, {dims})`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, {outs}, channels)``, or ``(batch_size, channels, {outs})``.
    """


def _doc(what: str, rank: int) -> str:
    names = ("steps",), ("height", "width"), ("depth", "height", "width")
    dims = ", ".join(names[rank - 1])
    return _DOC.format(
        what=what,
        rank=rank,
        reduce="maximum" if what == "Max" else "mean",
        names=dims if rank > 1 else "length",
        every=" (every axis)" if rank > 1 else "",
        s="s" if rank > 1 else "",
        dims=dims,
        outs=", ".join(f"out_{n}" for n in names[rank - 1]),
    )


class AdaptiveAveragePooling1D(_Adaptive):
    __doc__ = _doc("Average", 1)
    _rank, _mode = 1, "average"


class AdaptiveAveragePooling2D(_Adaptive):
    __doc__ = _doc("Average", 2)
    _rank, _mode = 2, "average"


class AdaptiveAveragePooling3D(_Adaptive):
    __doc__ = _doc("Average", 3)
    _rank, _mode = 3, "average"


class AdaptiveMaxPooling1D(_Adaptive):
    __doc__ = _doc("Max", 1)
    _rank, _mode = 1, "max"


class AdaptiveMaxPooling2D(_Adaptive):
    __doc__ = _doc("Max", 2)
    _rank, _mode = 2, "max"


class AdaptiveMaxPooling3D(_Adaptive):
    __doc__ = _doc("Max", 3)
    _rank, _mode = 3, "max"
