"""Window arithmetic and data layout shared by the convolution layers.

The output size of a sliding window (plain, depthwise and separable convolutions,
the ConvLSTM layers) and of a transposed convolution, with Keras's rules.

:class:`ConvWindow` is mixed into the plain, depthwise, separable and transposed
convolutions: it reads their ``rank``, ``data_format``, ``kernel_size``, ``strides``,
``dilation_rate`` and ``padding`` and their bias arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._args import int_entries, is_int


def window_output_length(
    length: int | None, window: int, stride: int, padding: str, dilation: int = 1
) -> int | None:
    """Output length of a sliding window over ``length`` steps (``None`` stays)."""
    if length is None:
        return None
    if padding in ("same", "causal"):
        return -(-length // stride)
    span = dilation * (window - 1) + 1
    return (length - span) // stride + 1


def window_output_shape(
    spatial: Sequence[int | None],
    kernel_size: Sequence[int],
    strides: Sequence[int],
    padding: str,
    dilation_rate: Sequence[int],
) -> tuple[int | None, ...]:
    """:func:`window_output_length` of every spatial axis."""
    return tuple(
        window_output_length(n, k, s, padding, d)
        for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate, strict=True)
    )


def check_strides_dilation(
    layer: str, strides: tuple[int, ...], dilation_rate: tuple[int, ...]
) -> None:
    """Raises ValueError if strides above 1 meet a dilation rate above 1."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            f"{layer} does not support `strides` > 1 together with `dilation_rate` > 1; "
            f"received strides={strides} and dilation_rate={dilation_rate}."
        )


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
    rank = len(strides)
    values = int_entries(value, rank)
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


class ConvWindow:
    """The layout, output size and bias of a convolution over ``rank`` spatial axes."""

    rank: int
    data_format: str
    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    padding: str
    use_bias: bool
    bias_initializer: Any
    bias_regularizer: Any
    bias_constraint: Any

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape: Sequence[int | None]) -> tuple[int | None, ...]:
        shape = tuple(shape)
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def _output_spatial(self, spatial: Sequence[int | None]) -> tuple[int | None, ...]:
        return window_output_shape(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate
        )

    def _check_output_size(self, input_shape: tuple[int | None, ...]) -> None:
        """Raises ValueError if the input is too small to give any output."""
        out = self._output_spatial(self._spatial(input_shape))
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the input is too small for "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"dilation_rate={self.dilation_rate} and padding='{self.padding}'; "
                f"received input shape {tuple(input_shape)}, which gives an output of "
                f"spatial shape {out}."
            )

    def _dimension_numbers(self) -> jax.lax.ConvDimensionNumbers:
        n = self.rank + 2
        if self.data_format == "channels_last":
            lhs = (0, n - 1, *range(1, n - 1))
        else:
            lhs = (0, 1, *range(2, n))
        # The kernel is (*spatial, in, out): out is axis n-1, in is axis n-2.
        rhs = (n - 1, n - 2, *range(n - 2))
        return jax.lax.ConvDimensionNumbers(lhs_spec=lhs, rhs_spec=rhs, out_spec=lhs)

    def _build_bias(self, size: int) -> None:
        """Declares the ``(size,)`` bias when ``use_bias``."""
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (size,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _add_bias(self, y: jax.Array, bias: jax.Array) -> jax.Array:
        """``y + bias`` along the channel axis."""
        if self.data_format == "channels_last":
            return y + bias
        return y + jnp.reshape(bias, (bias.shape[0],) + (1,) * self.rank)
