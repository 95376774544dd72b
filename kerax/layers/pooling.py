"""Pooling layers: windowed max / average, MaxPooling1D to AveragePooling3D.

Windowed pooling is one ``jax.lax.reduce_window``. With ``padding="same"`` the average
divides each window's sum by the number of real (non-padded) cells it covers, as Keras
does, so border outputs are not pulled towards zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._args import (
    check_rank,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from kerax.layers._base import InputSpec, Layer


def _lowest(dtype: Any) -> Any:
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.floating) or dtype == jnp.bfloat16:
        return -jnp.inf
    if dtype == np.bool_:
        return False
    return np.iinfo(dtype).min


class BasePooling(Layer):
    """Max or average pooling over ``rank`` spatial dimensions.

    Use the ``MaxPooling*`` / ``AveragePooling*`` layers; this base holds the argument
    checks and the forward pass for any ``rank``.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        mode: ``"max"`` or ``"average"``.
        pool_size: Window size: an int or ``rank`` ints.
        strides: Step of the window: an int or ``rank`` ints; ``None`` means
            ``pool_size`` (non-overlapping windows).
        padding: ``"valid"`` (windows inside the input only) or ``"same"`` (padding so
            that the output has ``ceil(size / stride)`` steps). Case-insensitive.
        data_format: ``"channels_last"`` (default for ``None``) or
            ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, *spatial_dims, channels)`` with ``channels_last``, or
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``.

    Output shape:
        The same layout; each spatial size becomes ``ceil(size / stride)`` with
        ``"same"`` and ``(size - pool) // stride + 1`` with ``"valid"``.
    """

    loop_friendly = False  # XLA:CPU runs these far slower inside a loop body

    def __init__(
        self,
        rank: int,
        mode: str,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.rank = rank
        self.pool_mode = mode
        self.pool_size = normalize_tuple(cls, "pool_size", pool_size, rank)
        self.strides = (
            self.pool_size if strides is None else normalize_tuple(cls, "strides", strides, rank)
        )
        self.padding = normalize_padding(cls, padding, ("valid", "same"))
        self.data_format = normalize_data_format(cls, data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _window(self, sizes: tuple[int, ...]) -> tuple[int, ...]:
        if self.data_format == "channels_last":
            return (1, *sizes, 1)
        return (1, 1, *sizes)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        shape = tuple(input_shape)
        check_rank(self, shape, self.rank + 2)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        if self.padding == "valid" and any(
            n is not None and n < k for n, k in zip(spatial, self.pool_size, strict=True)
        ):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the input is smaller than "
                f"pool_size={self.pool_size} with padding='valid'; received input shape "
                f"{shape}."
            )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        check_rank(self, inputs.shape, self.rank + 2)
        window = self._window(self.pool_size)
        strides = self._window(self.strides)
        padding = self.padding.upper()
        # Concrete NumPy initial values: JAX differentiates a windowed max / sum only
        # when it recognises the identity element of the reduction.
        if self.pool_mode == "max":
            init = np.asarray(_lowest(inputs.dtype), inputs.dtype)
            return jax.lax.reduce_window(inputs, init, jax.lax.max, window, strides, padding)
        zero = np.asarray(0, inputs.dtype)
        total = jax.lax.reduce_window(inputs, zero, jax.lax.add, window, strides, padding)
        if self.padding == "valid":
            return total / math.prod(self.pool_size)
        # Count the real cells of every window: ones over the spatial axes only, so the
        # count does not depend on the (possibly symbolic) batch size.
        ones_shape = tuple(n if w != 1 else 1 for n, w in zip(inputs.shape, window, strict=True))
        ones = jnp.ones(ones_shape, inputs.dtype)
        count = jax.lax.reduce_window(ones, zero, jax.lax.add, window, strides, padding)
        return total / count

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class _Pooling(BasePooling):
    """A :class:`BasePooling` of fixed rank and mode, with Keras's constructor (the
    rank and mode come from the subclass)."""

    _rank: int = 0
    _mode: str = ""

    def __init__(
        self,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            self._rank,
            self._mode,
            pool_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            **kwargs,
        )


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps along time.

    Args:
        pool_size: Window length: an int or a tuple of one int (default 2).
        strides: Step of the window; ``None`` (default) means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)``, or ``(batch_size, features, steps)`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, new_steps, features)``, or ``(batch_size, features, new_steps)``.
    """

    _rank, _mode = 1, "max"

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of an image.

    Args:
        pool_size: Window size: an int or two ints (default ``(2, 2)``).
        strides: Step of the window; ``None`` (default) means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_rows, new_cols, channels)``, or ``(batch_size, channels,
        new_rows, new_cols)``.
    """

    _rank, _mode = 2, "max"

    def __init__(
        self,
        pool_size: int | Sequence[int] = (2, 2),
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """Max over ``pool_size`` windows of a volume.

    Args:
        pool_size: Window size: an int or three ints (default ``(2, 2, 2)``).
        strides: Step of the window; ``None`` (default) means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)``, or ``(batch_size, channels, dim1,
        dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_dim1, new_dim2, new_dim3, channels)``, or the
        ``channels_first`` equivalent.
    """

    _rank, _mode = 3, "max"

    def __init__(
        self,
        pool_size: int | Sequence[int] = (2, 2, 2),
        strides: int | Sequence[int] | None = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps along time.

    With ``padding="same"`` a border window averages only the real steps it covers.

    Args:
        pool_size: Window length: an int or a tuple of one int.
        strides: Step of the window; ``None`` (default) means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)``, or ``(batch_size, features, steps)`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, new_steps, features)``, or ``(batch_size, features, new_steps)``.
    """

    _rank, _mode = 1, "average"


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of an image.

    With ``padding="same"`` a border window averages only the real pixels it covers.

    Args:
        pool_size: Window size: an int or two ints.
        strides: Step of the window; ``None`` (default) means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_rows, new_cols, channels)``, or ``(batch_size, channels,
        new_rows, new_cols)``.
    """

    _rank, _mode = 2, "average"


class AveragePooling3D(_Pooling):
    """Mean over ``pool_size`` windows of a volume.

    With ``padding="same"`` a border window averages only the real cells it covers.

    Args:
        pool_size: Window size: an int or three ints.
        strides: Step of the window; ``None`` (default) means ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)``, or ``(batch_size, channels, dim1,
        dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_dim1, new_dim2, new_dim3, channels)``, or the
        ``channels_first`` equivalent.
    """

    _rank, _mode = 3, "average"
