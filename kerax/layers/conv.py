"""Convolution layers: Conv1D, Conv2D, Conv3D over one N-D base.

Every layer is one ``jax.lax.conv_general_dilated`` (a cross-correlation, as in
Keras) plus an optional bias and activation. The kernel is stored in Keras's layout,
``(*kernel_size, in_channels // groups, filters)``, whatever the data format, so
weights copy across unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

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
from kerax.layers._conv_utils import ConvWindow, check_strides_dilation


class BaseConv(ConvWindow, Layer):
    """An N-D convolution (cross-correlation) with optional bias and activation.

    Use :class:`Conv1D`, :class:`Conv2D` or :class:`Conv3D`; this base holds the
    argument checks, the weights and the forward pass for any ``rank``.

    Args:
        rank: Number of spatial dimensions (1, 2 or 3).
        filters: Number of output channels; a positive integer divisible by ``groups``.
        kernel_size: Window size: an int or ``rank`` ints.
        strides: Step of the window: an int or ``rank`` ints (default 1). Strides above
            1 cannot be combined with a dilation rate above 1.
        padding: ``"valid"`` (no padding), ``"same"`` (zero padding so that the output
            has ``ceil(size / stride)`` steps, split evenly with any odd cell at the
            end) or, for ``rank == 1`` only, ``"causal"`` (left padding only, so that
            ``output[t]`` depends on ``input[:t + 1]``). Case-insensitive.
        data_format: ``"channels_last"`` (``(batch, *spatial, channels)``, the default
            for ``None``) or ``"channels_first"`` (``(batch, channels, *spatial)``).
        dilation_rate: Spacing between kernel taps: an int or ``rank`` ints (default 1).
        groups: Number of groups the input channels are split into; each group is
            convolved with its own ``filters // groups`` filters (default 1).
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
        ``(batch_size, channels, *spatial_dims)`` with ``channels_first``: rank
        ``rank + 2``.

    Output shape:
        The same layout with ``filters`` channels; each spatial size becomes
        ``ceil(size / stride)`` with ``"same"`` or ``"causal"`` padding, and
        ``(size - dilation * (kernel - 1) - 1) // stride + 1`` with ``"valid"``.

    Weights:
        ``kernel`` of shape ``(*kernel_size, channels // groups, filters)`` and
        ``bias`` of shape ``(filters,)``.
    """

    loop_friendly = False  # XLA:CPU runs these far slower inside a loop body

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.rank = rank
        check_positive(cls, "filters", filters)
        check_positive(cls, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"Received an invalid value for `filters` in {cls}: it must be divisible "
                f"by `groups`, received filters={filters} and groups={groups}."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = normalize_tuple(cls, "kernel_size", kernel_size, rank)
        self.strides = normalize_tuple(cls, "strides", strides, rank)
        self.dilation_rate = normalize_tuple(cls, "dilation_rate", dilation_rate, rank)
        check_strides_dilation(cls, self.strides, self.dilation_rate)
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.padding = normalize_padding(cls, padding, allowed)
        self.data_format = normalize_data_format(cls, data_format)
        self.activation = _activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        check_rank(self, input_shape, self.rank + 2)
        channels = known_channels(self, input_shape, self._channel_axis)
        if channels % self.groups:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the number of input channels "
                f"must be divisible by groups={self.groups}; received input shape "
                f"{tuple(input_shape)} with {channels} channels."
            )
        self._check_output_size(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.kernel = self.add_weight(
            "kernel",
            (*self.kernel_size, channels // self.groups, self.filters),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._build_bias(self.filters)

    def _padding_arg(self) -> str | list[tuple[int, int]]:
        if self.padding == "causal":
            left = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation_rate)]
            return [(p, 0) for p in left]
        return self.padding.upper()

    def convolution_op(self, inputs: jax.Array, kernel: jax.Array) -> jax.Array:
        """The convolution of ``inputs`` with ``kernel``, before bias and activation.

        Keras's documented hook: a subclass may override it (weight standardisation,
        masked kernels) and ``apply`` then uses the override.
        """
        return jax.lax.conv_general_dilated(
            inputs,
            kernel,
            window_strides=self.strides,
            padding=self._padding_arg(),
            rhs_dilation=self.dilation_rate,
            dimension_numbers=self._dimension_numbers(),
            feature_group_count=self.groups,
        )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        check_rank(self, inputs.shape, self.rank + 2)
        p = ctx.params
        y = self.convolution_op(inputs, p["kernel"])
        if self.use_bias:
            y = self._add_bias(y, p["bias"])
        return self.activation(y)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint,
        }


class Conv1D(BaseConv):
    """A 1-D convolution over time: ``activation(conv1d(inputs, kernel) + bias)``.

    Args:
        filters: Number of output channels; a positive integer divisible by ``groups``.
        kernel_size: Window length: an int or a tuple of one int.
        strides: Step of the window (default 1).
        padding: ``"valid"``, ``"same"`` or ``"causal"`` (left padding by
            ``dilation_rate * (kernel_size - 1)``, so that no output step sees a later
            input step).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps (default 1).
        groups: Number of channel groups (default 1).
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
        ``(batch_size, new_steps, filters)``, or ``(batch_size, filters, new_steps)``.

    Weights:
        ``kernel`` of shape ``(kernel_size, channels // groups, filters)`` and ``bias``
        of shape ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
        groups: int = 1,
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
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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


class Conv2D(BaseConv):
    """A 2-D convolution over images: ``activation(conv2d(inputs, kernel) + bias)``.

    Args:
        filters: Number of output channels; a positive integer divisible by ``groups``.
        kernel_size: Window size: an int or a tuple of two ints.
        strides: Step of the window: an int or two ints (default 1).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps: an int or two ints (default 1).
        groups: Number of channel groups (default 1).
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
        new_rows, new_cols)``.

    Weights:
        ``kernel`` of shape ``(*kernel_size, channels // groups, filters)`` and
        ``bias`` of shape ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1),
        groups: int = 1,
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
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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


class Conv3D(BaseConv):
    """A 3-D convolution over volumes: ``activation(conv3d(inputs, kernel) + bias)``.

    Args:
        filters: Number of output channels; a positive integer divisible by ``groups``.
        kernel_size: Window size: an int or a tuple of three ints.
        strides: Step of the window: an int or three ints (default 1).
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: Spacing between kernel taps: an int or three ints (default 1).
        groups: Number of channel groups (default 1).
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
        filters, new_dim1, new_dim2, new_dim3)``.

    Weights:
        ``kernel`` of shape ``(*kernel_size, channels // groups, filters)`` and
        ``bias`` of shape ``(filters,)``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = (1, 1, 1),
        groups: int = 1,
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
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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
