"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

A transposed convolution is the gradient of a convolution with respect to its input
(often called a deconvolution); it upsamples by ``strides``. The kernel is stored as
``(*kernel_size, filters, channels)``, as in Keras 3, and the output size follows
Keras's rule (see ``transpose_padding`` in ``_conv_utils.py``). The forward pass is one
``jax.lax.conv_transpose``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from kerax.layers._args import check_rank, known_channels, normalize_padding
from kerax.layers._base import InputSpec
from kerax.layers._conv_utils import (
    normalize_output_padding,
    transpose_output_length,
    transpose_padding,
)
from kerax.layers.conv import BaseConv


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
        channels = known_channels(self, input_shape, self._channel_axis)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.kernel = self.add_weight(
            "kernel",
            (*self.kernel_size, self.filters, channels),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._build_bias(self.filters)

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
            y = self._add_bias(y, p["bias"])
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
