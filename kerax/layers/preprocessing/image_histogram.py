"""Histogram layers: Equalization and ContrastLimitedAdaptiveHistogramEqualization.

Both are deterministic. Their work is a pure function of a channels-last batch
(``equalize``, ``clahe``), so composite augmenters can reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers.preprocessing._image_base import ImageLayer, rescale_range, value_range_of


# ---------------------------------------------------------------- pure transforms
def _affine(x: jax.Array, source: Sequence[float], target: Sequence[float]) -> jax.Array:
    """``x`` mapped linearly from ``source`` to ``target`` as ``x * scale + offset``
    (Keras's rounding for Equalization)."""
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return x * scale + (target[0] - source[0] * scale)


def equalize(x: jax.Array, value_range: Sequence[float], bins: int = 256) -> jax.Array:
    """Histogram equalization of each channel of each image of the channels-last batch
    ``x``; a channel whose values fall in one bin is kept."""
    return jax.vmap(lambda image: _equalize_pooled(image[None], value_range, bins)[0])(x)


def _equalize_pooled(x: jax.Array, value_range: Sequence[float], bins: int) -> jax.Array:
    """Equalization of the batch ``x`` with one histogram per channel over all of it."""
    y = _affine(x, value_range, (0, 255)).astype(jnp.float32)
    channels = x.shape[-1]
    # Keras bins with ``v * (bins - 1) / 255`` and looks up with ``v / 255 * (bins - 1)``;
    # the two roundings can differ at bin edges, so both are kept.
    binned = jnp.clip((y * (bins - 1) / 255.0).astype(jnp.int32), 0, bins - 1)
    which = jnp.broadcast_to(jnp.arange(channels), binned.shape)
    hist = jnp.zeros((channels, bins), jnp.int32).at[which, binned].add(1)
    cdf = jnp.cumsum(hist, axis=-1)
    cdf_min = jnp.take_along_axis(cdf, jnp.argmax(cdf > 0, axis=-1)[:, None], axis=-1)
    denominator = cdf[:, -1:] - cdf_min
    denominator = jnp.where(denominator == 0, 1, denominator)
    table = jnp.clip(jnp.round((cdf - cdf_min) * 255 / denominator), 0, 255)
    lookup = jnp.clip(y / 255.0 * (bins - 1), 0, bins - 1).astype(jnp.int32)
    equalized = table[which, lookup]
    flat = jnp.count_nonzero(hist, axis=-1) <= 1
    out = jnp.where(flat, y, equalized)
    return _affine(out.astype(x.dtype), (0, 255), value_range).astype(x.dtype)


def _tile_weights(size: int, tile: int, grid: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """For each pixel row (or column): the two neighbouring tile centres (indices into
    the edge-padded tile grid) and the weight of the second."""
    position = (jnp.arange(size, dtype=jnp.float32) - tile / 2.0) / tile + 1.0
    first = jnp.floor(position)
    weight = position - first
    low = jnp.clip(first, 0, grid + 1).astype(jnp.int32)
    high = jnp.clip(first + 1.0, 0, grid + 1).astype(jnp.int32)
    return low, high, weight


def clahe(x: jax.Array, clip_limit: float, tile_grid_size: tuple[int, int]) -> jax.Array:
    """Contrast limited adaptive histogram equalization of the channels-last batch
    ``x`` (values on the ``[0, 255]`` scale), per image and channel.

    The image is split into ``tile_grid_size`` tiles (padded by reflection at the
    bottom and right); each tile's 256-bin histogram is clipped at ``clip_limit`` times
    the mean bin count (the excess spread over all bins, none when ``clip_limit <= 0``),
    and each pixel maps through the bilinear blend of its four nearest tiles' CDFs.
    """
    return jax.vmap(lambda image: _clahe_image(image, clip_limit, tile_grid_size))(x)


def _clahe_image(x: jax.Array, clip_limit: float, tile_grid_size: tuple[int, int]) -> jax.Array:
    """:func:`clahe` of one ``(height, width, channels)`` image."""
    height, width, channels = x.shape
    grid_h, grid_w = tile_grid_size
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    pad = ((0, tile_h * grid_h - height), (0, tile_w * grid_w - width), (0, 0))
    padded = jnp.pad(x, pad, mode="symmetric")
    tiles = padded.reshape(grid_h, tile_h, grid_w, tile_w, channels)
    tiles = tiles.transpose(0, 2, 4, 1, 3).reshape(grid_h, grid_w, channels, -1)
    levels = jnp.clip(tiles.astype(jnp.int32), 0, 255)
    index = jnp.indices(levels.shape[:-1], sparse=True)
    hist = jnp.zeros((*levels.shape[:-1], 256), jnp.float32)
    hist = hist.at[(*(i[..., None] for i in index), levels)].add(1.0)
    area = tile_h * tile_w
    if clip_limit > 0:
        clipped = jnp.clip(hist, 0, clip_limit * area / 256.0)
        hist = clipped + jnp.sum(hist - clipped, axis=-1, keepdims=True) / 256.0
    cdf = jnp.cumsum(hist, axis=-1)
    cdf_min = jnp.min(cdf, axis=-1, keepdims=True)
    denominator = area - cdf_min
    denominator = jnp.where(denominator == 0, 1.0, denominator)
    cdf = jnp.clip((cdf - cdf_min) * 255.0 / denominator, 0, 255)
    cdf = jnp.pad(cdf, ((1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

    y0, y1, wy = _tile_weights(tile_h * grid_h, tile_h, grid_h)
    x0, x1, wx = _tile_weights(tile_w * grid_w, tile_w, grid_w)
    pixels = jnp.clip(padded, 0, 255).astype(jnp.int32)
    c = jnp.arange(channels)[None, None, :]

    def at(rows: jax.Array, cols: jax.Array) -> jax.Array:
        return cdf[rows[:, None, None], cols[None, :, None], c, pixels]

    wx, wy = wx[None, :, None], wy[:, None, None]
    top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx
    bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx
    return (top * (1.0 - wy) + bottom * wy)[:height, :width, :]


# Compiled once per shape when the layers run eagerly (inlined inside a traced step).
_equalize_compiled = jax.jit(equalize, static_argnums=(1, 2))
_clahe_compiled = jax.jit(clahe, static_argnums=(1, 2))


# ---------------------------------------------------------------- layers
class Equalization(ImageLayer):
    """Histogram equalization of each channel: spreads the pixel values so that their
    cumulative distribution becomes close to uniform over ``value_range``.

    Deterministic: it applies in training and at inference. Each image is equalized on
    its own, as Keras equalizes one image; a channel whose values all fall in one bin is
    kept. (Keras 3.15, given a batch, pools each channel's histogram over the whole
    batch, so an image's result depends on the others; kerax pads batches to a fixed
    size and keeps outputs independent of how rows are grouped, so it does not.)

    Args:
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        bins: The number of histogram bins (default 256).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        bins: int = 256,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise ValueError(
                "Received an invalid value for `bins` in Equalization: expected a positive "
                f"integer, received bins={bins!r}."
            )
        self.value_range = value_range_of("Equalization", value_range)
        self.bins = bins

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return _equalize_compiled(x, tuple(self.value_range), self.bins)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


class ContrastLimitedAdaptiveHistogramEqualization(ImageLayer):
    """Contrast limited adaptive histogram equalization (CLAHE) of each image and
    channel: equalization over tiles, with each tile's histogram clipped so as to
    limit the gain in contrast, blended bilinearly between tiles.

    Deterministic: it applies in training and at inference.

    Args:
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        clip_limit: The histogram clip, in multiples of a tile's mean bin count
            (default 4.0); 0 or less disables clipping.
        tile_grid_size: The ``(rows, columns)`` of tiles (default ``(8, 8)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Sequence[int] = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        name = "ContrastLimitedAdaptiveHistogramEqualization"
        value_range_of(name, value_range)
        if not isinstance(clip_limit, int | float) or isinstance(clip_limit, bool):
            raise ValueError(
                f"Received an invalid value for `clip_limit` in {name}: expected a number, "
                f"received clip_limit={clip_limit!r}."
            )
        if (
            not isinstance(tile_grid_size, Sequence)
            or len(tile_grid_size) != 2
            or not all(isinstance(t, int) and not isinstance(t, bool) for t in tile_grid_size)
            or min(tile_grid_size) < 1
        ):
            raise ValueError(
                f"Received an invalid value for `tile_grid_size` in {name}: expected a pair "
                f"of positive integers, received tile_grid_size={tile_grid_size!r}."
            )
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        y = rescale_range(x.astype(jnp.float32), self.value_range, (0, 255))
        y = _clahe_compiled(y, self.clip_limit, tuple(self.tile_grid_size))
        return rescale_range(y, (0, 255), self.value_range).astype(x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }
