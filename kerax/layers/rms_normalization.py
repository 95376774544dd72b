"""RMSNormalization: scales each sample by the inverse root mean square of its
features, then by a learned per-feature ``scale``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import Layer
from kerax.layers.normalization import _axes_in_range, _check_axes, _check_epsilon


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019).

    ``y = x / sqrt(mean(x**2 over axis) + epsilon) * scale``: no centering, no offset.
    The statistics are computed in float32 whatever the input dtype.

    Args:
        axis: Axis or list of axes the mean is taken over (default -1).
        epsilon: Added to the mean square (default 1e-6).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        Any, with known sizes along ``axis``.

    Output shape:
        Same as the input.

    Weights:
        ``scale``, initialized to ones, of shape ``tuple(input_shape[a] for a in
        axis)``.
    """

    supports_masking = True
    autocast = False

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-6, **kwargs: Any):
        super().__init__(**kwargs)
        axis = _check_axes("RMSNormalization", axis)
        self.axis = axis if isinstance(axis, list) else [axis]
        self.epsilon = _check_epsilon("RMSNormalization", epsilon)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        _axes_in_range(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self.axis)
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer '{self.name}' (RMSNormalization) needs known sizes on axis "
                f"{self.axis}; received input shape {tuple(input_shape)}."
            )
        self.scale = self.add_weight("scale", shape, "ones")

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
        axes = tuple(a % x.ndim for a in self.axis)
        shape = [1] * x.ndim
        for a in axes:
            shape[a] = x.shape[a]
        mean_square = jnp.mean(jnp.square(x), axis=axes, keepdims=True)
        scale = ctx.params["scale"].astype(x.dtype).reshape(shape)
        y = x * jax.lax.rsqrt(mean_square + self.epsilon) * scale
        return y.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
