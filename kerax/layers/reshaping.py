"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector.

Each rearranges the values of every example (the batch axis is kept). The cropping,
zero-padding and up-sampling layers are in ``cropping.py``, ``zero_padding.py`` and
``upsampling.py``.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from kerax import _settings
from kerax.layers._base import InputSpec, Layer


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
        data_format = data_format or _settings.image_data_format()
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


class Reshape(Layer):
    """Reshapes each example to ``target_shape`` (the batch dimension is kept).

    Args:
        target_shape: The new shape of one example; one entry may be -1.

    Input shape:
        ``(batch_size, ...)``.

    Output shape:
        ``(batch_size, *target_shape)``.
    """

    def __init__(self, target_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if sum(1 for d in target_shape if d == -1) > 1 or any(
            not isinstance(d, int) or d == 0 or d < -1 for d in target_shape
        ):
            raise ValueError(
                "`target_shape` must hold positive integers and at most one -1; received "
                f"target_shape={target_shape}."
            )
        self.target_shape = target_shape

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        rest = input_shape[1:]
        if all(d is not None for d in rest):
            size = math.prod(rest)
            known = math.prod(d for d in self.target_shape if d != -1)
            if (-1 in self.target_shape and size % known) or (
                -1 not in self.target_shape and size != known
            ):
                raise ValueError(
                    f"Layer '{self.name}' cannot reshape inputs of shape {tuple(input_shape)} "
                    f"({size} values per example) to target_shape={self.target_shape}."
                )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` counts from 1 (the first non-batch axis).

    Args:
        dims: A permutation of ``1..rank-1``, e.g. ``(2, 1)`` swaps the first two.

    Input shape:
        ``(batch_size, *dims_in)``.

    Output shape:
        The input shape with its non-batch axes permuted.
    """

    def __init__(self, dims: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"`dims` must be a permutation of 1..{len(dims)}; received dims={dims}."
            )
        self.dims = dims

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.transpose(inputs, (0, *self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: ``(batch, features) -> (batch, n, features)``.

    Args:
        n: Number of repetitions.

    Input shape:
        ``(batch_size, features)``.

    Output shape:
        ``(batch_size, n, features)``.
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or n <= 0:
            raise ValueError(f"`n` must be a positive integer; received n={n!r}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
