"""Random filter layers: RandomSharpness and RandomGaussianBlur.

The per-image work is a pure function of a channels-last batch and the drawn
magnitudes (``sharpen``, ``blur``), so composite augmenters can reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers.preprocessing._image_base import ImageLayer, signed_factor, value_range_of
from kerax.ops.image import gaussian_blur

#: The smoothing kernel of the sharpness filter: 5/13 at the centre, 1/13 around it
#: (NumPy: a JAX array here would start the backend when kerax is imported, before
#: ``jax.distributed.initialize`` can run).
_SMOOTH = np.asarray([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]], np.float32) / 13.0


def _smooth(x: jax.Array) -> jax.Array:
    """Each channel of the channels-last batch ``x`` filtered by ``_SMOOTH`` (zero-padded)."""
    channels = x.shape[-1]
    kernel = jnp.broadcast_to(_SMOOTH[:, :, None, None], (3, 3, 1, channels)).astype(x.dtype)
    return jax.lax.conv_general_dilated(
        x,
        kernel,
        (1, 1),
        "SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        feature_group_count=channels,
    )


def sharpen(x: jax.Array, factor: Any, value_range: Sequence[float]) -> jax.Array:
    """Moves each image of the channels-last batch ``x`` away from (or towards) its
    smoothed version: ``x + (1 - 2 factor) (smooth(x) - x)``, one ``factor`` per image
    (0.5 keeps the image, 0 gives the smoothed one, 1 sharpens), then clips."""
    amount = jnp.reshape(jnp.asarray(factor, x.dtype) * 2, (-1, 1, 1, 1))
    y = x + (1.0 - amount) * (_smooth(x) - x)
    return jnp.clip(y, value_range[0], value_range[1]).astype(x.dtype)


def blur(
    x: jax.Array,
    apply: Any,
    sigma: Any,
    kernel_size: tuple[int, int],
    value_range: Sequence[float],
) -> jax.Array:
    """The Gaussian blur (``sigma`` and ``kernel_size`` as ``(x, y)``, zero-padded) of
    the images of the channels-last batch ``x`` where ``apply`` (one bool per image)
    holds; every image is then clipped to ``value_range``."""
    blurred = gaussian_blur(x, kernel_size=kernel_size, sigma=sigma, data_format="channels_last")
    chosen = jnp.reshape(jnp.asarray(apply, jnp.bool_), (-1, 1, 1, 1))
    y = jnp.where(chosen, blurred.astype(x.dtype), x)
    return jnp.clip(y, value_range[0], value_range[1]).astype(x.dtype)


class RandomSharpness(ImageLayer):
    """Sharpens or softens each image by a random amount in training, then clips to
    ``value_range``; the identity at inference.

    A drawn ``f`` gives ``x + (1 - 2 f) (smooth(x) - x)``, ``smooth`` a 3x3 filter
    (5/13 at the centre, 1/13 around it, zero padding): ``f = 0.5`` keeps the image,
    smaller values soften it and larger ones sharpen it.

    Args:
        factor: A number ``f`` in ``[0, 1]`` draws in ``[0, f]``; a pair ``(a, b)``
            in ``[a, b]``; ``(0.5, 0.5)`` is a no-op.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    random = True

    def __init__(
        self,
        factor: float | Sequence[float],
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomSharpness", "factor", factor, (0.0, 1.0))
        self.value_range = value_range_of("RandomSharpness", value_range)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        low, high = self.factor
        return {"factor": jax.random.uniform(key, (x.shape[0],), minval=low, maxval=high)}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return sharpen(x, transformation["factor"], self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


def _kernel_size(kernel_size: Any) -> tuple[int, int]:
    pair = (
        tuple(kernel_size)
        if isinstance(kernel_size, Sequence) and not isinstance(kernel_size, str)
        else (kernel_size, kernel_size)
    )
    if len(pair) != 2 or not all(
        isinstance(k, int) and not isinstance(k, bool) and k > 0 and k % 2 == 1 for k in pair
    ):
        raise ValueError(
            "Received an invalid value for `kernel_size` in RandomGaussianBlur: expected "
            f"an odd positive integer or a pair of them, received kernel_size={kernel_size!r}."
        )
    return pair[0], pair[1]


class RandomGaussianBlur(ImageLayer):
    """Blurs each image with a Gaussian filter with a random probability in training,
    then clips to ``value_range``; the identity at inference.

    Each image draws a probability in the ``factor`` range and is blurred with that
    probability; the filter's ``(x, y)`` standard deviations are drawn once per batch
    in the ``sigma`` range.

    Args:
        factor: A number ``f`` in ``[0, 1]`` draws the probability in ``[0, f]``
            (default 1.0); a pair ``(a, b)`` in ``[a, b]``.
        kernel_size: The filter size, an odd integer or an ``(x, y)`` pair of them
            (default 3).
        sigma: A number ``s`` in ``[0, 1]`` draws the standard deviations in
            ``[0, s]`` (default 1.0); a pair ``(a, b)`` in ``[a, b]`` (Keras bounds it
            by ``[0, 1]``).
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    random = True

    def __init__(
        self,
        factor: float | Sequence[float] = 1.0,
        kernel_size: int | Sequence[int] = 3,
        sigma: float | Sequence[float] = 1.0,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomGaussianBlur", "factor", factor, (0.0, 1.0))
        self.kernel_size = _kernel_size(kernel_size)
        self.sigma = signed_factor("RandomGaussianBlur", "sigma", sigma, (0.0, 1.0))
        value_range_of("RandomGaussianBlur", value_range)
        self.value_range = value_range
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        k_probability, k_threshold, k_sigma = jax.random.split(key, 3)
        batch = (x.shape[0],)
        probability = jax.random.uniform(
            k_probability, batch, minval=self.factor[0], maxval=self.factor[1]
        )
        threshold = jax.random.uniform(k_threshold, batch)
        sigma = jax.random.uniform(k_sigma, (2,), minval=self.sigma[0], maxval=self.sigma[1])
        return {"should_apply_blur": threshold < probability, "blur_factor": sigma + 1e-6}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return blur(
            x,
            transformation["should_apply_blur"],
            jnp.asarray(transformation["blur_factor"], x.dtype),
            self.kernel_size,
            self.value_range,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "kernel_size": self.kernel_size,
            "sigma": self.sigma,
            "value_range": self.value_range,
            "seed": self.seed,
        }
