"""Reshaping layers: Flatten."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import Layer


class Flatten(Layer):
    """Flattens every dimension but the batch.

    Args:
        data_format: ``"channels_last"`` (default) or ``"channels_first"``; with
            channels first, the input is moved to channels last before flattening,
            as Keras does.

    Input shape:
        ``(batch_size, ...)``, at least rank 1.

    Output shape:
        ``(batch_size, product of the other dimensions)``.
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = data_format or "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'; received "
                f"data_format={data_format!r}."
            )
        self.data_format = data_format

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = jnp.moveaxis(x, 1, -1)
        rest = x.shape[1:]
        size = math.prod(rest) if all(isinstance(d, int) for d in rest) else -1
        return x.reshape(x.shape[0], size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}
