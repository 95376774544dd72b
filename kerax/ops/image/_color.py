"""Colour ops: RGB to grayscale, and between RGB and HSV."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, check_data_format, exports, op


def _channels(x: Any, fmt: str) -> int:
    return -1 if fmt == "channels_last" else -3


@op
def rgb_to_grayscale(images: Tensor, data_format: str | None = None) -> Array:
    """Luma ``0.2989 R + 0.587 G + 0.114 B``, keeping a 1-channel axis (and the dtype)."""
    fmt = check_data_format(data_format)
    x = jnp.asarray(images)
    axis = _channels(x, fmt)
    if x.shape[axis] == 1:
        return x
    if x.shape[axis] != 3:
        raise ValueError(f"Expected 1 or 3 channels, got shape {x.shape}.")
    weights = jnp.asarray([0.2989, 0.5870, 0.1140], jnp.promote_types(x.dtype, "float32"))
    gray = jnp.tensordot(jnp.moveaxis(x, axis, -1).astype(weights.dtype), weights, axes=1)
    return jnp.expand_dims(gray, axis).astype(x.dtype)


def _planes(images: Any, data_format: Any) -> tuple[Any, Any, Any, int]:
    fmt = check_data_format(data_format)
    x = jnp.asarray(images)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise ValueError(f"Expected float images, got {x.dtype}.")
    axis = _channels(x, fmt)
    a, b, c = (jnp.take(x, i, axis=axis) for i in range(3))
    return a, b, c, axis


@op
def rgb_to_hsv(images: Tensor, data_format: str | None = None) -> Array:
    """RGB in ``[0, 1]`` to hue, saturation, value, each in ``[0, 1]``."""
    r, g, b, axis = _planes(images, data_format)
    eps = jnp.finfo(r.dtype).eps
    r, g, b = (jnp.where(jnp.abs(p) < eps, 0.0, p) for p in (r, g, b))
    value = jnp.maximum(jnp.maximum(r, g), b)
    spread = value - jnp.minimum(jnp.minimum(r, g), b)
    saturation = jnp.where(value > 0, spread / jnp.where(value > 0, value, 1.0), 0.0)
    scale = 1.0 / (6.0 * jnp.where(spread > 0, spread, 1.0))
    hue = jnp.where(value == g, (b - r) * scale + 1 / 3, (r - g) * scale + 2 / 3)
    hue = jnp.where(value == r, (g - b) * scale, hue)
    hue = jnp.where(spread > 0, hue, 0.0)
    hue = jnp.where(hue < 0, hue + 1.0, hue)
    return jnp.stack([hue, saturation, value], axis=axis)


@op
def hsv_to_rgb(images: Tensor, data_format: str | None = None) -> Array:
    """Hue, saturation, value in ``[0, 1]`` to RGB (the inverse of :func:`rgb_to_hsv`)."""
    h, s, v, axis = _planes(images, data_format)
    sector = jnp.mod(h, 1.0) * 6.0
    red = jnp.clip(jnp.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = jnp.clip(2.0 - jnp.abs(sector - 2.0), 0.0, 1.0)
    blue = jnp.clip(2.0 - jnp.abs(sector - 4.0), 0.0, 1.0)
    rgb = [v * (1.0 - s + s * d) for d in (red, green, blue)]
    return jnp.stack(rgb, axis=axis)


__all__ = exports(__name__)
