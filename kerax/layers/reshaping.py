"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, and the cropping,
zero-padding and up-sampling layers in 1, 2 and 3 dimensions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import InputSpec, Layer


class Flatten(Layer):
    """Flattens every dimension but the batch.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``; with
            channels first, the input is moved to channels last before flattening,
            as Keras does.

    Input shape:
        ``(batch_size, ...)``, at least rank 1.

    Output shape:
        ``(batch_size, product of the other dimensions)``.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'; received "
                f"data_format={data_format!r}."
            )
        self.data_format = data_format

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = jnp.moveaxis(x, 1, -1)
        rest = x.shape[1:]
        size = math.prod(rest) if all(isinstance(d, int) for d in rest) else -1
        return x.reshape(x.shape[0], size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each example to ``target_shape`` (the batch dimension is kept).

    Args:
        target_shape: The new shape of one example; one entry may be -1.

    Input shape:
        ``(batch_size, ...)``.

    Output shape:
        ``(batch_size, *target_shape)``.
    """

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for d in target_shape if d == -1) > 1 or any(
            not isinstance(d, int) or d == 0 or d < -1 for d in target_shape
        ):
            raise ValueError(
                "`target_shape` must hold positive integers and at most one -1; received "
                f"target_shape={target_shape}."
            )
        self.target_shape = target_shape

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        rest = input_shape[1:]
        if all(d is not None for d in rest):
            size = math.prod(rest)
            known = math.prod(d for d in self.target_shape if d != -1)
            if (-1 in self.target_shape and size % known) or (
                -1 not in self.target_shape and size != known
            ):
                raise ValueError(
                    f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} "
                    f"({size} values per example) to target_shape={self.target_shape}."
                )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` counts from 1 (the first non-batch axis).

    Args:
        dims: A permutation of ``1..rank-1``, e.g. ``(2, 1)`` swaps the first two.

    Input shape:
        ``(batch_size, *dims_in)``.

    Output shape:
        The input shape with its non-batch axes permuted.
    """

    def __init__(self, dims: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"`dims` must be a permutation of 1..{len(dims)}; received dims={dims}."
            )
        self.dims = dims

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.transpose(inputs, (0, *self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: ``(batch, features) -> (batch, n, features)``.

    Args:
        n: Number of repetitions.

    Input shape:
        ``(batch_size, features)``.

    Output shape:
        ``(batch_size, n, features)``.
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or n <= 0:
            raise ValueError(f"`n` must be a positive integer; received n={n!r}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


_ORDINALS = ("1st", "2nd", "3rd")


def _data_format(layer: str, value: Any) -> str:
    fmt = "channels_last" if value is None else value
    if isinstance(fmt, str):
        fmt = fmt.lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Received an invalid value for `data_format` in {layer}: expected "
            f"'channels_last' or 'channels_first', received data_format={value!r}."
        )
    return fmt


def _int_tuple(layer: str, arg: str, value: Any, n: int, allow_zero: bool) -> tuple[int, ...]:
    """``value`` (an int, or ``n`` ints) as ``n`` ints, non-negative (or positive)."""
    bad = ValueError(
        f"Received an invalid value for `{arg}` in {layer}: expected an integer or a tuple "
        f"of {n} {'non-negative' if allow_zero else 'positive'} integers, received "
        f"{arg}={value!r}."
    )
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == n:
        out = tuple(value)
    else:
        raise bad
    if any(
        not isinstance(v, int) or isinstance(v, bool) or v < (0 if allow_zero else 1) for v in out
    ):
        raise bad
    return out


def _pairs(layer: str, arg: str, value: Any, rank: int) -> tuple[tuple[int, int], ...]:
    """Cropping or padding amounts as ``rank`` pairs ``(before, after)``: an int is the
    same everywhere, ``rank`` ints are symmetric per axis, ``rank`` pairs are explicit."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(
                f"Received an invalid value for `{arg}` in {layer}: expected non-negative "
                f"integers, received {arg}={value!r}."
            )
        return ((value, value),) * rank
    if rank == 1:
        return (_int_tuple(layer, arg, value, 2, True),)  # type: ignore[return-value]
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != rank:
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected an integer, "
            f"{rank} integers or {rank} pairs of integers, received {arg}={value!r}."
        )
    pairs = []
    for i, entry in enumerate(value):
        try:
            pairs.append(_int_tuple(layer, arg, entry, 2, True))
        except ValueError:
            raise ValueError(
                f"Received an invalid value for `{arg}` in {layer}: its {_ORDINALS[i]} entry "
                f"must be a non-negative integer or a pair of them, received {arg}={value!r}."
            ) from None
    return tuple(pairs)  # type: ignore[return-value]


def _spatial_axes(data_format: str, rank: int) -> list[int]:
    return list(range(2, 2 + rank)) if data_format == "channels_first" else list(range(1, 1 + rank))


class _Cropping(Layer):
    """Removes rows from both ends of each spatial axis."""

    _rank = 1
    _data_format_arg = True

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.cropping = _pairs(name, "cropping", cropping, self._rank)
        self.data_format = _data_format(name, data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        for axis, (lo, hi) in zip(_spatial_axes(self.data_format, self._rank), self.cropping):
            size = input_shape[axis]
            if size is not None and lo + hi >= size:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): cropping={self.cropping} "
                    f"leaves nothing of input axis {axis} (size {size}); input shape "
                    f"{tuple(input_shape)}."
                )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        index: list[slice] = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in zip(_spatial_axes(self.data_format, self._rank), self.cropping):
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


class _ZeroPadding(Layer):
    """Adds zeros at both ends of each spatial axis."""

    _rank = 1

    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.padding = _pairs(name, "padding", padding, self._rank)
        self.data_format = _data_format(name, data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _widths(self) -> tuple[tuple[int, int], ...]:
        return self.padding  # type: ignore[return-value]

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        widths = [(0, 0)] * inputs.ndim
        for axis, pair in zip(_spatial_axes(self.data_format, self._rank), self._widths()):
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


class UpSampling1D(Layer):
    """Repeats each step of a sequence ``size`` times.

    Args:
        size: The repetition factor, a positive integer. Default 2.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)``.

    Output shape:
        ``(batch_size, steps * size, features)``.
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ValueError(
                "Received an invalid value for `size` in UpSampling1D: expected a positive "
                f"integer, received size={size!r}."
            )
        self.size = size
        self.input_spec = InputSpec(ndim=3)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.repeat(inputs, self.size, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class UpSampling2D(Layer):
    """Enlarges images by integer factors along height and width.

    ``"nearest"`` repeats rows and columns; the other interpolations resize with
    half-pixel centers (``jax.image.resize``), which is what Keras 3 does.

    Args:
        size: Factors ``(rows, cols)``, or one int for both. Default ``(2, 2)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (default), ``"bilinear"``, ``"bicubic"``,
            ``"lanczos3"`` or ``"lanczos5"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)`` (channels last) or
        ``(batch_size, channels, rows, cols)`` (channels first).

    Output shape:
        The same with ``rows * size[0]`` rows and ``cols * size[1]`` columns.
    """

    def __init__(
        self,
        size: int | tuple[int, int] = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = _int_tuple("UpSampling2D", "size", size, 2, False)
        self.data_format = _data_format("UpSampling2D", data_format)
        method = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if method not in _INTERPOLATIONS:
            raise ValueError(
                "Received an invalid value for `interpolation` in UpSampling2D: expected one "
                f"of {', '.join(_INTERPOLATIONS)}, received interpolation={interpolation!r}."
            )
        self.interpolation = method
        self.input_spec = InputSpec(ndim=4)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = inputs
        if self.data_format == "channels_first":
            x = jnp.transpose(x, (0, 2, 3, 1))
        fh, fw = self.size
        if self.interpolation == "nearest":
            x = jnp.repeat(jnp.repeat(x, fh, axis=1), fw, axis=2)
        else:
            b, h, w, c = x.shape
            x = jax.image.resize(x, (b, h * fh, w * fw, c), method=self.interpolation)
        if self.data_format == "channels_first":
            x = jnp.transpose(x, (0, 3, 1, 2))
        return x

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }


class UpSampling3D(Layer):
    """Repeats each voxel along the three spatial axes by integer factors.

    Args:
        size: Factors ``(dim1, dim2, dim3)``, or one int for all. Default ``(2, 2, 2)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)`` (channels last) or
        ``(batch_size, channels, dim1, dim2, dim3)`` (channels first).

    Output shape:
        The same with each spatial axis multiplied by its factor.
    """

    def __init__(
        self,
        size: int | tuple[int, int, int] = (2, 2, 2),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = _int_tuple("UpSampling3D", "size", size, 3, False)
        self.data_format = _data_format("UpSampling3D", data_format)
        self.input_spec = InputSpec(ndim=5)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = inputs
        for axis, factor in zip(_spatial_axes(self.data_format, 3), self.size):
            x = jnp.repeat(x, factor, axis=axis)
        return x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
