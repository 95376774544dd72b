"""Rescaling values and resizing or cropping images: Rescaling, Resizing, CenterCrop,
RandomCrop."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing._image_base import ImageLayer, check_choice
from kerax.ops.image import resize
from kerax.ops.image._batch import batched, restore

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _positive_int(layer: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(
            f"Received an invalid value for `{name}` in {layer}: expected a positive "
            f"integer, received {name}={value!r}."
        )
    return int(value)


def _aspect_resize(x: jax.Array, height: int, width: int) -> jax.Array:
    """The largest centered window of ``x`` with the target aspect ratio, resized
    (bilinear) to ``(height, width)`` (Keras's ``smart_resize``)."""
    return resize(x, (height, width), crop_to_aspect_ratio=True)


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``: ``x * scale + offset``.

    To map ``[0, 255]`` to ``[0, 1]`` use ``scale=1 / 255``; to ``[-1, 1]`` use
    ``scale=1 / 127.5, offset=-1``. The output has the layer's compute dtype.

    Args:
        scale: A number, or one number per channel (broadcast on the last axis).
        offset: A number, or one number per channel.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            try:
                np.asarray(value, dtype="float64")
            except (TypeError, ValueError):
                raise ValueError(
                    f"Received an invalid value for `{name}` in Rescaling: expected a number "
                    f"or a list of numbers, received {name}={value!r}."
                ) from None
        self.scale, self.offset = scale, offset

    def apply(self, ctx: Any, inputs: Any) -> jax.Array:
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        offset = jnp.asarray(self.offset, dtype)
        return jnp.asarray(inputs).astype(dtype) * scale + offset

    def get_config(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return np.asarray(v).tolist() if isinstance(v, np.ndarray | jax.Array) else v

        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}


class Resizing(ImageLayer):
    """Resizes images to ``(height, width)``.

    Args:
        height: Output height.
        width: Output width.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``,
            ``"lanczos3"`` or ``"lanczos5"``.
        crop_to_aspect_ratio: First crop the largest centered window with the target
            aspect ratio, so the image is not distorted.
        pad_to_aspect_ratio: First pad the image evenly on two sides (with
            ``fill_value``) to the target aspect ratio.
        fill_mode: Only ``"constant"`` (the padding of ``pad_to_aspect_ratio``).
        fill_value: The padding value.
        antialias: Whether to filter when downsampling.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or an image without the batch axis
        (channels first with ``data_format="channels_first"``).

    Output shape:
        ``(batch, height, width, channels)`` with the target height and width.
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("Resizing", "height", height)
        self.width = _positive_int("Resizing", "width", width)
        self.interpolation = check_choice(
            "Resizing", "interpolation", interpolation, _INTERPOLATIONS
        )
        self.fill_mode = check_choice("Resizing", "fill_mode", fill_mode, ("constant",))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can "
                "be True."
            )
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return resize(
            x,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_value=self.fill_value,
        ).astype(x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


class CenterCrop(ImageLayer):
    """Crops the center ``(height, width)`` window of each image.

    An image smaller than the target on either side is instead cropped to the target
    aspect ratio (the largest centered window) and resized (bilinear) to the target.

    Args:
        height: Output height.
        width: Output width.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        ``(batch, height, width, channels)`` with the target height and width.
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("CenterCrop", "height", height)
        self.width = _positive_int("CenterCrop", "width", width)

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        h, w = x.shape[1], x.shape[2]
        if h < self.height or w < self.width:
            return _aspect_resize(x, self.height, self.width).astype(x.dtype)
        top, left = (h - self.height) // 2, (w - self.width) // 2
        return x[:, top : top + self.height, left : left + self.width]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(ImageLayer):
    """Crops a random ``(height, width)`` window in training, at one position for the
    whole batch.

    In inference, and in training when an image is not larger than the target on both
    sides, the largest centered window with the target aspect ratio is taken and
    resized (bilinear) to the target: the behaviour Keras documents. (Keras 3.15's
    inference path returns the uncropped input instead, whose shape disagrees with the
    layer's declared output shape; kerax keeps the documented, shape-consistent one.)

    Args:
        height: Output height.
        width: Output width.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        ``(batch, height, width, channels)`` with the target height and width.
    """

    random = True

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("RandomCrop", "height", height)
        self.width = _positive_int("RandomCrop", "width", width)
        self.seed = seed

    def _fits(self, x: jax.Array) -> bool:
        return x.shape[1] > self.height and x.shape[2] > self.width

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        if not self._fits(x):
            return {"h_start": jnp.zeros((), "int32"), "w_start": jnp.zeros((), "int32")}
        k1, k2 = jax.random.split(key)
        span_h = float(x.shape[1] - self.height + 1)
        span_w = float(x.shape[2] - self.width + 1)
        h = jax.random.uniform(k1, (), minval=0.0, maxval=span_h).astype("int32")
        w = jax.random.uniform(k2, (), minval=0.0, maxval=span_w).astype("int32")
        return {"h_start": h, "w_start": w}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        if not self._fits(x):
            return _aspect_resize(x, self.height, self.width).astype(x.dtype)
        start = (0, transformation["h_start"], transformation["w_start"], 0)
        return jax.lax.dynamic_slice(x, start, (x.shape[0], self.height, self.width, x.shape[3]))

    def _inference(self, images: jax.Array) -> jax.Array:
        x, fmt, single = batched(images, self.data_format)
        return restore(_aspect_resize(x, self.height, self.width).astype(x.dtype), fmt, single)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
        }
