"""RandomColorJitter: random brightness, contrast, saturation and hue, in that order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from kerax.layers.preprocessing._image_base import ImageLayer, value_range_of
from kerax.layers.preprocessing.image_color import RandomBrightness, RandomContrast
from kerax.layers.preprocessing.image_color_random import RandomHue, RandomSaturation


class RandomColorJitter(ImageLayer):
    """Randomly changes the brightness, contrast, saturation and hue of each image in
    training (the ones whose factor is given, in that order); the identity at
    inference.

    Each stage is the layer of the same name (``RandomBrightness``,
    ``RandomContrast``, ``RandomSaturation``, ``RandomHue``) with the given factor and
    ``value_range``, drawing its own numbers.

    Args:
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        brightness_factor: ``RandomBrightness``'s ``factor``; None (default) skips it.
        contrast_factor: ``RandomContrast``'s ``factor``; None skips it.
        saturation_factor: ``RandomSaturation``'s ``factor``; None skips it.
        hue_factor: ``RandomHue``'s ``factor``; None skips it.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, 3)`` or one image.

    Output shape:
        Same as the input.
    """

    random = True

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        brightness_factor: float | Sequence[float] | None = None,
        contrast_factor: float | Sequence[float] | None = None,
        saturation_factor: float | Sequence[float] | None = None,
        hue_factor: float | Sequence[float] | None = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        value_range_of("RandomColorJitter", value_range)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self.seed = seed
        # The stages work on channels-last batches (the base moves the channels).
        stages = {
            "brightness": (RandomBrightness, brightness_factor),
            "contrast": (RandomContrast, contrast_factor),
            "saturation": (RandomSaturation, saturation_factor),
            "hue": (RandomHue, hue_factor),
        }
        self._stages: dict[str, ImageLayer] = {}
        for stage, (cls, factor) in stages.items():
            if factor is None:
                continue
            try:
                self._stages[stage] = cls(factor=factor, value_range=value_range)
            except ValueError as error:
                raise ValueError(
                    f"Received an invalid value for `{stage}_factor` in RandomColorJitter "
                    f"(it is {cls.__name__}'s `factor`): {error}"
                ) from None

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, Any]:
        keys = jax.random.split(key, 4)
        order = ("brightness", "contrast", "saturation", "hue")
        return {
            stage: self._stages[stage]._draw(k, x)
            for stage, k in zip(order, keys, strict=True)
            if stage in self._stages
        }

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        for stage, layer in self._stages.items():
            x = layer._transform(x, transformation[stage]).astype(x.dtype)
        return x

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }
