"""Image colour layers: RandomContrast, RandomBrightness, RandomGrayscale, AutoContrast,
Solarization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers.preprocessing._image_base import (
    ImageLayer,
    rescale_range,
    signed_factor,
    value_range_of,
)
from kerax.ops.image import rgb_to_grayscale


def _per_image(x: jax.Array) -> tuple[int, int, int, int]:
    return (x.shape[0], 1, 1, 1)


class RandomContrast(ImageLayer):
    """Scales each image's deviation from its mean (per channel) by a random factor in
    training, then clips to ``value_range``; the identity at inference.

    Output: ``(x - mean) * c + mean``, ``mean`` over height and width, with ``c`` drawn
    in ``[1 - lower, 1 + upper]``.

    Args:
        factor: A number ``f`` in ``[0, 1]`` gives ``(lower, upper) = (0, f)``, as in
            Keras 3 (so ``c`` in ``[1, 1 + f]``); a pair gives ``(lower, upper)``.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``); outputs are clipped to it.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

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
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomContrast", "factor", factor, (0.0, 1.0))
        value_range_of("RandomContrast", value_range)
        self.value_range = value_range
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        low, high = 1.0 - self.factor[0], 1.0 + self.factor[1]
        factor = jax.random.uniform(key, _per_image(x), x.dtype, minval=low, maxval=high)
        return {"contrast_factor": factor}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        factor = jnp.reshape(jnp.asarray(transformation["contrast_factor"], x.dtype), (-1, 1, 1, 1))
        mean = jnp.mean(x, axis=(1, 2), keepdims=True)
        out = (x - mean) * factor + mean
        return jnp.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomBrightness(ImageLayer):
    """Adds a random offset to each image in training, then clips to ``value_range``;
    the identity at inference.

    Args:
        factor: A number ``f`` in ``[-1, 1]`` draws the offset in ``[-f, f]`` times the
            width of ``value_range``; a pair ``(a, b)`` in ``[a, b]`` times it.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

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
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomBrightness", "factor", factor)
        self.value_range = value_range_of("RandomBrightness", value_range)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        delta = jax.random.uniform(key, _per_image(x), minval=self.factor[0], maxval=self.factor[1])
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        delta = jnp.reshape(jnp.asarray(transformation["rgb_delta"], x.dtype), (-1, 1, 1, 1))
        return jnp.clip(x + delta, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomGrayscale(ImageLayer):
    """Turns each image to grayscale with probability ``factor`` in training (the
    channels keep their number, each holding the luma); the identity at inference.

    Args:
        factor: The probability, in ``[0, 1]`` (default 0.5).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, 3)`` (or 1 channel) or one image.

    Output shape:
        Same as the input.
    """

    random = True

    def __init__(
        self,
        factor: float = 0.5,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(factor, int | float) or not 0 <= factor <= 1:
            raise ValueError(
                "Received an invalid value for `factor` in RandomGrayscale: expected a "
                f"probability in [0, 1], received factor={factor!r}."
            )
        self.factor = factor
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        return {"should_apply": jax.random.uniform(key, _per_image(x)) < self.factor}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        apply = jnp.reshape(jnp.asarray(transformation["should_apply"]), (-1, 1, 1, 1))
        return jnp.where(apply, rgb_to_grayscale(x), x)

    def get_config(self) -> dict[str, Any]:
        # Keras 3 writes no seed into this layer's config.
        return {**super().get_config(), "factor": self.factor}


class AutoContrast(ImageLayer):
    """Stretches each channel of each image to the full ``value_range`` (its minimum
    to the low end, its maximum to the high end); a constant channel is kept.

    Deterministic: it applies in training and at inference.

    Args:
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(self, value_range: Sequence[float] = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_range = value_range_of("AutoContrast", value_range)

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        y = rescale_range(x, self.value_range, (0, 255))
        low = jnp.min(y, axis=(1, 2), keepdims=True)
        high = jnp.max(y, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        y = jnp.clip(y * scale - low * scale, 0.0, 255.0)
        y = rescale_range(y, (0, 255), self.value_range)
        return jnp.where(jnp.isnan(y), x, y).astype(x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range}


def _solarize_factor(name: str, factor: Any) -> tuple[float, float]:
    message = (
        f"Received an invalid value for `{name}` in Solarization: expected a number or a "
        f"pair of numbers in [0, 1], received {name}={factor!r}."
    )
    if isinstance(factor, Sequence) and not isinstance(factor, str):
        if len(factor) != 2 or not all(isinstance(f, int | float) and 0 <= f <= 1 for f in factor):
            raise ValueError(message)
        first, second = sorted(factor)
        return first, second
    if isinstance(factor, int | float) and 0 <= factor <= 1:
        return 0, factor
    raise ValueError(message)


class Solarization(ImageLayer):
    """Solarizes images in training: adds a random offset, clips, and inverts the pixels
    at or above a random threshold (on the ``[0, 255]`` scale); the identity at
    inference.

    With the default factors (0), the threshold is 0 and every pixel is inverted.

    Args:
        addition_factor: A number ``f`` draws the offset in ``[0, 255 f]``; a pair
            ``(a, b)`` in ``[a, 255 b]`` (Keras 3's bounds).
        threshold_factor: The same for the threshold.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    random = True

    def __init__(
        self,
        addition_factor: float | Sequence[float] = 0.0,
        threshold_factor: float | Sequence[float] = 0.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.addition_factor = _solarize_factor("addition_factor", addition_factor)
        self.threshold_factor = _solarize_factor("threshold_factor", threshold_factor)
        self.value_range = value_range_of("Solarization", value_range)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        ka, kt = jax.random.split(key)
        add, thr = self.addition_factor, self.threshold_factor
        return {
            "additions": jax.random.uniform(
                ka, _per_image(x), x.dtype, minval=add[0], maxval=add[1] * 255
            ),
            "thresholds": jax.random.uniform(
                kt, _per_image(x), x.dtype, minval=thr[0], maxval=thr[1] * 255
            ),
        }

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        additions = jnp.reshape(jnp.asarray(transformation["additions"], x.dtype), (-1, 1, 1, 1))
        thresholds = jnp.reshape(jnp.asarray(transformation["thresholds"], x.dtype), (-1, 1, 1, 1))
        y = jnp.clip(rescale_range(x, self.value_range, (0, 255)) + additions, 0, 255)
        y = jnp.where(y < thresholds, y, 255 - y)
        return rescale_range(y, (0, 255), self.value_range).astype(x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "seed": self.seed,
        }
