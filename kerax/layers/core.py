"""Core layers: Dense, Activation, Identity."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers import _math
from kerax.layers._args import check_positive
from kerax.layers._base import InputSpec, Layer
from kerax.layers._lora import LoraMixin, lora_property


class Dense(LoraMixin, Layer):
    """A densely-connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: Size of the output's last dimension; a positive integer.
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        lora_rank: If set, the layer is built with LoRA enabled at this rank (see
            :meth:`enable_lora`): the kernel is frozen and a trainable low-rank update
            ``(lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`` is added to it.
        lora_alpha: Numerator of the LoRA scale; defaults to ``lora_rank``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        N-D tensor ``(batch_size, ..., input_dim)``.

    Output shape:
        ``(batch_size, ..., units)``.

    Weights:
        ``kernel`` of shape ``(input_dim, units)`` and ``bias`` of shape ``(units,)``;
        with LoRA, also ``lora_kernel_a`` ``(input_dim, rank)`` and ``lora_kernel_b``
        ``(rank, units)``, and ``kernel`` is non-trainable.
    """

    kernel = lora_property("kernel")

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        check_positive("Dense", "units", units)
        self._init_lora(lora_rank, lora_alpha)
        self.units = units
        self.activation = _activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Layer '{self.name}' (Dense) needs a known last input dimension; "
                f"received input shape {tuple(input_shape)}."
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.kernel = self.add_weight(
            "kernel",
            (in_dim, self.units),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (self.units,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._build_lora()

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        bias = ctx.params["bias"] if self.use_bias else None
        if _math.builtin_activation(self.activation):  # traced once per shape
            return _math.dense(inputs, self._lora_weight(ctx), bias, self.activation)
        return self.activation(
            _math.dense(inputs, self._lora_weight(ctx), bias, _activations.linear)
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            **self._lora_config(),
        }


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: Activation name (``"relu"``, ``"softmax"``, ...) or callable.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = _activations.get(activation)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": _activations.serialize(self.activation)}


class Identity(Layer):
    """Returns its input unchanged.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def apply(self, ctx: Any, inputs: Any) -> Any:
        return inputs


class Lambda(Layer):
    """Wraps an arbitrary function of arrays as a layer (no weights).

    Args:
        function: ``fn(inputs, **arguments) -> outputs``, written with ``jax.numpy`` or
            :mod:`kerax.ops`.
        output_shape: Unused (shapes are inferred by tracing); accepted for Keras
            compatibility.
        mask: Optional mask to return, or ``fn(inputs, mask) -> mask``.
        arguments: Extra keyword arguments for ``function``.

    Input shape:
        Whatever ``function`` accepts.

    Output shape:
        Whatever ``function`` returns.
    """

    def __init__(
        self,
        function: Any,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"`function` must be callable, received {function!r}.")
        self.function = function
        self.output_shape_arg = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})

    def apply(self, ctx: Any, inputs: Any) -> Any:
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "function": getattr(self.function, "__name__", "lambda"),
            "arguments": self.arguments,
        }


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``.

    Downstream layers that support masks (RNNs, pooling, attention, merging) skip those
    timesteps; the masked positions of the output are zeroed.

    Args:
        mask_value: The padding value (default 0.0).

    Input shape:
        ``(batch_size, timesteps, features)`` (any rank >= 2).

    Output shape:
        Same as the input; the mask has shape ``(batch_size, timesteps)``.
    """

    supports_masking = True
    creates_mask = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return jnp.any(inputs != self.mask_value, axis=-1)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        keep = jnp.any(inputs != self.mask_value, axis=-1, keepdims=True)
        return inputs * keep.astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
