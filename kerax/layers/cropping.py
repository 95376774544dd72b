"""Cropping layers: Cropping1D, Cropping2D, Cropping3D.

Each removes a number of rows from the start and the end of every spatial axis.
"""

from __future__ import annotations

from typing import Any

import jax

from kerax.layers._args import int_pairs, normalize_data_format, spatial_axes
from kerax.layers._base import InputSpec, Layer


class _Cropping(Layer):
    """Removes rows from both ends of each spatial axis."""

    _rank = 1
    _data_format_arg = True

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.cropping = int_pairs(name, "cropping", cropping, self._rank)
        self.data_format = normalize_data_format(name, data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        for axis, (lo, hi) in zip(spatial_axes(self.data_format, self._rank), self.cropping):
            size = input_shape[axis]
            if size is not None and lo + hi >= size:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): cropping={self.cropping} "
                    f"leaves nothing of input axis {axis} (size {size}); input shape "
                    f"{tuple(input_shape)}."
                )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        index: list[slice] = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in zip(spatial_axes(self.data_format, self._rank), self.cropping):
            index[axis] = slice(lo, -hi if hi else None)
        return inputs[tuple(index)]

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "cropping": self.cropping}
        if self._data_format_arg:
            config["data_format"] = self.data_format
        return config


class Cropping1D(_Cropping):
    """Crops the time axis of a sequence.

    Args:
        cropping: Steps to remove at the start and the end: an int (both ends) or a
            pair ``(start, end)``. Default ``(1, 1)``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)``.

    Output shape:
        ``(batch_size, steps - start - end, features)``.
    """

    _rank = 1
    _data_format_arg = False

    def __init__(self, cropping: int | tuple[int, int] = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, None, **kwargs)
        self.cropping = self.cropping[0]

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        size = input_shape[1]
        if size is not None and sum(self.cropping) >= size:
            raise ValueError(
                f"Layer '{self.name}' (Cropping1D): cropping={self.cropping} leaves nothing "
                f"of the {size} steps of inputs of shape {tuple(input_shape)}."
            )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        start, end = self.cropping
        return inputs[:, start : -end if end else None, :]


class Cropping2D(_Cropping):
    """Crops the height and width of images.

    Args:
        cropping: An int (every side), a pair ``(symmetric_height, symmetric_width)``,
            or ``((top, bottom), (left, right))``. Default no cropping.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)`` (channels last) or
        ``(batch_size, channels, rows, cols)`` (channels first).

    Output shape:
        The same with ``rows - top - bottom`` rows and ``cols - left - right`` columns.
    """

    _rank = 2

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: An int (every side), three ints (symmetric per axis), or three pairs
            ``((start1, end1), (start2, end2), (start3, end3))``. Default 1 everywhere.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)`` (channels last) or
        ``(batch_size, channels, dim1, dim2, dim3)`` (channels first).

    Output shape:
        The same with each spatial axis shortened by its two croppings.
    """

    _rank = 3

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)
