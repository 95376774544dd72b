"""RandomErasing: a random box of each image replaced by a constant or by noise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers.preprocessing._image_base import ImageLayer, signed_factor, value_range_of
from kerax.layers.preprocessing.image_mixing import (
    box_mask,
    channels_last_mask,
    in_layout,
    random_span,
)


def _check_fill_value(fill_value: Any) -> Any:
    if fill_value is None or (
        isinstance(fill_value, int | float) and not isinstance(fill_value, bool)
    ):
        return fill_value
    if (
        isinstance(fill_value, Sequence)
        and len(fill_value) == 3
        and all(isinstance(v, int | float) for v in fill_value)
    ):
        return fill_value
    raise ValueError(
        "Received an invalid value for `fill_value` in RandomErasing: expected None (noise), "
        f"a number or a list of three numbers (one per channel), received "
        f"fill_value={fill_value!r}."
    )


class RandomErasing(ImageLayer):
    """Erases a random box of each image, with a per-image probability, in training;
    the identity at inference.

    Per image, the box's width and height are ``sqrt(s) * width`` and
    ``sqrt(s') * height`` with ``s, s'`` drawn in ``scale``, placed uniformly; the box
    is erased when a uniform draw falls below a probability drawn in ``factor``. Erased
    pixels take ``fill_value``, or with ``fill_value=None`` Gaussian noise times
    ``value_range[1]``, clipped to ``value_range``.

    Args:
        factor: The erasing probability: a number ``f`` in ``[0, 1]`` draws it per image
            in ``[0, f]``, a pair ``(a, b)`` in ``[a, b]`` (default 1.0).
        scale: A number or a pair in ``[0, 1]``: the range of the box's squared side
            ratios (default ``(0.02, 0.33)``).
        fill_value: None (default: noise), a number, or a list of three numbers (one
            per channel, channels-last images).
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
        factor: float | Sequence[float] = 1.0,
        scale: float | Sequence[float] = (0.02, 0.33),
        fill_value: float | Sequence[float] | None = None,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomErasing", "factor", factor, (0.0, 1.0))
        self.scale = signed_factor("RandomErasing", "scale", scale, (0.0, 1.0))
        self.fill_value = _check_fill_value(fill_value)
        value_range_of("RandomErasing", value_range)
        self.value_range = value_range
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        batch, height, width, _ = x.shape
        k_scale, k_x, k_y, k_prob, k_apply, k_fill = jax.random.split(key, 6)
        ratios = jnp.sqrt(jax.random.uniform(k_scale, (batch, 2), x.dtype, *self.scale))
        x0, x1 = random_span(k_x, width, ratios[:, 0])
        y0, y1 = random_span(k_y, height, ratios[:, 1])
        probability = jax.random.uniform(k_prob, (batch,), x.dtype, *self.factor)
        apply = jax.random.uniform(k_apply, (batch,), x.dtype) < probability
        if self.fill_value is None:
            fill = jax.random.normal(k_fill, x.shape, x.dtype) * self.value_range[1]
        else:
            fill = jnp.broadcast_to(jnp.asarray(self.fill_value, x.dtype), x.shape)
        fill = jnp.clip(fill, self.value_range[0], self.value_range[1])
        return {
            "apply_erasing": apply,
            "batch_masks": in_layout(box_mask(x0, x1, y0, y1, x.shape), self.data_format),
            "fill_value": in_layout(fill, self.data_format),
        }

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        mask = channels_last_mask(transformation["batch_masks"], self.data_format)
        fill = channels_last_mask(transformation["fill_value"], self.data_format)
        apply = jnp.reshape(jnp.asarray(transformation["apply_erasing"]), (-1, 1, 1, 1))
        return jnp.where(apply & mask, fill.astype(x.dtype), x)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
