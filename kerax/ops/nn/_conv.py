"""Convolution and pooling ops: plain, depthwise, separable and transposed
convolutions; max, average and adaptive pooling.

Each takes ``data_format``: ``"channels_last"`` (the default, ``(batch, *spatial,
channels)``) or ``"channels_first"``; the work is done channels-last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, check_data_format, exports, op, tuplify


def _to_last(x: Any, fmt: str) -> Any:
    return jnp.moveaxis(x, 1, -1) if fmt == "channels_first" else x


def _from_last(x: Any, fmt: str) -> Any:
    return jnp.moveaxis(x, -1, 1) if fmt == "channels_first" else x


def _dims(rank: int) -> tuple[str, str, str]:
    spatial = "DHW"[3 - rank :] if rank <= 3 else None
    if spatial is None:
        raise ValueError("Only 1D, 2D and 3D convolutions are supported.")
    return (f"N{spatial}C", f"{spatial}IO", f"N{spatial}C")


def _pool(
    x: Any, pool_size: Any, strides: Any, padding: str, data_format: Any, init: Any, fn: Any
) -> Any:
    fmt = check_data_format(data_format)
    x = _to_last(jnp.asarray(x), fmt)
    rank = x.ndim - 2
    pool = tuplify(pool_size, rank, "pool_size")
    step = pool if strides is None else tuplify(strides, rank, "strides")
    out = jax.lax.reduce_window(x, init, fn, (1, *pool, 1), (1, *step, 1), padding.upper())
    return _from_last(out, fmt)


@op
def max_pool(
    inputs: Tensor,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Array:
    """The maximum over each pooling window (strides default to ``pool_size``)."""
    return _pool(inputs, pool_size, strides, padding, data_format, -jnp.inf, jax.lax.max)


@op
def average_pool(
    inputs: Tensor,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Array:
    """The mean over each pooling window (with ``"same"``, of its in-bounds part)."""
    x = jnp.asarray(inputs)
    sums = _pool(x, pool_size, strides, padding, data_format, 0.0, jax.lax.add)
    counts = _pool(jnp.ones_like(x), pool_size, strides, padding, data_format, 0.0, jax.lax.add)
    return sums / counts


def _adaptive(x: Any, output_size: Any, data_format: Any, reduce_max: bool) -> Any:
    fmt = check_data_format(data_format)
    x = _to_last(jnp.asarray(x), fmt)
    rank = x.ndim - 2
    sizes = tuplify(output_size, rank, "output_size")
    for ax, out in zip(range(1, rank + 1), sizes, strict=True):
        n = x.shape[ax]
        i = np.arange(out)
        start, end = (i * n) // out, -((-(i + 1) * n) // out)  # floor, ceil
        pos = np.arange(n)
        mask = (pos >= start[:, None]) & (pos < end[:, None])  # (out, n)
        moved = jnp.moveaxis(x, ax, -1)
        if reduce_max:
            pooled = jnp.max(jnp.where(mask, moved[..., None, :], -jnp.inf), axis=-1)
        else:
            weights = jnp.asarray(mask / mask.sum(-1, keepdims=True), x.dtype)
            pooled = moved @ weights.T
        x = jnp.moveaxis(pooled, -1, ax)
    return _from_last(x, fmt)


@op
def adaptive_average_pool(
    inputs: Tensor, output_size: int | Sequence[int], data_format: str | None = None
) -> Array:
    """Average pooling to a fixed ``output_size``: output ``i`` averages input
    ``[floor(i * n / out), ceil((i + 1) * n / out))`` along each spatial axis."""
    return _adaptive(inputs, output_size, data_format, reduce_max=False)


@op
def adaptive_max_pool(
    inputs: Tensor, output_size: int | Sequence[int], data_format: str | None = None
) -> Array:
    """Max pooling to a fixed ``output_size`` (windows as :func:`adaptive_average_pool`)."""
    return _adaptive(inputs, output_size, data_format, reduce_max=True)


@op
def conv(
    inputs: Tensor,
    kernel: Tensor,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Array:
    """N-D convolution with a ``(*kernel_size, in_channels / groups, filters)`` kernel
    (grouped when ``in_channels`` is a multiple of the kernel's)."""
    fmt = check_data_format(data_format)
    x = _to_last(jnp.asarray(inputs), fmt)
    kernel = jnp.asarray(kernel)
    rank = x.ndim - 2
    groups, rem = divmod(x.shape[-1], kernel.shape[-2])
    if rem:
        raise ValueError(
            f"Input channels ({x.shape[-1]}) must be a multiple of the kernel's "
            f"({kernel.shape[-2]})."
        )
    out = jax.lax.conv_general_dilated(
        x.astype(kernel.dtype),
        kernel,
        tuplify(strides, rank, "strides"),
        padding.upper(),
        rhs_dilation=tuplify(dilation_rate, rank, "dilation_rate"),
        dimension_numbers=_dims(rank),
        feature_group_count=groups,
    )
    return _from_last(out, fmt)


@op
def depthwise_conv(
    inputs: Tensor,
    kernel: Tensor,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Array:
    """Per-channel convolution with a ``(*kernel_size, in_channels, multiplier)``
    kernel: ``in_channels * multiplier`` outputs."""
    kernel = jnp.asarray(kernel)
    flat = kernel.reshape(*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1])
    return conv.__wrapped__(inputs, flat, strides, padding, data_format, dilation_rate)


@op
def separable_conv(
    inputs: Tensor,
    depthwise_kernel: Tensor,
    pointwise_kernel: Tensor,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Array:
    """A depthwise convolution followed by a ``1x1`` (pointwise) convolution."""
    depthwise = depthwise_conv.__wrapped__(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    return conv.__wrapped__(depthwise, pointwise_kernel, 1, "valid", data_format)


def _transpose_padding(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """The ``(low, high)`` padding of the stride-dilated input, so that the output
    length is Keras's: ``n * stride`` (``"same"``) or ``(n - 1) * stride +
    max(kernel, stride)`` (``"valid"``), plus ``output_padding`` when given."""
    span = (kernel - 1) * dilation + 1
    if padding.lower() == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if padding.lower() != "same":
        raise ValueError(f"`padding` must be 'valid' or 'same', received {padding!r}.")
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    low = min((total + 1) // 2, span - 1)
    return low, total - low


@op
def conv_transpose(
    inputs: Tensor,
    kernel: Tensor,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    output_padding: int | Sequence[int] | None = None,
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> Array:
    """Transposed convolution with a ``(*kernel_size, filters, in_channels)`` kernel
    (the gradient of :func:`conv`, upsampling by ``strides``)."""
    fmt = check_data_format(data_format)
    x = _to_last(jnp.asarray(inputs), fmt)
    kernel = jnp.asarray(kernel)
    rank = x.ndim - 2
    step = tuplify(strides, rank, "strides")
    dil = tuplify(dilation_rate, rank, "dilation_rate")
    extra = (None,) * rank if output_padding is None else tuplify(output_padding, rank)
    pads = [
        _transpose_padding(kernel.shape[i], step[i], dil[i], padding, extra[i]) for i in range(rank)
    ]
    out = jax.lax.conv_transpose(
        x,
        kernel,
        step,
        pads,
        rhs_dilation=dil,
        dimension_numbers=_dims(rank),
        transpose_kernel=True,
    )
    return _from_last(out, fmt)


__all__ = exports(__name__)
