"""Filter ops: per-channel convolutions of images (Gaussian blur, Sobel edges) and the
structural similarity built on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op, tuplify
from kerax.ops.image._batch import batched, restore


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
    x, fmt, single = batched(images, data_format)
    kw, kh = tuplify(kernel_size, 2, "kernel_size")
    sw, sh = (sigma, sigma) if isinstance(sigma, int | float) else tuple(sigma)
    dtype = jnp.promote_types(x.dtype, "float32")
    kernel = jnp.outer(_gaussian(kh, sh, dtype), _gaussian(kw, sw, dtype))
    return restore(_depthwise(x, kernel, "SAME"), fmt, single)


@op
def sobel_edges(images: Tensor, data_format: str | None = None) -> Array:
    """Sobel gradients ``[dy, dx]`` of each channel, on a new last axis (zero-padded)."""
    x, fmt, single = batched(images, data_format)
    dx = jnp.asarray([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    edges = jnp.stack([_depthwise(x, dx.T, "SAME"), _depthwise(x, dx, "SAME")], axis=-1)
    return restore(edges, fmt, single)


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
    a, fmt, single = batched(image1, data_format)
    b, _, _ = batched(image2, data_format)
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


__all__ = exports(__name__)
