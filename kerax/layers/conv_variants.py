"""Depthwise, separable and transposed convolutions, with Keras 3's weight layout.

* ``DepthwiseConv1D`` / ``DepthwiseConv2D``: every input channel is convolved with its
  own ``depth_multiplier`` filters. The kernel is stored as ``(*kernel_size, channels,
  depth_multiplier)`` and output channel ``c * depth_multiplier + m`` is filter ``m``
  of input channel ``c``.
* ``SeparableConv1D`` / ``SeparableConv2D``: a depthwise convolution followed by a
  1x1 ("pointwise") convolution mixing the channels, then bias and activation.
* ``Conv1DTranspose`` / ``Conv2DTranspose`` / ``Conv3DTranspose``: the gradient of a
  convolution with respect to its input (often called a deconvolution), kernel stored
  as ``(*kernel_size, filters, channels)``.

All forward passes are ``jax.lax`` convolutions; the arguments are checked when the
layer is constructed, so that a bad value fails early with its name in the message.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._base import InputSpec, Layer
from kerax.layers.conv import (
    BaseConv,
    check_rank,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    serialize_regularizer,
    window_output_length,
)
from kerax.layers.core import check_positive

__all__ = [
    "BaseConvTranspose",
    "BaseDepthwiseConv",
    "BaseSeparableConv",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
]


def _known_channels(layer: Layer, input_shape: Sequence[int | None], axis: int) -> int:
    channels = input_shape[axis]
    if channels is None:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) needs a known channel "
            f"dimension; received input shape {tuple(input_shape)}."
        )
    return int(channels)


def _add_bias(y: jax.Array, bias: jax.Array, data_format: str, rank: int) -> jax.Array:
    if data_format == "channels_last":
        return y + bias
    return y + jnp.reshape(bias, (bias.shape[0],) + (1,) * rank)


# ---------------------------------------------------------------------- depthwise


class BaseDepthwiseConv(Layer):
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

    # The layout helpers are those of the plain convolution (they read only ``rank``
    # and ``data_format``).
    _channel_axis = BaseConv._channel_axis
    _spatial = BaseConv._spatial
    _dimension_numbers = BaseConv._dimension_numbers

    def _output_spatial(self, spatial: Sequence[int | None]) -> tuple[int | None, ...]:
        return tuple(
            window_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True
            )
        )

    def _build_depthwise(self, input_shape: tuple[int | None, ...]) -> int:
        """Checks the input, declares the depthwise kernel; returns the channel count."""
        check_rank(self, input_shape, self.rank + 2)
        channels = _known_channels(self, input_shape, self._channel_axis)
        out = self._output_spatial(self._spatial(input_shape))
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the input is too small for "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"dilation_rate={self.dilation_rate} and padding='{self.padding}'; "
                f"received input shape {tuple(input_shape)}, which gives an output of "
                f"spatial shape {out}."
            )
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

    def _build_bias(self, size: int) -> None:
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (size,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

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
            y = _add_bias(y, p["bias"], self.data_format, self.rank)
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


# ---------------------------------------------------------------------- separable


class BaseSeparableConv(BaseDepthwiseConv):
    """A depthwise convolution followed by a pointwise (1x1) one that mixes channels.

    Use :class:`SeparableConv1D` or :class:`SeparableConv2D`; this base holds the
    weights and the forward pass for any ``rank``.

    Args:
        rank: Number of spatial dimensions (1 or 2).
        depth_multiplier: Number of depthwise filters per input channel.
        filters: Number of output channels; a positive integer.
        kernel_size: Window size of the depthwise step: an int or ``rank`` ints.
        strides: Step of the window: an int or ``rank`` ints (default 1).
        padding: ``"valid"`` or ``"same"`` (case-insensitive).
        data_format: ``"channels_last"`` (default for ``None``) or
            ``"channels_first"``.
        dilation_rate: Spacing between depthwise kernel taps: an int or ``rank`` ints.
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector after the pointwise step.
        depthwise_initializer: Initializer of the depthwise kernel.
        pointwise_initializer: Initializer of the pointwise kernel.
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional penalty on the depthwise kernel.
        pointwise_regularizer: Optional penalty on the pointwise kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        depthwise_constraint: Optional projection of the depthwise kernel after updates.
        pointwise_constraint: Optional projection of the pointwise kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, *spatial_dims, channels)`` with ``channels_last``, or
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``.

    Output shape:
        The same layout with ``filters`` channels and the spatial sizes of the
        depthwise step.
    """

    _depthwise_name = "depthwise_kernel"

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank,
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
        check_positive(type(self).__name__, "filters", filters)
        self.filters = filters
        self.pointwise_initializer = _initializers.get(pointwise_initializer)
        self.pointwise_regularizer = _regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = self._build_depthwise(input_shape)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self._build_bias(self.filters)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        check_rank(self, inputs.shape, self.rank + 2)
        p = ctx.params
        y = self._depthwise(inputs, p["depthwise_kernel"])
        y = jax.lax.conv_general_dilated(
            y,
            p["pointwise_kernel"],
            window_strides=(1,) * self.rank,
            padding="VALID",
            dimension_numbers=self._dimension_numbers(),
        )
        if self.use_bias:
            y = _add_bias(y, p["bias"], self.data_format, self.rank)
        return self.activation(y)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {
            **config,
            "filters": self.filters,
            "pointwise_initializer": _initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": serialize_regularizer(self.pointwise_regularizer),
            "pointwise_constraint": self.pointwise_constraint,
        }


class SeparableConv1D(BaseSeparableConv):
    """A 1-D separable convolution: a depthwise convolution of each channel, then a
    pointwise convolution mixing the channels into ``filters`` outputs.

    Args:
        filters: Number of output channels; a positive integer.
        kernel_size: Window length of the depthwise step: an int or a tuple of one int.
        strides: Step of the window (default 1).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between depthwise kernel taps (default 1).
        depth_multiplier: Number of depthwise filters per input channel (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the depthwise kernel (default
            ``"glorot_uniform"``).
        pointwise_initializer: Initializer of the pointwise kernel (default
            ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional penalty on the depthwise kernel.
        pointwise_regularizer: Optional penalty on the pointwise kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        depthwise_constraint: Optional projection of the depthwise kernel after updates.
        pointwise_constraint: Optional projection of the pointwise kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, steps, channels)``, or ``(batch_size, channels, steps)`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, new_steps, filters)``, or ``(batch_size, filters, new_steps)``.

    Weights:
        ``depthwise_kernel`` of shape ``(kernel_size, channels, depth_multiplier)``,
        ``pointwise_kernel`` of shape ``(1, channels * depth_multiplier, filters)`` and
        ``bias`` of shape ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            depth_multiplier,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    """A 2-D separable convolution: a depthwise convolution of each channel, then a
    pointwise (1x1) convolution mixing the channels into ``filters`` outputs.

    Args:
        filters: Number of output channels; a positive integer.
        kernel_size: Window size of the depthwise step: an int or a tuple of two ints.
        strides: Step of the window: an int or two ints (default 1).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between depthwise kernel taps: an int or two ints.
        depth_multiplier: Number of depthwise filters per input channel (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the depthwise kernel (default
            ``"glorot_uniform"``).
        pointwise_initializer: Initializer of the pointwise kernel (default
            ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional penalty on the depthwise kernel.
        pointwise_regularizer: Optional penalty on the pointwise kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        depthwise_constraint: Optional projection of the depthwise kernel after updates.
        pointwise_constraint: Optional projection of the pointwise kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_rows, new_cols, filters)``, or ``(batch_size, filters,
        new_rows, new_cols)``.

    Weights:
        ``depthwise_kernel`` of shape ``(*kernel_size, channels, depth_multiplier)``,
        ``pointwise_kernel`` of shape ``(1, 1, channels * depth_multiplier, filters)``
        and ``bias`` of shape ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2,
            depth_multiplier,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


# ---------------------------------------------------------------------- transposed


def normalize_output_padding(
    layer: str, value: Any, strides: tuple[int, ...]
) -> tuple[int, ...] | None:
    """``output_padding`` as ``len(strides)`` ints in ``[0, stride)``, or ``None``.

    Raises:
        ValueError: Naming ``output_padding`` and the received value, on a wrong
            length, a non-integer, a negative entry or an entry not below its stride.
    """
    if value is None:
        return None

    def is_int(v: Any) -> bool:
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    rank = len(strides)
    if is_int(value):
        values: tuple[Any, ...] = (value,) * rank
    elif isinstance(value, Sequence) and not isinstance(value, str):
        values = tuple(value)
    else:
        values = ()
    if not (len(values) == rank and all(is_int(v) and v >= 0 for v in values)):
        raise ValueError(
            f"Received an invalid value for `output_padding` in {layer}: expected None, "
            f"a non-negative integer or a tuple of {rank} non-negative integers, "
            f"received output_padding={value!r}."
        )
    result = tuple(int(v) for v in values)
    if any(p >= s for p, s in zip(result, strides, strict=True)):
        raise ValueError(
            f"Received an invalid value for `output_padding` in {layer}: every entry "
            f"must be smaller than the matching stride, received "
            f"output_padding={value!r} with strides={strides}."
        )
    return result


def transpose_padding(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """The ``(low, high)`` padding of ``jax.lax.conv_transpose`` for Keras's rule.

    With an effective kernel span ``K = dilation * (kernel - 1) + 1``, Keras's output
    length for ``n`` input steps is

    * ``"valid"``: ``(n - 1) * stride + K + output_padding``, where a missing
      ``output_padding`` means ``max(K, stride) - K``;
    * ``"same"`` without ``output_padding``: ``n * stride``;
    * ``"same"`` with it: ``(n - 1) * stride + K % 2 + output_padding``.

    ``conv_transpose`` with padding ``(low, high)`` gives ``(n - 1) * stride + 1 + low
    + high - (K - 1)`` steps, so the total padding follows from the length; with
    ``"same"`` the low side takes the larger half, at most ``K - 1``.
    """
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    low = min(-(-total // 2), span - 1)
    return low, total - low


def transpose_output_length(
    length: int | None,
    kernel: int,
    stride: int,
    dilation: int,
    padding: str,
    output_padding: int | None,
) -> int | None:
    """Output length of a transposed convolution over ``length`` steps."""
    if length is None:
        return None
    low, high = transpose_padding(kernel, stride, dilation, padding, output_padding)
    span = dilation * (kernel - 1) + 1
    return (length - 1) * stride + 1 + low + high - (span - 1)


class BaseConvTranspose(BaseConv):
    """An N-D transposed convolution with optional bias and activation.

    Use :class:`Conv1DTranspose`, :class:`Conv2DTranspose` or
    :class:`Conv3DTranspose`; this base holds the weights, the output-size rule and the
    forward pass for any ``rank``.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        filters: Number of output channels; a positive integer.
        kernel_size: Window size: an int or ``rank`` ints.
        strides: Upsampling factor: an int or ``rank`` ints (default 1). Strides above
            1 cannot be combined with a dilation rate above 1.
        padding: ``"valid"`` or ``"same"`` (case-insensitive); see Output shape.
        output_padding: ``None`` or an int or ``rank`` ints, each non-negative and
            smaller than its stride: extra steps that pick one of the output sizes a
            strided convolution could have come from.
        data_format: ``"channels_last"`` (default for ``None``) or
            ``"channels_first"``.
        dilation_rate: Spacing between kernel taps: an int or ``rank`` ints (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, *spatial_dims, channels)`` with ``channels_last``, or
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``.

    Output shape:
        The same layout with ``filters`` channels. With ``K = dilation * (kernel - 1)
        + 1``, each spatial size ``n`` becomes ``n * stride`` with ``"same"`` and no
        ``output_padding``, ``(n - 1) * stride + K % 2 + output_padding`` with
        ``"same"`` and ``output_padding``, and ``(n - 1) * stride + K +
        output_padding`` with ``"valid"`` (a missing ``output_padding`` counting as
        ``max(K, stride) - K`` there).

    Weights:
        ``kernel`` of shape ``(*kernel_size, filters, channels)`` and ``bias`` of shape
        ``(filters,)``.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        output_padding: int | Sequence[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        # The plain base would accept "causal" for rank 1; a transposed one does not.
        padding = normalize_padding(type(self).__name__, padding, ("valid", "same"))
        super().__init__(
            rank,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=1,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        self.output_padding = normalize_output_padding(
            type(self).__name__, output_padding, self.strides
        )

    def _output_spatial(self, spatial: Sequence[int | None]) -> tuple[int | None, ...]:
        ops = self.output_padding or (None,) * self.rank
        return tuple(
            transpose_output_length(n, k, s, d, self.padding, op)
            for n, k, s, d, op in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, ops, strict=True
            )
        )

    def _transpose_padding(self) -> list[tuple[int, int]]:
        ops = self.output_padding or (None,) * self.rank
        return [
            transpose_padding(k, s, d, self.padding, op)
            for k, s, d, op in zip(
                self.kernel_size, self.strides, self.dilation_rate, ops, strict=True
            )
        ]

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        check_rank(self, input_shape, self.rank + 2)
        channels = _known_channels(self, input_shape, self._channel_axis)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.kernel = self.add_weight(
            "kernel",
            (*self.kernel_size, self.filters, channels),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (self.filters,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        check_rank(self, inputs.shape, self.rank + 2)
        p = ctx.params
        # The kernel is read as a forward kernel (*k, in=filters, out=channels) and
        # transposed: spatially flipped, with its two channel axes swapped.
        y = jax.lax.conv_transpose(
            inputs,
            p["kernel"],
            self.strides,
            self._transpose_padding(),
            rhs_dilation=self.dilation_rate,
            dimension_numbers=self._dimension_numbers(),
            transpose_kernel=True,
        )
        if self.use_bias:
            y = _add_bias(y, p["bias"], self.data_format, self.rank)
        return self.activation(y)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


class Conv1DTranspose(BaseConvTranspose):
    """A 1-D transposed convolution, which upsamples a sequence by ``strides``.

    Args:
        filters: Number of output channels; a positive integer.
        kernel_size: Window length: an int or a tuple of one int.
        strides: Upsampling factor (default 1).
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None`` or an int smaller than ``strides``: extra output steps.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, steps, channels)``, or ``(batch_size, channels, steps)`` with
        ``channels_first``.

    Output shape:
        ``(batch_size, new_steps, filters)``, or ``(batch_size, filters, new_steps)``,
        with ``new_steps`` as in :class:`BaseConvTranspose`.

    Weights:
        ``kernel`` of shape ``(kernel_size, filters, channels)`` and ``bias`` of shape
        ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        output_padding: int | Sequence[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class Conv2DTranspose(BaseConvTranspose):
    """A 2-D transposed convolution, which upsamples images by ``strides``.

    Args:
        filters: Number of output channels; a positive integer.
        kernel_size: Window size: an int or a tuple of two ints.
        strides: Upsampling factor: an int or two ints (default 1).
        padding: ``"valid"`` or ``"same"``.
        output_padding: ``None``, or an int or two ints each smaller than its stride:
            extra output rows / columns.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps: an int or two ints (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, rows, cols, channels)``, or ``(batch_size, channels, rows,
        cols)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_rows, new_cols, filters)``, or ``(batch_size, filters,
        new_rows, new_cols)``, with the sizes as in :class:`BaseConvTranspose`.

    Weights:
        ``kernel`` of shape ``(*kernel_size, filters, channels)`` and ``bias`` of shape
        ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        output_padding: int | Sequence[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class Conv3DTranspose(BaseConvTranspose):
    """A 3-D transposed convolution, which upsamples volumes by ``strides``.

    Args:
        filters: Number of output channels; a positive integer.
        kernel_size: Window size: an int or a tuple of three ints.
        strides: Upsampling factor: an int or three ints (default 1).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        output_padding: ``None``, or an int or three ints each smaller than its
            stride: extra output steps per spatial axis.
        dilation_rate: Spacing between kernel taps: an int or three ints (default 1).
        activation: Activation name or callable; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        ``(batch_size, dim1, dim2, dim3, channels)``, or ``(batch_size, channels, dim1,
        dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch_size, new_dim1, new_dim2, new_dim3, filters)``, or ``(batch_size,
        filters, new_dim1, new_dim2, new_dim3)``, with the sizes as in
        :class:`BaseConvTranspose`.

    Weights:
        ``kernel`` of shape ``(*kernel_size, filters, channels)`` and ``bias`` of shape
        ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: int | Sequence[int] | None = None,
        dilation_rate: int | Sequence[int] = (1, 1, 1),
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3,
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
