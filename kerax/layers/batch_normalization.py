"""BatchNormalization: batch statistics in training, moving statistics (in the state
channel) at inference."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._base import Layer


class BatchNormalization(Layer):
    """Normalizes with batch statistics in training and moving statistics at inference.

    The moving mean and variance are non-trainable variables: they live in the state
    channel of the variables, and only a training-mode apply returns updated values
    (``moving = moving * momentum + batch * (1 - momentum)``).

    Args:
        axis: The feature axis (default -1).
        momentum: Momentum of the moving averages (default 0.99).
        epsilon: Added to the variance (default 1e-3).
        center: Whether to add the offset ``beta``.
        scale: Whether to multiply by ``gamma``.
        beta_initializer: Default ``"zeros"``.
        gamma_initializer: Default ``"ones"``.
        moving_mean_initializer: Default ``"zeros"``.
        moving_variance_initializer: Default ``"ones"``.
        beta_regularizer: Optional penalty on ``beta``.
        gamma_regularizer: Optional penalty on ``gamma``.

    Input shape:
        Any, with a known size along ``axis``.

    Output shape:
        Same as the input.

    Weights:
        ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``, each of
        shape ``(input_shape[axis],)``.
    """

    supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        synchronized: bool = False,
        renorm: bool = False,
        renorm_clipping: Any = None,
        renorm_momentum: float = 0.99,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if renorm:
            raise ValueError("BatchNormalization(renorm=True) is not supported by kerax.")
        if not isinstance(axis, int):
            raise ValueError(f"`axis` must be an integer, received axis={axis!r}.")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.moving_mean_initializer = _initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = _initializers.get(moving_variance_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Layer '{self.name}': `axis`={self.axis} is out of range for inputs of "
                f"shape {tuple(input_shape)}."
            )
        size = input_shape[self.axis]
        if size is None:
            raise ValueError(
                f"Layer '{self.name}' needs a known size on axis {self.axis}; received "
                f"input shape {tuple(input_shape)}."
            )
        shape = (size,)
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                shape,
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                "beta",
                shape,
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )
        self.moving_mean = self.add_weight(
            "moving_mean", shape, self.moving_mean_initializer, trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", shape, self.moving_variance_initializer, trainable=False
        )

    def apply(self, ctx: Any, inputs: jax.Array, mask: Any = None) -> jax.Array:
        x = inputs.astype(jnp.float32)
        axis = self.axis % x.ndim
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        bshape = [1] * x.ndim
        bshape[axis] = x.shape[axis]
        state = ctx.state
        if ctx.training:
            w = None
            if mask is not None:
                w = jnp.broadcast_to(
                    jnp.expand_dims(mask, tuple(range(mask.ndim, x.ndim))), x.shape
                ).astype(x.dtype)
            rows = ctx.row_weights(x)
            if rows is not None:
                # The padding rows of fit's short last batch stay out of the statistics.
                w = rows if w is None else w * rows
            if w is None:
                mean = jnp.mean(x, reduce)
                var = jnp.var(x, reduce)
            else:
                w = jnp.broadcast_to(w, x.shape)
                count = jnp.maximum(jnp.sum(w, reduce), 1.0)
                mean = jnp.sum(x * w, reduce) / count
                var = jnp.sum(jnp.square(x - mean.reshape(bshape)) * w, reduce) / count
            m = self.momentum
            ctx.set_state("moving_mean", state["moving_mean"] * m + mean * (1 - m))
            ctx.set_state("moving_variance", state["moving_variance"] * m + var * (1 - m))
        else:
            mean, var = state["moving_mean"], state["moving_variance"]
        y = (x - mean.reshape(bshape)) * jax.lax.rsqrt(var.reshape(bshape) + self.epsilon)
        if self.scale:
            y = y * ctx.params["gamma"].reshape(bshape)
        if self.center:
            y = y + ctx.params["beta"].reshape(bshape)
        return y.astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }
