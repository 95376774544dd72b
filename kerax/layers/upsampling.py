"""Up-sampling layers: UpSampling1D, UpSampling2D, UpSampling3D.

Each enlarges the spatial axes by integer factors, repeating steps, pixels or voxels
(or, in 2-D, resizing with another interpolation).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._args import int_tuple, normalize_data_format, spatial_axes
from kerax.layers._base import InputSpec, Layer


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
        self.size = int_tuple("UpSampling2D", "size", size, 2, False)
        self.data_format = normalize_data_format("UpSampling2D", data_format)
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
        self.size = int_tuple("UpSampling3D", "size", size, 3, False)
        self.data_format = normalize_data_format("UpSampling3D", data_format)
        self.input_spec = InputSpec(ndim=5)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = inputs
        for axis, factor in zip(spatial_axes(self.data_format, 3), self.size):
            x = jnp.repeat(x, factor, axis=axis)
        return x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
