"""``kerax.ops.image``: Keras's image ops.

Images are ``(height, width, channels)`` or batches ``(batch, height, width,
channels)``; ``data_format="channels_first"`` puts channels before height instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, check_data_format, exports, op, tuplify

_ORDERS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _batched(images: Any, data_format: Any) -> tuple[Any, str, bool]:
    """``images`` as a channels-last batch, the format, and whether it was one image."""
    fmt = check_data_format(data_format)
    x = jnp.asarray(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"Expected an image (rank 3) or a batch (rank 4), got shape {x.shape}.")
    single = x.ndim == 3
    x = x[None] if single else x
    return (jnp.moveaxis(x, 1, -1) if fmt == "channels_first" else x), fmt, single


def _restore(x: Any, fmt: str, single: bool) -> Any:
    """Inverse of :func:`_batched` (channel-like axes after the spatial ones stay put)."""
    if fmt == "channels_first":
        x = jnp.moveaxis(x, 3, 1)
    return x[0] if single else x


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
    x, fmt, single = _batched(images, data_format)
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
    return _restore(out, fmt, single)


def _sample(x: Any, rows: Any, cols: Any, order: int, fill_mode: str, fill_value: float) -> Any:
    """Samples the channels-last batch ``x`` at ``(rows, cols)``, each ``(batch, h, w)``."""

    def one_channel(plane: Any, r: Any, c: Any) -> Any:
        return jax.scipy.ndimage.map_coordinates(
            plane, [r, c], order=order, mode=fill_mode, cval=fill_value
        )

    per_image = jax.vmap(one_channel, in_axes=(-1, None, None), out_axes=-1)
    return jax.vmap(per_image)(x, rows, cols)


def _check_sampling(interpolation: str, fill_mode: str) -> int:
    if interpolation not in _ORDERS:
        raise ValueError(
            f"`interpolation` must be one of {sorted(_ORDERS)}, got {interpolation!r}."
        )
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {_FILL_MODES}, got {fill_mode!r}.")
    return _ORDERS[interpolation]


def _projective(x: Any, transform: Any, order: int, fill_mode: str, fill_value: float) -> Any:
    """Maps each output pixel ``(x, y)`` to the input point
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    t = jnp.broadcast_to(transform, (x.shape[0], 8)).astype(jnp.promote_types(x.dtype, "float32"))
    ys, xs = np.meshgrid(np.arange(x.shape[1]), np.arange(x.shape[2]), indexing="ij")
    t = t[:, :, None, None]
    k = t[:, 6] * xs + t[:, 7] * ys + 1.0
    cols = (t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / k
    rows = (t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / k
    return _sample(x, rows, cols, order, fill_mode, fill_value).astype(x.dtype)


@op
def affine_transform(
    images: Tensor,
    transform: Tensor,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Array:
    """Warps ``images`` by projective ``transform`` s ``[a0, a1, a2, b0, b1, b2, c0, c1]``
    (one, or one per image), which map each *output* point ``(x, y)`` to the input
    point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.

    Args:
        images: An image or a batch.
        transform: ``(8,)`` or ``(batch, 8)``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: How points outside the input are filled: ``"constant"``,
            ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """
    order = _check_sampling(interpolation, fill_mode)
    x, fmt, single = _batched(images, data_format)
    transform = jnp.asarray(transform)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(f"`transform` must be (8,) or (batch, 8), got shape {transform.shape}.")
    return _restore(_projective(x, transform, order, fill_mode, fill_value), fmt, single)


def _homography(start: Any, end: Any) -> Any:
    """The 8 coefficients mapping each ``end`` point to its ``start`` point."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zero, one = jnp.zeros_like(ex), jnp.ones_like(ex)
    row_x = jnp.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1)
    row_y = jnp.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1)
    system = jnp.concatenate([row_x, row_y], axis=-2)
    rhs = jnp.concatenate([sx, sy], axis=-1)
    return jnp.linalg.solve(system, rhs[..., None])[..., 0]


@op
def perspective_transform(
    images: Tensor,
    start_points: Tensor,
    end_points: Tensor,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Array:
    """Warps ``images`` so that the 4 ``start_points`` ``(x, y)`` land on the
    ``end_points`` (each ``(4, 2)``, or ``(batch, 4, 2)``); outside is ``fill_value``."""
    order = _check_sampling(interpolation, "constant")
    x, fmt, single = _batched(images, data_format)
    start = jnp.asarray(start_points, "float32")
    end = jnp.asarray(end_points, "float32")
    if start.shape[-2:] != (4, 2) or start.shape != end.shape:
        raise ValueError(
            f"Points must be (4, 2) or (batch, 4, 2), and match: {start.shape}, {end.shape}."
        )
    transform = _homography(start, end)
    return _restore(_projective(x, transform, order, "constant", fill_value), fmt, single)


@op
def map_coordinates(
    inputs: Tensor,
    coordinates: Tensor,
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> Array:
    """``inputs`` sampled at ``coordinates`` (``(inputs.ndim, ...)``, one row per axis),
    by nearest (``order=0``) or linear (``order=1``) interpolation."""
    if order not in (0, 1):
        raise ValueError(f"`order` must be 0 or 1, received {order!r}.")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {_FILL_MODES}, got {fill_mode!r}.")
    inputs = jnp.asarray(inputs)
    coords = jnp.asarray(coordinates)
    if coords.shape[0] != inputs.ndim:
        raise ValueError(
            f"`coordinates` needs {inputs.ndim} rows (the rank of `inputs`), got {coords.shape[0]}."
        )
    return jax.scipy.ndimage.map_coordinates(
        inputs, list(coords), order=order, mode=fill_mode, cval=fill_value
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
    x, fmt, single = _batched(images, data_format)
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
    return _restore(out, fmt, single)


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
    x, fmt, single = _batched(images, data_format)
    h, w = x.shape[1], x.shape[2]
    _two_of("height", top_cropping, bottom_cropping, target_height)
    _two_of("width", left_cropping, right_cropping, target_width)
    top = h - target_height - bottom_cropping if top_cropping is None else top_cropping
    height = h - top - bottom_cropping if target_height is None else target_height
    left = w - target_width - right_cropping if left_cropping is None else left_cropping
    width = w - left - right_cropping if target_width is None else target_width
    if min(top, height, left, width) < 0 or top + height > h or left + width > w:
        raise ValueError("The cropping does not fit in the images.")
    return _restore(x[:, top : top + height, left : left + width], fmt, single)


def _patches(
    x: Any, size: tuple[int, ...], strides: Any, dilation_rate: Any, padding: str, fmt: str
) -> Any:
    """Patches of a channels-first-or-last batch, flattened in (patch..., channel) order."""
    rank = len(size)
    x = jnp.asarray(x)
    if fmt == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    spatial = "DHW"[3 - rank :]
    out = jax.lax.conv_general_dilated_patches(
        x,
        size,
        size if strides is None else tuplify(strides, rank, "strides"),
        padding.upper(),
        rhs_dilation=tuplify(dilation_rate, rank, "dilation_rate"),
        dimension_numbers=(f"N{spatial}C", f"OI{spatial}", f"N{spatial}C"),
    )
    # The patch axis comes out channel-major: reorder to (*size, channels).
    channels = x.shape[-1]
    out = out.reshape(*out.shape[:-1], channels, int(np.prod(size)))
    out = jnp.swapaxes(out, -1, -2).reshape(*out.shape[:-2], -1)
    return jnp.moveaxis(out, -1, 1) if fmt == "channels_first" else out


@op
def extract_patches(
    images: Tensor,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Array:
    """The ``size`` patches of ``images`` (2 ints or an int) or volumes (3 ints), each
    flattened into the channel axis: ``(batch, rows, cols, ph * pw * channels)``.

    Args:
        images: An image / volume, or a batch of them.
        size: The patch size.
        strides: Patch step (default: ``size``, non-overlapping).
        dilation_rate: Spacing of the sampled pixels within a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """
    size = tuplify(size, 2, "size") if isinstance(size, int) else tuple(size)
    if len(size) not in (2, 3):
        raise ValueError(f"`size` must have 2 or 3 entries, received {size!r}.")
    fmt = check_data_format(data_format)
    x = jnp.asarray(images)
    single = x.ndim == len(size) + 1
    out = _patches(x[None] if single else x, size, strides, dilation_rate, padding, fmt)
    return out[0] if single else out


@op
def extract_patches_3d(
    volumes: Tensor,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Array:
    """The 3D patches of ``volumes`` (see :func:`extract_patches`)."""
    return extract_patches.__wrapped__(
        volumes, tuplify(size, 3, "size"), strides, dilation_rate, padding, data_format
    )


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


def _gaussian(size: int, sigma: Any, dtype: Any) -> Any:
    t = jnp.arange(size, dtype=dtype) - (size - 1) / 2
    k = jnp.exp(-0.5 * (t / jnp.asarray(sigma, dtype)) ** 2)
    return k / jnp.sum(k)


def _depthwise(x: Any, kernel: Any, padding: str) -> Any:
    """Each channel of the channels-last batch ``x`` convolved with the 2D ``kernel``."""
    c = x.shape[-1]
    k = jnp.broadcast_to(kernel[:, :, None, None], (*kernel.shape, 1, c)).astype(x.dtype)
    return jax.lax.conv_general_dilated(
        x, k, (1, 1), padding, dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=c
    )


@op
def gaussian_blur(
    images: Tensor,
    kernel_size: int | Sequence[int] = (3, 3),
    sigma: float | Sequence[float] = (1.0, 1.0),
    data_format: str | None = None,
) -> Array:
    """``images`` blurred by a Gaussian, zero-padded to keep their size.

    ``kernel_size`` and ``sigma`` are given as ``(x, y)``: width first, as in Keras.
    """
    x, fmt, single = _batched(images, data_format)
    kw, kh = tuplify(kernel_size, 2, "kernel_size")
    sw, sh = (sigma, sigma) if isinstance(sigma, int | float) else tuple(sigma)
    dtype = jnp.promote_types(x.dtype, "float32")
    kernel = jnp.outer(_gaussian(kh, sh, dtype), _gaussian(kw, sw, dtype))
    return _restore(_depthwise(x, kernel, "SAME"), fmt, single)


@op
def sobel_edges(images: Tensor, data_format: str | None = None) -> Array:
    """Sobel gradients ``[dy, dx]`` of each channel, on a new last axis (zero-padded)."""
    x, fmt, single = _batched(images, data_format)
    dx = jnp.asarray([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    edges = jnp.stack([_depthwise(x, dx.T, "SAME"), _depthwise(x, dx, "SAME")], axis=-1)
    return _restore(edges, fmt, single)


@op
def ssim(
    image1: Tensor,
    image2: Tensor,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: str | None = None,
) -> Array:
    """The structural similarity of two images (or batches): per image, the mean over
    pixels and channels of the Gaussian-windowed SSIM map (``valid`` windows)."""
    a, fmt, single = _batched(image1, data_format)
    b, _, _ = _batched(image2, data_format)
    dtype = jnp.promote_types(a.dtype, "float32")
    a, b = a.astype(dtype), b.astype(dtype)
    g = _gaussian(filter_size, filter_sigma, dtype)
    kernel = jnp.outer(g, g)

    def blur(t: Any) -> Any:
        return _depthwise(t, kernel, "VALID")

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a * mu_a
    var_b = blur(b * b) - mu_b * mu_b
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    value = jnp.mean(num / den, axis=(1, 2, 3)).astype(jnp.asarray(image1).dtype)
    return value[0] if single else value


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


__all__ = exports(__name__)
