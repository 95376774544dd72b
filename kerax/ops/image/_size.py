"""Size ops: resizing and resampling images, padding and cropping them."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op
from kerax.ops.image._batch import batched, restore


@op
def resize(
    images: Tensor,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Array:
    """``images`` resized to ``size = (height, width)``.

    Args:
        images: An image or a batch.
        size: The output ``(height, width)``.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"``
            or ``"lanczos5"``.
        antialias: Filter when downsampling.
        crop_to_aspect_ratio: First crop the center to the target aspect ratio.
        pad_to_aspect_ratio: First pad (with ``fill_value``) to the aspect ratio.
        fill_mode: Only ``"constant"``.
        fill_value: The padding value.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """
    if fill_mode != "constant":
        raise ValueError(f"Only fill_mode='constant' is supported, received {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be set.")
    x, fmt, single = batched(images, data_format)
    th, tw = tuple(size)
    h, w = x.shape[1], x.shape[2]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(w * th / tw)), 1)
        cw = max(min(w, int(h * tw / th)), 1)
        top, left = (h - ch) // 2, (w - cw) // 2
        x = x[:, top : top + ch, left : left + cw]
    elif pad_to_aspect_ratio:
        top = (max(h, int(w * th / tw)) - h) // 2
        left = (max(w, int(h * tw / th)) - w) // 2
        # One axis at most: the image is centered between two equal bands.
        pads = (
            ((0, 0), (top, top), (0, 0), (0, 0)) if top else ((0, 0), (0, 0), (left, left), (0, 0))
        )
        x = jnp.pad(x, pads, constant_values=fill_value)
    shape = (x.shape[0], th, tw, x.shape[-1])
    out = jax.image.resize(x, shape, method=interpolation, antialias=antialias)
    return restore(out, fmt, single)


@op
def scale_and_translate(
    images: Tensor,
    output_shape: Sequence[int],
    scale: Tensor,
    translation: Tensor,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> Array:
    """``images`` resampled to ``output_shape`` under ``x * scale + translation`` on
    ``spatial_dims`` (``jax.image.scale_and_translate``)."""
    return jax.image.scale_and_translate(
        jnp.asarray(images),
        tuple(output_shape),
        tuple(spatial_dims),
        jnp.asarray(scale),
        jnp.asarray(translation),
        method,
        antialias,
    )


def _two_of(name: str, before: int | None, after: int | None, target: int | None) -> None:
    """Checks that exactly two of an axis's amounts and its target size are given."""
    given = [v for v in (before, after, target) if v is not None]
    if len(given) != 2:
        raise ValueError(f"Give exactly two of the two {name} amounts and the target {name}.")
    if any(v < 0 for v in given):
        raise ValueError(f"The {name} amounts and the target {name} must be >= 0.")


@op
def pad_images(
    images: Tensor,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Array:
    """``images`` padded with zeros; per axis, give two of the two paddings and the
    target size."""
    x, fmt, single = batched(images, data_format)
    h, w = x.shape[1], x.shape[2]
    _two_of("height", top_padding, bottom_padding, target_height)
    _two_of("width", left_padding, right_padding, target_width)
    top = target_height - h - bottom_padding if top_padding is None else top_padding
    bottom = target_height - h - top if bottom_padding is None else bottom_padding
    left = target_width - w - right_padding if left_padding is None else left_padding
    right = target_width - w - left if right_padding is None else right_padding
    if min(top, bottom, left, right) < 0:
        raise ValueError("The target size is smaller than the images.")
    out = jnp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    return restore(out, fmt, single)


@op
def crop_images(
    images: Tensor,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> Array:
    """``images`` cropped; per axis, give two of the two croppings and the target size."""
    x, fmt, single = batched(images, data_format)
    h, w = x.shape[1], x.shape[2]
    _two_of("height", top_cropping, bottom_cropping, target_height)
    _two_of("width", left_cropping, right_cropping, target_width)
    top = h - target_height - bottom_cropping if top_cropping is None else top_cropping
    height = h - top - bottom_cropping if target_height is None else target_height
    left = w - target_width - right_cropping if left_cropping is None else left_cropping
    width = w - left - right_cropping if target_width is None else target_width
    if min(top, height, left, width) < 0 or top + height > h or left + width > w:
        raise ValueError("The cropping does not fit in the images.")
    return restore(x[:, top : top + height, left : left + width], fmt, single)


__all__ = exports(__name__)
