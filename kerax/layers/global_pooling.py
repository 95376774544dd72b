"""Global pooling layers: the max or mean over all spatial positions, 1-D to 3-D."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._args import check_rank, normalize_data_format, spatial_axes
from kerax.layers._base import InputSpec, Layer


class BaseGlobalPooling(Layer):
    """Max or mean over all spatial positions.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        data_format: ``"channels_last"`` (default for ``None``) or
            ``"channels_first"``.
        keepdims: Whether to keep the spatial axes, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, *spatial_dims, channels)`` with ``channels_last``, or
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``.

    Output shape:
        ``(batch_size, channels)``; with ``keepdims`` the input layout with every
        spatial size 1.
    """

    _rank: int = 0

    def __init__(
        self,
        data_format: str | None = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(type(self).__name__, data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _axes(self, inputs: jax.Array) -> tuple[int, ...]:
        check_rank(self, inputs.shape, self._rank + 2)
        return tuple(spatial_axes(self.data_format, self._rank))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "keepdims": self.keepdims,
        }


class _GlobalMax(BaseGlobalPooling):
    """Global max over the spatial axes; see :class:`BaseGlobalPooling`."""

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.max(inputs, axis=self._axes(inputs), keepdims=self.keepdims)


class _GlobalAverage(BaseGlobalPooling):
    """Global mean over the spatial axes; see :class:`BaseGlobalPooling`."""

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.mean(inputs, axis=self._axes(inputs), keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalMax):
    """Max over all time steps.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Whether to keep the time axis, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)``, or ``(batch_size, features, steps)`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, features)``; with ``keepdims`` ``(batch_size, 1, features)`` or
        ``(batch_size, features, 1)``.
    """

    _rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    """Max over all pixels of an image.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Whether to keep the spatial axes, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, channels)``; with ``keepdims`` ``(batch_size, 1, 1, channels)``
        or ``(batch_size, channels, 1, 1)``.
    """

    _rank = 2


class GlobalMaxPooling3D(_GlobalMax):
    """Max over all cells of a volume.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Whether to keep the spatial axes, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)``, or ``(batch_size, channels, dim1,
        dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch_size, channels)``; with ``keepdims`` the spatial sizes become 1.
    """

    _rank = 3


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over all time steps; with a mask, over the unmasked steps only.

    The output carries no mask. A sample whose steps are all masked gives NaN, as in
    Keras.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Whether to keep the time axis, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, steps, features)``, or ``(batch_size, features, steps)`` with
        ``channels_first``; optional mask ``(batch_size, steps)``.

    Output shape:
        ``(batch_size, features)``; with ``keepdims`` ``(batch_size, 1, features)`` or
        ``(batch_size, features, 1)``.
    """

    _rank = 1
    supports_masking = True

    def apply(self, ctx: Any, inputs: jax.Array, mask: jax.Array | None = None) -> jax.Array:
        if mask is None:
            return super().apply(ctx, inputs)
        axis = self._axes(inputs)
        keep = jnp.expand_dims(mask.astype(bool), 2 if self.data_format == "channels_last" else 1)
        total = jnp.sum(jnp.where(keep, inputs, 0), axis=axis, keepdims=self.keepdims)
        count = jnp.sum(keep.astype(inputs.dtype), axis=axis, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over all pixels of an image.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Whether to keep the spatial axes, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, channels)``; with ``keepdims`` ``(batch_size, 1, 1, channels)``
        or ``(batch_size, channels, 1, 1)``.
    """

    _rank = 2


class GlobalAveragePooling3D(_GlobalAverage):
    """Mean over all cells of a volume.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Whether to keep the spatial axes, with size 1 (default ``False``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)``, or ``(batch_size, channels, dim1,
        dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch_size, channels)``; with ``keepdims`` the spatial sizes become 1.
    """

    _rank = 3
