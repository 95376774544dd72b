"""Depthwise convolutions: DepthwiseConv1D, DepthwiseConv2D, over one N-D base.

Every input channel is convolved with its own ``depth_multiplier`` filters; channels
are not mixed. The kernel is stored as ``(*kernel_size, channels, depth_multiplier)``
and output channel ``c * depth_multiplier + m`` is filter ``m`` of input channel ``c``,
as in Keras 3. The forward pass is one grouped ``jax.lax`` convolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._args import (
    check_positive,
    check_rank,
    known_channels,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    serialize_regularizer,
)
from kerax.layers._base import InputSpec, Layer
from kerax.layers._conv_utils import ConvWindow


class BaseDepthwiseConv(ConvWindow, Layer):
    """A depthwise convolution over ``rank`` spatial dimensions.

    Use :class:`DepthwiseConv1D` or :class:`DepthwiseConv2D`; this base holds the
    argument checks, the depthwise kernel and the forward pass for any ``rank``, and is
    the first half of :class:`BaseSeparableConv`.

    Args:
        rank: Number of spatial dimensions (1 or 2).
        depth_multiplier: Number of filters per input channel; a positive integer.
        kernel_size: Window size: an int or ``rank`` ints.
        strides: Step of the window: an int or ``rank`` ints (default 1).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` (default for ``None``) or
            ``"channels_first"``.
        dilation_rate: Spacing between kernel taps: an int or ``rank`` ints. Unlike
            the plain convolutions, it may be combined with strides above 1.
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the depthwise kernel (default
            ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional penalty on the depthwise kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        depthwise_constraint: Optional projection of the depthwise kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, *spatial_dims, channels)`` with ``channels_last``, or
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``.

    Output shape:
        The same layout with ``channels * depth_multiplier`` channels; each spatial
        size becomes ``ceil(size / stride)`` with ``"same"`` and ``(size - dilation *
        (kernel - 1) - 1) // stride + 1`` with ``"valid"``.
    """

    loop_friendly = False  # XLA:CPU runs convolutions far slower inside a loop body
    #: Name of the depthwise weight: Keras calls it ``kernel`` here and
    #: ``depthwise_kernel`` in the separable layers.
    _depthwise_name = "kernel"

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.rank = rank
        check_positive(cls, "depth_multiplier", depth_multiplier)
        self.depth_multiplier = depth_multiplier
        self.kernel_size = normalize_tuple(cls, "kernel_size", kernel_size, rank)
        self.strides = normalize_tuple(cls, "strides", strides, rank)
        self.dilation_rate = normalize_tuple(cls, "dilation_rate", dilation_rate, rank)
        self.padding = normalize_padding(cls, padding, ("valid", "same"))
        self.data_format = normalize_data_format(cls, data_format)
        self.activation = _activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = _initializers.get(depthwise_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.depthwise_regularizer = _regularizers.get(depthwise_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.depthwise_constraint = depthwise_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(ndim=rank + 2)

    def _build_depthwise(self, input_shape: tuple[int | None, ...]) -> int:
        """Checks the input, declares the depthwise kernel; returns the channel count."""
        check_rank(self, input_shape, self.rank + 2)
        channels = known_channels(self, input_shape, self._channel_axis)
        self._check_output_size(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        handle = self.add_weight(
            self._depthwise_name,
            (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        setattr(self, self._depthwise_name, handle)
        return channels

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = self._build_depthwise(input_shape)
        self._build_bias(channels * self.depth_multiplier)

    def _depthwise(self, inputs: jax.Array, kernel: jax.Array) -> jax.Array:
        # (*k, C, M) -> (*k, 1, C*M): C groups of one input channel, M outputs each,
        # so output channel c*M + m is filter m of channel c.
        channels = kernel.shape[-2]
        kernel = jnp.reshape(kernel, (*self.kernel_size, 1, channels * self.depth_multiplier))
        return jax.lax.conv_general_dilated(
            inputs,
            kernel,
            window_strides=self.strides,
            padding=self.padding.upper(),
            rhs_dilation=self.dilation_rate,
            dimension_numbers=self._dimension_numbers(),
            feature_group_count=channels,
        )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        check_rank(self, inputs.shape, self.rank + 2)
        p = ctx.params
        y = self._depthwise(inputs, p[self._depthwise_name])
        if self.use_bias:
            y = self._add_bias(y, p["bias"])
        return self.activation(y)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": _initializers.serialize(self.depthwise_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": serialize_regularizer(self.depthwise_regularizer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": serialize_regularizer(self.activity_regularizer),
            "depthwise_constraint": self.depthwise_constraint,
            "bias_constraint": self.bias_constraint,
        }


class DepthwiseConv1D(BaseDepthwiseConv):
    """A 1-D depthwise convolution: each channel gets its own ``depth_multiplier``
    filters; channels are not mixed.

    Args:
        kernel_size: Window length: an int or a tuple of one int.
        strides: Step of the window (default 1).
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: Number of filters per input channel (default 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        depthwise_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, steps, channels)``, or ``(batch_size, channels, steps)`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, new_steps, channels * depth_multiplier)``, or ``(batch_size,
        channels * depth_multiplier, new_steps)``.

    Weights:
        ``kernel`` of shape ``(kernel_size, channels, depth_multiplier)`` and ``bias``
        of shape ``(channels * depth_multiplier,)``.
    """

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            depth_multiplier,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    """A 2-D depthwise convolution: each channel gets its own ``depth_multiplier``
    filters; channels are not mixed.

    Args:
        kernel_size: Window size: an int or a tuple of two ints.
        strides: Step of the window: an int or two ints (default 1).
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: Number of filters per input channel (default 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps: an int or two ints (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        depthwise_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_rows, new_cols, channels * depth_multiplier)``, or
        ``(batch_size, channels * depth_multiplier, new_rows, new_cols)``.

    Weights:
        ``kernel`` of shape ``(*kernel_size, channels, depth_multiplier)`` and ``bias``
        of shape ``(channels * depth_multiplier,)``.
    """

    def __init__(
        self,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2,
            depth_multiplier,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
