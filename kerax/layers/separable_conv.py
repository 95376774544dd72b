"""Separable convolutions: SeparableConv1D, SeparableConv2D, over one N-D base.

A depthwise convolution of each channel (see ``depthwise_conv.py``) followed by a 1x1
("pointwise") convolution mixing the channels, then bias and activation, with Keras
3's weights ``depthwise_kernel``, ``pointwise_kernel`` and ``bias``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._args import check_positive, check_rank, serialize_regularizer
from kerax.layers.depthwise_conv import BaseDepthwiseConv


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
            y = self._add_bias(y, p["bias"])
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
