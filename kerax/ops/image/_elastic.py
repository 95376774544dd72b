"""Elastic deformation of images: every pixel displaced by a smoothed random field."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op
from kerax.ops.image._batch import batched, restore
from kerax.ops.image._filters import gaussian_blur
from kerax.ops.image._warp import _check_sampling, _sample


@op
def elastic_transform(
    images: Tensor,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: str | None = None,
) -> Array:
    """Applies a random elastic deformation to an image or a batch of images.

    A displacement field of standard normal noise times ``sigma`` is drawn per image,
    blurred by a Gaussian of standard deviation ``sigma`` (a kernel of
    ``int(6 * sigma) | 1`` pixels), scaled by ``alpha``, and each output pixel samples
    the input at its position plus that displacement. As in Keras 3, the rows and the
    columns are displaced by the same field, so an integer ``seed`` gives Keras's
    images.

    Args:
        images: An image ``(height, width, channels)`` or a batch
            ``(batch, height, width, channels)`` (channels first with
            ``data_format="channels_first"``).
        alpha: Strength of the displacement, in pixels per unit of the smoothed field.
        sigma: Scale of the noise and standard deviation of the smoothing, in pixels;
            a positive number (not a traced value: the kernel size depends on it).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: How points outside the image are filled: ``"reflect"`` (default),
            ``"constant"``, ``"nearest"``, ``"wrap"`` or ``"mirror"``.
        fill_value: The value outside the image with ``fill_mode="constant"``.
        seed: An int, a :class:`kerax.random.SeedGenerator`, a JAX key, or None (the
            global stream, or the layer call's key inside a model).
        data_format: ``"channels_last"`` or ``"channels_first"``; None is the
            configured default.

    Returns:
        The deformed images, with the input's shape and dtype.

    Raises:
        ValueError: For an unknown ``interpolation`` or ``fill_mode``, an input that is
            not rank 3 or 4, or a ``sigma`` that is not a positive number.
    """
    from kerax.random import _key

    order = _check_sampling(interpolation, fill_mode)
    given = sigma
    try:
        sigma = float(sigma)  # the kernel size depends on it: a concrete number
    except (TypeError, jax.errors.ConcretizationTypeError):
        sigma = float("nan")
    if not sigma > 0:
        raise ValueError(
            f"elastic_transform: `sigma` must be a positive number, received {given!r}."
        )
    x, fmt, single = batched(images, data_format)
    out = _deform(x, _key(seed), alpha, sigma, order, fill_mode, float(fill_value))
    return restore(out, fmt, single)


# One program rather than many single-op ones when called eagerly; inlined into an
# enclosing trace as any function is.
@functools.partial(jax.jit, static_argnames=("sigma", "order", "fill_mode", "fill_value"))
def _deform(
    x: jax.Array,
    key: jax.Array,
    alpha: Any,
    sigma: float,
    order: int,
    fill_mode: str,
    fill_value: float,
) -> jax.Array:
    """The deformation of the channels-last batch ``x``."""
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float32
    batch, height, width, _ = x.shape
    field = jax.random.normal(key, (batch, height, width), dtype) * sigma
    size = int(6 * sigma) | 1
    field = gaussian_blur(field[..., None], (size, size), (sigma, sigma), "channels_last")[..., 0]
    field = (alpha * field).astype(dtype)
    rows = jnp.arange(height, dtype=dtype)[None, :, None] + field
    cols = jnp.arange(width, dtype=dtype)[None, None, :] + field
    out = _sample(x.astype(dtype), rows, cols, order, fill_mode, fill_value)
    return out.astype(x.dtype)


__all__ = exports(__name__)
