"""Regularization layers: Dropout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import Layer


class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 in training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Randomness comes from the apply's RNG key, folded with this call's path in the
    graph, so each call of a shared Dropout draws its own mask.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: Shape of the binary mask, broadcast against the input (``None``
            entries take the input's size).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`: expected a float in [0, 1], "
                f"received rate={rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        if not ctx.training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        keep = jax.random.bernoulli(ctx.rng(), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), 0).astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }
