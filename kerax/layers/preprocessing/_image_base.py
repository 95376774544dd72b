"""The base of the image preprocessing layers: layout, dtype, and the random protocol.

Every image layer takes an image ``(height, width, channels)`` or a batch of them
(``channels_first`` puts channels before height), casts it to the layer's compute dtype,
and works internally on a channels-last batch.

Random layers split their work in two, with Keras's method names:

* ``get_random_transformation(images, training=True, seed=None)`` draws the parameters
  of one transformation per image (a dict of arrays) from a JAX key;
* ``transform_images(images, transformation, training=True)`` applies given parameters,
  deterministically.

Inside a model, ``apply`` draws from ``ctx.rng()`` (the train state's key, folded with
the step and the layer's path), so each training step draws new numbers; in inference
(``predict``, ``evaluate``, ``training=False``) random layers return their input. As in
Keras, calling a random layer eagerly without ``training=`` runs it in training mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import random as _random
from kerax.graph import frame as _frame
from kerax.layers._args import normalize_data_format
from kerax.layers._base import Layer
from kerax.ops.image._batch import batched, restore


class ImageLayer(Layer):
    """Base of the image preprocessing layers (see the module docstring).

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    #: Whether the layer draws a random transformation (identity at inference).
    random: bool = False

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(type(self).__name__, data_format)

    # ------------------------------------------------------------------ calling
    def _call_eager(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # Keras's random image layers default to training mode when called directly.
        if self.random and kwargs.get("training") is None and _frame.ACTIVE.get() is None:
            kwargs = {**kwargs, "training": True}
        return super()._call_eager(args, kwargs)

    def apply(self, ctx: Any, inputs: Any) -> jax.Array:
        images = self._cast(inputs)
        if not self.random:
            return self.transform_images(images, None)
        if not ctx.training:
            return self._inference(images)
        transformation = self.get_random_transformation(images, training=True, seed=ctx.rng())
        return self.transform_images(images, transformation, training=True)

    def _inference(self, images: jax.Array) -> jax.Array:
        """What a random layer returns at inference: its input."""
        return images

    # ------------------------------------------------------------------ protocol
    def get_random_transformation(
        self, images: Any, training: bool = True, seed: jax.Array | None = None
    ) -> dict[str, jax.Array] | None:
        """Parameters of one random transformation per image (None when not training).

        Args:
            images: An image or a batch.
            training: Whether to draw (inference draws nothing).
            seed: A JAX PRNG key; default a fresh key from ``kerax.random``.
        """
        if not training or not self.random:
            return None
        images = self._cast(images)
        key = _random.next_key() if seed is None else seed
        x, _, _ = batched(images, self.data_format)
        return self._draw(key, x)

    def transform_images(
        self, images: Any, transformation: dict[str, jax.Array] | None, training: bool = True
    ) -> jax.Array:
        """``images`` under the given transformation (deterministic).

        Args:
            images: An image or a batch.
            transformation: What ``get_random_transformation`` returned.
            training: When False, random layers return ``images`` (cast).
        """
        images = self._cast(images)
        if self.random and (not training or transformation is None):
            return images
        x, fmt, single = batched(images, self.data_format)
        return restore(self._transform(x, transformation), fmt, single)

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        """The random parameters for the channels-last batch ``x``."""
        raise NotImplementedError

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        """Transforms the channels-last batch ``x``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def _cast(self, inputs: Any) -> jax.Array:
        if isinstance(inputs, dict):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) takes an image array; kerax "
                "does not support Keras's dict inputs (images with labels, bounding boxes "
                f"or segmentation masks). Received a dict with keys {sorted(inputs)}."
            )
        x = jnp.asarray(inputs)
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects an image of rank 3 "
                f"or a batch of rank 4, received input of shape {tuple(x.shape)}."
            )
        return x.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}


def signed_factor(
    layer: str, name: str, factor: Any, bounds: tuple[float, float] = (-1.0, 1.0)
) -> tuple[float, float]:
    """Keras's ``factor`` rule: a number ``f`` is ``(max(-|f|, low), |f|)``; a pair is
    sorted; each entry must lie within ``bounds``."""
    low, high = bounds
    message = (
        f"Received an invalid value for `{name}` in {layer}: expected a number or a pair "
        f"of numbers in [{low}, {high}], received {name}={factor!r}."
    )
    if isinstance(factor, Sequence) and not isinstance(factor, str):
        if len(factor) != 2 or not all(isinstance(f, int | float) for f in factor):
            raise ValueError(message)
        if factor[0] > high or factor[1] < low:
            raise ValueError(message)
        first, second = sorted(float(f) for f in factor)
        return first, second
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        if not low <= factor <= high:
            raise ValueError(message)
        return max(-abs(float(factor)), low), abs(float(factor))
    raise ValueError(message)


def check_choice(layer: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``; else an error naming the argument."""
    if value not in allowed:
        raise ValueError(
            f"Received an invalid value for `{name}` in {layer}: expected one of "
            f"{', '.join(repr(a) for a in allowed)}, received {name}={value!r}."
        )
    return value


def value_range_of(layer: str, value_range: Any) -> list[float]:
    """A sorted ``[low, high]`` pair."""
    if not isinstance(value_range, Sequence) or len(value_range) != 2:
        raise ValueError(
            f"Received an invalid value for `value_range` in {layer}: expected a pair "
            f"(low, high), received value_range={value_range!r}."
        )
    return sorted(value_range)


def rescale_range(x: jax.Array, source: Sequence[float], target: Sequence[float]) -> jax.Array:
    """``x`` mapped linearly from ``source = (low, high)`` to ``target``."""
    if tuple(source) == tuple(target):
        return x
    unit = (x - source[0]) / (source[1] - source[0])
    return unit * (target[1] - target[0]) + target[0]
