"""Zero-padding layers: ZeroPadding1D, ZeroPadding2D, ZeroPadding3D.

Each adds rows of zeros at the start and the end of every spatial axis.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._args import int_pairs, normalize_data_format, spatial_axes
from kerax.layers._base import InputSpec, Layer


class _ZeroPadding(Layer):
    """Adds zeros at both ends of each spatial axis."""

    _rank = 1

    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.padding = int_pairs(name, "padding", padding, self._rank)
        self.data_format = normalize_data_format(name, data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _widths(self) -> tuple[tuple[int, int], ...]:
        return self.padding  # type: ignore[return-value]

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(spatial_axes(self.data_format, self._rank), self._widths()):
            widths[axis] = pair
        return jnp.pad(inputs, widths)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Pads the time axis of a sequence with zeros.

    Args:
        padding: Steps to add at the start and the end: an int (both ends) or a pair
            ``(start, end)``. Default 1.
        data_format: ``"channels_last"`` (default, ``(batch, steps, features)``) or
            ``"channels_first"`` (``(batch, features, steps)``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)`` (channels last) or
        ``(batch_size, features, steps)`` (channels first).

    Output shape:
        The same with ``steps + start + end`` steps.
    """

    _rank = 1

    def __init__(
        self, padding: int | tuple[int, int] = 1, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)
        self.padding = self.padding[0]

    def _widths(self) -> tuple[tuple[int, int], ...]:
        return (self.padding,)  # type: ignore[return-value]


class ZeroPadding2D(_ZeroPadding):
    """Pads the height and width of images with zeros.

    Args:
        padding: An int (every side), a pair ``(symmetric_height, symmetric_width)``,
            or ``((top, bottom), (left, right))``. Default 1 everywhere.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)`` (channels last) or
        ``(batch_size, channels, rows, cols)`` (channels first).

    Output shape:
        The same with ``rows + top + bottom`` rows and ``cols + left + right`` columns.
    """

    _rank = 2

    def __init__(
        self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial axes of volumes with zeros.

    Args:
        padding: An int (every side), three ints (symmetric per axis), or three pairs
            ``((start1, end1), (start2, end2), (start3, end3))``. Default 1 everywhere.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)`` (channels last) or
        ``(batch_size, channels, dim1, dim2, dim3)`` (channels first).

    Output shape:
        The same with each spatial axis lengthened by its two paddings.
    """

    _rank = 3

    def __init__(
        self,
        padding: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(padding, data_format, **kwargs)
