"""Random colour layers: RandomColorDegeneration, RandomHue, RandomSaturation,
RandomInvert, RandomPosterization.

Each layer's per-image work is a pure function of a channels-last batch and the
drawn magnitudes (``degenerate_colors``, ``shift_hue``, ``scale_saturation``,
``invert_colors``, ``posterize``), so composite augmenters can reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import _settings
from kerax.layers.preprocessing._image_base import (
    ImageLayer,
    rescale_range,
    signed_factor,
    value_range_of,
)
from kerax.ops.image import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv


def _per_image(magnitude: Any, dtype: Any) -> jax.Array:
    """``magnitude`` (one value per image) shaped to broadcast against a batch."""
    return jnp.reshape(jnp.asarray(magnitude, dtype), (-1, 1, 1, 1))


# ---------------------------------------------------------------- pure transforms
def degenerate_colors(x: jax.Array, factor: Any, value_range: Sequence[float]) -> jax.Array:
    """Blends each image of the channels-last batch ``x`` towards its grayscale version
    by ``factor`` (one per image; 0 keeps it, 1 gives the gray image), then clips."""
    gray = rgb_to_grayscale(x)
    y = x + _per_image(factor, x.dtype) * (gray - x)
    return jnp.clip(y, value_range[0], value_range[1]).astype(x.dtype)


def shift_hue(x: jax.Array, delta: Any, value_range: Sequence[float]) -> jax.Array:
    """Rotates the hue of each image of the RGB batch ``x`` by ``delta`` (one per image,
    a fraction of the full turn, wrapped into ``[0, 1]``)."""
    unit = rescale_range(x, value_range, (0, 1))
    hsv = rgb_to_hsv(unit)
    hue = hsv[..., 0] + jnp.reshape(jnp.asarray(delta, unit.dtype), (-1, 1, 1))
    hue = jnp.where(hue > 1.0, hue - 1.0, hue)
    hue = jnp.where(hue < 0.0, hue + 1.0, hue)
    rgb = jnp.clip(hsv_to_rgb(jnp.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1)), 0, 1)
    return rescale_range(rgb, (0, 1), value_range).astype(x.dtype)


def scale_saturation(x: jax.Array, factor: Any, value_range: Sequence[float]) -> jax.Array:
    """Multiplies the HSV saturation of each image of the RGB batch ``x`` by ``factor``
    (one per image) and clips it to ``value_range``, as Keras does (HSV is computed on
    the pixel values as given; hue and saturation do not depend on their scale)."""
    hsv = rgb_to_hsv(x)
    saturation = hsv[..., 1] * jnp.reshape(jnp.asarray(factor, x.dtype), (-1, 1, 1))
    saturation = jnp.clip(saturation, value_range[0], value_range[1])
    return hsv_to_rgb(jnp.stack([hsv[..., 0], saturation, hsv[..., 2]], axis=-1)).astype(x.dtype)


def invert_colors(x: jax.Array, apply: Any, value_range: Sequence[float]) -> jax.Array:
    """``value_range[1] - x`` for the images where ``apply`` (one bool per image) holds."""
    return jnp.where(_per_image(apply, jnp.bool_), value_range[1] - x, x)


def posterize(x: jax.Array, shift: Any, value_range: Sequence[float]) -> jax.Array:
    """Clears the ``shift`` lowest bits (one count per image) of each pixel, taken as
    an 8-bit value on the ``[0, 255]`` scale."""
    bits = jnp.reshape(jnp.asarray(shift, jnp.uint8), (-1, 1, 1, 1))
    pixels = rescale_range(x, value_range, (0, 255)).astype(jnp.uint8)
    pixels = jnp.left_shift(jnp.right_shift(pixels, bits), bits)
    return rescale_range(pixels.astype(x.dtype), (0, 255), value_range).astype(x.dtype)


# ---------------------------------------------------------------- layers
class _ColorLayer(ImageLayer):
    """A random colour layer with Keras's ``factor``, ``value_range`` and ``seed``."""

    random = True
    #: The interval ``factor`` must lie in.
    _bounds: tuple[float, float] = (0.0, 1.0)
    #: Whether ``value_range`` is kept sorted (a list), as some Keras layers keep it.
    _sorted_range: bool = True

    def __init__(
        self,
        factor: Any,
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        layer = type(self).__name__
        self.factor = signed_factor(layer, "factor", factor, self._bounds)
        checked = value_range_of(layer, value_range)
        self.value_range = checked if self._sorted_range else value_range
        self.seed = seed

    def _uniform(self, key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        low, high = self.factor
        return jax.random.uniform(key, shape, minval=low, maxval=high)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomColorDegeneration(_ColorLayer):
    """Blends each image towards its grayscale version by a random amount in training,
    then clips to ``value_range``; the identity at inference.

    Args:
        factor: How far to blend, 0 keeping the image and 1 giving the gray one. A
            number ``f`` draws in ``[-f, f]`` (Keras 3's rule for this layer: negative
            amounts push colours away from gray); a pair ``(a, b)`` in ``[a, b]``;
            ``(0.5, 0.5)`` always blends half way. Entries lie in ``[-1, 1]``.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``); outputs are clipped to it.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, 3)`` or one image (``channels_first``: channels
        before height).

    Output shape:
        Same as the input.
    """

    _bounds = (-1.0, 1.0)

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        return {"factor": self._uniform(key, (x.shape[0], 1, 1, 1))}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return degenerate_colors(x, transformation["factor"], self.value_range)


class RandomHue(_ColorLayer):
    """Rotates the hue of each RGB image by a random amount in training; the identity
    at inference.

    The image goes to HSV, its hue moves by ``±factor / 2`` of a full turn (the sign
    drawn with even odds), and it comes back to RGB, clipped to ``value_range``.

    Args:
        factor: A number ``f`` in ``[0, 1]`` draws the amount in ``[0, f]``; a pair
            ``(a, b)`` in ``[a, b]``; ``(0.5, 0.5)`` always turns by a quarter.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, 3)`` or one image.

    Output shape:
        Same as the input.
    """

    _sorted_range = False

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        k_sign, k_amount = jax.random.split(key)
        sign = jnp.where(jax.random.uniform(k_sign, (x.shape[0],)) > 0.5, -1.0, 1.0)
        return {"factor": sign * self._uniform(k_amount, (x.shape[0],)) * 0.5}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return shift_hue(x, transformation["factor"], self.value_range)


class RandomSaturation(_ColorLayer):
    """Scales the saturation of each RGB image by a random amount in training; the
    identity at inference.

    A drawn ``f`` multiplies the HSV saturation by ``f / (1 - f + epsilon)``: 0.5
    keeps the image, 0 makes it gray and larger values saturate it. As in Keras, the
    scaled saturation is clipped to ``value_range``, not to ``[0, 1]``: with the
    default ``(0, 255)``, draws above 0.5 can push pixels out of the range.

    Args:
        factor: A number ``f`` draws in ``[-f, f]`` (Keras 3's rule for this layer;
            negative draws give gray images); a pair ``(a, b)`` in ``[a, b]``;
            ``(0.5, 0.5)`` is a no-op. Entries lie in ``[-1, 1]``.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``); it bounds the scaled saturation.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, 3)`` or one image.

    Output shape:
        Same as the input.
    """

    _bounds = (-1.0, 1.0)

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        f = self._uniform(key, (x.shape[0],))
        return {"factor": f / (1.0 - f + _settings.epsilon())}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return scale_saturation(x, transformation["factor"], self.value_range)


class RandomInvert(_ColorLayer):
    """Inverts each image (``value_range[1] - x``) with a random probability in
    training; the identity at inference.

    Each image draws a probability in the ``factor`` range, then is inverted with that
    probability.

    Args:
        factor: A number ``f`` in ``[0, 1]`` draws the probability in ``[0, f]``
            (default 1.0); a pair ``(a, b)`` in ``[a, b]``.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``); as in Keras, inversion subtracts from its high end.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    _sorted_range = False

    def __init__(
        self,
        factor: float | Sequence[float] = 1.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(factor, value_range, data_format=data_format, seed=seed, **kwargs)

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        k_probability, k_threshold = jax.random.split(key)
        probability = self._uniform(k_probability, (x.shape[0],))
        threshold = jax.random.uniform(k_threshold, (x.shape[0],))
        return {"apply_inversion": threshold < probability}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return invert_colors(x, transformation["apply_inversion"], self.value_range)


def _bits_factor(factor: Any) -> tuple[int, int]:
    message = (
        "Received an invalid value for `factor` in RandomPosterization: expected an "
        f"integer or a pair of integers in [1, 8], received factor={factor!r}."
    )
    if isinstance(factor, Sequence) and not isinstance(factor, str):
        if len(factor) != 2 or not all(isinstance(f, int) for f in factor):
            raise ValueError(message)
        if factor[0] > 8 or factor[1] < 1:
            raise ValueError(message)
        low, high = sorted(factor)
        return low, high
    if isinstance(factor, int) and not isinstance(factor, bool) and 1 <= factor <= 8:
        return 1, factor
    raise ValueError(message)


class RandomPosterization(ImageLayer):
    """Keeps only a random number of the highest bits of each 8-bit pixel in training;
    the identity at inference.

    Pixels are taken on the ``[0, 255]`` scale (truncated to integers), their lowest
    ``8 - bits`` bits cleared, and mapped back to ``value_range``.

    Args:
        factor: The number of bits kept, in ``[1, 8]``. A number ``n`` draws it in
            ``[1, n)`` (Keras's integer draw excludes the high end), a pair ``(a, b)``
            in ``[a, b)``; equal ends, e.g. ``(4, 4)``, keep exactly that many.
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
        factor: int | Sequence[int],
        value_range: Sequence[float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = _bits_factor(factor)
        self.value_range = value_range_of("RandomPosterization", value_range)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        low, high = self.factor
        if low == high:
            bits = jnp.full((x.shape[0],), low, jnp.uint8)
        else:
            bits = jax.random.randint(key, (x.shape[0],), low, high, jnp.int32)
        return {"shift_factor": (8 - bits).astype(jnp.uint8)}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        return posterize(x, transformation["shift_factor"], self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
