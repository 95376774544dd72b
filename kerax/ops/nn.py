"""``kerax.ops.nn``: Keras's neural-network ops (all also at ``kerax.ops``).

Activations, convolutions and pooling, normalizations, losses, attention, and tensor
rearrangements. Spatial ops take ``data_format``: ``"channels_last"`` (the default,
``(batch, *spatial, channels)``) or ``"channels_first"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, alias, check_data_format, exports, op, tuplify

_EPSILON = 1e-7  # Keras's backend epsilon, the default of the normalization ops.

# ----------------------------------------------------------------------------------------
# Activations


@op
def relu(x: Tensor) -> Array:
    """``max(x, 0)``."""
    return jax.nn.relu(x)


@op
def relu6(x: Tensor) -> Array:
    """``min(max(x, 0), 6)``."""
    return jax.nn.relu6(x)


@op
def sigmoid(x: Tensor) -> Array:
    """``1 / (1 + exp(-x))``."""
    return jax.nn.sigmoid(x)


@op
def hard_sigmoid(x: Tensor) -> Array:
    """The piecewise-linear sigmoid ``relu6(x + 3) / 6``."""
    return jax.nn.relu6(jnp.asarray(x) + 3.0) / 6.0


@op
def sparse_sigmoid(x: Tensor) -> Array:
    """0 below -1, 1 above 1, and ``(x + 1) / 2`` between."""
    return jnp.clip((jnp.asarray(x) + 1.0) / 2.0, 0.0, 1.0)


@op
def softmax(x: Tensor, axis: int | Sequence[int] = -1) -> Array:
    """``exp(x)`` normalized to sum to 1 over ``axis``."""
    return jax.nn.softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


@op
def log_softmax(x: Tensor, axis: int | Sequence[int] = -1) -> Array:
    """``log(softmax(x))``, computed stably."""
    return jax.nn.log_softmax(x, axis=tuple(axis) if isinstance(axis, list) else axis)


@op
def sparsemax(x: Tensor, axis: int = -1) -> Array:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``
    (like softmax, but with exact zeros)."""
    x = jnp.asarray(x)
    z = jnp.moveaxis(x, axis, -1)
    desc = -jnp.sort(-z, axis=-1)
    rank = jnp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cums = jnp.cumsum(desc, axis=-1)
    support = desc * rank > cums - 1
    k = jnp.sum(support, axis=-1, keepdims=True)
    tau = (jnp.sum(jnp.where(support, desc, 0), axis=-1, keepdims=True) - 1) / k
    return jnp.moveaxis(jnp.maximum(z - tau, 0), -1, axis)


@op
def gelu(x: Tensor, approximate: bool = True) -> Array:
    """The Gaussian error linear unit (the tanh approximation unless ``approximate``
    is ``False``; the Keras *activation* defaults to exact, this op does not)."""
    return jax.nn.gelu(x, approximate=approximate)


@op
def silu(x: Tensor) -> Array:
    """``x * sigmoid(x)`` (also called swish)."""
    return jax.nn.silu(x)


swish = alias(silu, "swish")


@op
def hard_silu(x: Tensor) -> Array:
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    x = jnp.asarray(x)
    return x * jax.nn.relu6(x + 3.0) / 6.0


hard_swish = alias(hard_silu, "hard_swish")


@op
def elu(x: Tensor, alpha: float = 1.0) -> Array:
    """``x`` if positive, else ``alpha * (exp(x) - 1)``."""
    return jax.nn.elu(x, alpha)


@op
def selu(x: Tensor) -> Array:
    """The self-normalizing ELU (fixed scale and alpha)."""
    return jax.nn.selu(x)


@op
def celu(x: Tensor, alpha: float = 1.0) -> Array:
    """``max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)``."""
    x = jnp.asarray(x)
    return jnp.maximum(x, 0) + jnp.minimum(alpha * jnp.expm1(x / alpha), 0)


@op
def glu(x: Tensor, axis: int = -1) -> Array:
    """The gated linear unit: ``a * sigmoid(b)`` for the halves ``a, b`` of ``x``
    along ``axis``."""
    a, b = jnp.split(jnp.asarray(x), 2, axis=axis)
    return a * jax.nn.sigmoid(b)


@op
def softplus(x: Tensor) -> Array:
    """``log(1 + exp(x))``, computed stably."""
    return jax.nn.softplus(x)


@op
def softsign(x: Tensor) -> Array:
    """``x / (1 + |x|)``."""
    return jax.nn.soft_sign(x)


@op
def sparse_plus(x: Tensor) -> Array:
    """0 below -1, ``x`` above 1, and ``(x + 1)**2 / 4`` between."""
    x = jnp.asarray(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4))


@op
def squareplus(x: Tensor, b: float = 4) -> Array:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU."""
    x = jnp.asarray(x)
    return (x + jnp.sqrt(x * x + b)) / 2


@op
def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Array:
    """``x`` if positive, else ``negative_slope * x``."""
    return jax.nn.leaky_relu(x, negative_slope)


@op
def log_sigmoid(x: Tensor) -> Array:
    """``log(sigmoid(x))``, computed stably."""
    return jax.nn.log_sigmoid(x)


@op
def hard_tanh(x: Tensor) -> Array:
    """``x`` clipped to ``[-1, 1]``."""
    return jnp.clip(x, -1.0, 1.0)


@op
def hard_shrink(x: Tensor, threshold: float = 0.5) -> Array:
    """``x`` where ``|x| > threshold``, else 0."""
    x = jnp.asarray(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@op
def soft_shrink(x: Tensor, threshold: float = 0.5) -> Array:
    """``x`` moved toward 0 by ``threshold`` (0 within ``[-threshold, threshold]``)."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@op
def tanh_shrink(x: Tensor) -> Array:
    """``x - tanh(x)``."""
    x = jnp.asarray(x)
    return x - jnp.tanh(x)


@op
def threshold(x: Tensor, threshold: float, default_value: float) -> Array:
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = jnp.asarray(x)
    return jnp.where(x > threshold, x, default_value)


# ----------------------------------------------------------------------------------------
# Convolution and pooling


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


# ----------------------------------------------------------------------------------------
# Encodings, normalization, losses


@op
def one_hot(
    x: Tensor, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False
) -> Array:
    """The one-hot encoding of the integer ``x`` (new axis ``axis``)."""
    if sparse:
        raise ValueError("Sparse outputs are not supported.")
    return jax.nn.one_hot(x, num_classes, axis=axis, dtype=dtype or "float32")


@op
def multi_hot(
    inputs: Tensor,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: Any = None,
    sparse: bool = False,
    **kwargs: Any,
) -> Array:
    """The multi-hot encoding of the integer ``inputs``: 1 for each class present in a
    row (``(batch, k)`` -> ``(batch, num_classes)``; a 1D input is one row)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None or kwargs:
        raise ValueError("`multi_hot` needs `num_classes` (and no other keyword).")
    x = jnp.asarray(inputs)
    encoded = one_hot.__wrapped__(x.astype("int32"), num_classes, axis, dtype, sparse)
    return jnp.max(encoded, axis=1 if x.ndim > 1 else 0)


@op
def moments(
    x: Tensor,
    axes: int | Sequence[int],
    keepdims: bool = False,
    synchronized: bool = False,
) -> tuple[Array, Array]:
    """The mean and variance of ``x`` over ``axes`` (``synchronized`` is accepted for
    Keras compatibility: a jitted step already reduces over the whole batch)."""
    axes = tuple(axes) if isinstance(axes, list) else axes
    return jnp.mean(x, axes, keepdims=keepdims), jnp.var(x, axes, keepdims=keepdims)


@op
def normalize(x: Tensor, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Array:
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"`order` must be an int >= 1, received {order!r}.")
    x = jnp.asarray(x)
    eps = _EPSILON if epsilon is None else epsilon
    if order == 2:
        inv = jax.lax.rsqrt(jnp.sum(x * x, axis=axis, keepdims=True))
        return x * jnp.minimum(inv, 1.0 / eps)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, eps)


@op
def batch_normalization(
    x: Tensor,
    mean: Tensor,
    variance: Tensor,
    axis: int,
    offset: Tensor | None = None,
    scale: Tensor | None = None,
    epsilon: float = 1e-3,
) -> Array:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the statistics
    being vectors along ``axis``."""
    x = jnp.asarray(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x - jnp.reshape(mean, shape)) * jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if scale is not None:
        y = y * jnp.reshape(scale, shape)
    if offset is not None:
        y = y + jnp.reshape(offset, shape)
    return y


def _norm_setup(x: Any, axis: Any) -> tuple[Any, Any, tuple[int, ...], list[int]]:
    x = jnp.asarray(x)
    dtype = x.dtype
    x = x.astype(jnp.promote_types(dtype, jnp.float32))
    axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)))
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return x, dtype, axes, shape


def _param(v: Any, shape: list[int], axes: tuple[int, ...], ndim: int, dtype: Any) -> Any:
    v = jnp.asarray(v, dtype)
    return v if axes == (ndim - 1,) or v.ndim == ndim else jnp.reshape(v, shape)


@op
def layer_normalization(
    x: Tensor,
    gamma: Tensor | None = None,
    beta: Tensor | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
    rms_scaling: bool = False,
) -> Array:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis`` (computed in
    at least float32; with ``rms_scaling``, no centering and no ``beta``)."""
    eps = _EPSILON if epsilon is None else epsilon
    x, dtype, axes, shape = _norm_setup(x, axis)
    mean, var = jnp.mean(x, axes, keepdims=True), jnp.var(x, axes, keepdims=True)
    inv = jax.lax.rsqrt(var + eps)
    if gamma is not None:
        inv = inv * _param(gamma, shape, axes, x.ndim, x.dtype)
    if rms_scaling:
        return (x * inv).astype(dtype)
    out = (x - mean) * inv
    if beta is not None:
        out = out + _param(beta, shape, axes, x.ndim, x.dtype)
    return out.astype(dtype)


@op
def rms_normalization(
    x: Tensor,
    scale: Tensor | None = None,
    axis: int | Sequence[int] = -1,
    epsilon: float | None = None,
) -> Array:
    """``x / sqrt(mean(x**2) + epsilon) * scale`` over ``axis`` (in at least float32)."""
    eps = _EPSILON if epsilon is None else epsilon
    x, dtype, axes, shape = _norm_setup(x, axis)
    out = x * jax.lax.rsqrt(jnp.mean(x * x, axes, keepdims=True) + eps)
    if scale is not None:
        out = out * jnp.asarray(scale, x.dtype)
    return out.astype(dtype)


@op
def binary_crossentropy(target: Tensor, output: Tensor, from_logits: bool = False) -> Array:
    """Elementwise binary crossentropy of probabilities (or logits) ``output``."""
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1 - target) * jax.nn.log_sigmoid(-output)
    p = jnp.clip(output, 1e-7, 1 - 1e-7)
    return -(target * jnp.log(p) + (1 - target) * jnp.log(1 - p))


@op
def categorical_crossentropy(
    target: Tensor, output: Tensor, from_logits: bool = False, axis: int = -1
) -> Array:
    """Crossentropy of one-hot ``target`` and probabilities (or logits) ``output``."""
    from kerax.losses import categorical_crossentropy as loss

    return loss(target, output, from_logits=from_logits, axis=axis)


@op
def sparse_categorical_crossentropy(
    target: Tensor, output: Tensor, from_logits: bool = False, axis: int = -1
) -> Array:
    """Crossentropy of integer ``target`` and probabilities (or logits) ``output``."""
    from kerax.losses import sparse_categorical_crossentropy as loss

    return loss(target, output, from_logits=from_logits, axis=axis)


def _paddings(lengths: Any, size: int, dtype: Any) -> Any:
    return (jnp.arange(size)[None, :] >= jnp.asarray(lengths)[:, None]).astype(dtype)


@op
def ctc_loss(
    target: Tensor,
    output: Tensor,
    target_length: Tensor,
    output_length: Tensor,
    mask_index: int = 0,
) -> Array:
    """The per-sequence CTC loss (negative log-likelihood).

    Args:
        target: Integer labels, ``(batch, max_label_length)``.
        output: Logits, ``(batch, max_time, num_classes)``.
        target_length: Label lengths, ``(batch,)``.
        output_length: Output lengths, ``(batch,)``.
        mask_index: The blank class.
    """
    import optax

    logits = jnp.asarray(output)
    logits = logits.astype(jnp.promote_types(logits.dtype, jnp.float32))
    labels = jnp.asarray(target).astype("int32")
    return optax.ctc_loss(
        logits,
        _paddings(output_length, logits.shape[1], logits.dtype),
        labels,
        _paddings(target_length, labels.shape[1], logits.dtype),
        blank_id=mask_index,
    )


@op
def ctc_decode(
    inputs: Tensor,
    sequence_lengths: Tensor,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
) -> tuple[Array, Array]:
    """Greedy CTC decoding of logits ``(batch, max_time, num_classes)``.

    Returns:
        ``(decoded, scores)``: labels ``(1, batch, max_time)`` packed to the front and
        padded with -1, and ``(batch, 1)`` scores (minus the sum of the best logits).
        Only ``strategy="greedy"`` is implemented.
    """
    if strategy != "greedy":
        raise NotImplementedError("Only strategy='greedy' is implemented.")
    x = jnp.asarray(inputs)
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    steps = x.shape[1]
    best, score = jnp.argmax(x, axis=-1), jnp.max(x, axis=-1)
    past_end = jnp.arange(steps)[None, :] >= jnp.asarray(sequence_lengths)[:, None]
    best = jnp.where(past_end, mask_index, best)
    score = jnp.where(past_end, 0.0, score)
    if merge_repeated:
        repeated = jnp.pad(best[:, 1:] == best[:, :-1], ((0, 0), (1, 0)))
        best = jnp.where(repeated, mask_index, best)
    blank = best == mask_index
    order = jnp.argsort(jnp.where(blank, steps, jnp.arange(steps)[None, :]), axis=-1)
    decoded = jnp.take_along_axis(jnp.where(blank, -1, best), order, axis=-1)
    return decoded[None], -jnp.sum(score, axis=1, keepdims=True)


@op
def psnr(x1: Tensor, x2: Tensor, max_val: float) -> Array:
    """The peak signal-to-noise ratio of ``x2`` against ``x1``, in dB."""
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"Shapes differ: {x1.shape} vs {x2.shape}.")
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(jnp.asarray(max_val, x2.dtype)) - 10 * jnp.log10(mse)


# ----------------------------------------------------------------------------------------
# Attention and rearrangements


@op
def dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    bias: Tensor | None = None,
    mask: Tensor | None = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> Array:
    """Scaled dot-product attention on ``(batch, length, heads, head_dim)`` tensors.

    Args:
        query, key, value: The inputs (``key`` / ``value`` may have fewer heads).
        bias: Added to the logits.
        mask: Boolean, ``True`` where attention is allowed.
        scale: Logit scale (default ``1 / sqrt(head_dim)``).
        is_causal: Apply a causal mask.
        flash_attention: Accepted for compatibility (XLA picks the kernel).
        attn_logits_soft_cap: If set, logits become ``l / (1 + |l| / cap)``.
    """
    if attn_logits_soft_cap is None:
        return jax.nn.dot_product_attention(
            query, key, value, bias=bias, mask=mask, scale=scale, is_causal=is_causal
        )
    q, k, v = (jnp.asarray(t) for t in (query, key, value))
    groups = q.shape[2] // k.shape[2]
    k, v = jnp.repeat(k, groups, axis=2), jnp.repeat(v, groups, axis=2)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    dtype = jnp.promote_types(q.dtype, jnp.float32)
    logits = jnp.einsum("btnh,bsnh->bnts", q, k, preferred_element_type=dtype) * scale
    logits = logits / (1.0 + jnp.abs(logits) / attn_logits_soft_cap)
    if bias is not None:
        logits = logits + bias
    allowed = jnp.ones(logits.shape, bool)
    if mask is not None:
        allowed = allowed & mask
    if is_causal:
        allowed = allowed & jnp.tril(jnp.ones(logits.shape[-2:], bool))
    logits = jnp.where(allowed, logits, -0.7 * jnp.finfo(logits.dtype).max)
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(v.dtype)
    return jnp.einsum("bnts,bsnh->btnh", probs, v)


@op
def polar(abs_: Tensor, angle: Tensor) -> Array:
    """The complex tensor ``abs_ * (cos(angle) + i sin(angle))``."""
    abs_, angle = jnp.asarray(abs_), jnp.asarray(angle)
    return jax.lax.complex(abs_ * jnp.cos(angle), abs_ * jnp.sin(angle))


@op
def unfold(
    x: Tensor,
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Array:
    """The sliding blocks of the channels-first images ``x`` ``(N, C, H, W)``, as columns:
    ``(N, C * kh * kw, num_blocks)`` (im2col)."""
    x = jnp.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"`unfold` needs (N, C, H, W) input, got shape {x.shape}.")
    ph, pw = tuplify(padding, 2, "padding")
    x = jnp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    patches = jax.lax.conv_general_dilated_patches(
        x,
        tuplify(kernel_size, 2, "kernel_size"),
        tuplify(stride, 2, "stride"),
        "VALID",
        rhs_dilation=tuplify(dilation, 2, "dilation"),
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
    )
    return patches.reshape(*patches.shape[:2], -1)


@op
def fold(
    x: Tensor,
    output_size: int | Sequence[int],
    kernel_size: int | Sequence[int],
    dilation: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    stride: int | Sequence[int] = 1,
) -> Array:
    """The inverse layout of :func:`unfold` (col2im): sums the blocks ``(N, C * kh * kw,
    L)`` back into images ``(N, C, *output_size)``, overlaps added."""
    x = jnp.asarray(x)
    (oh, ow), (kh, kw) = tuplify(output_size, 2), tuplify(kernel_size, 2)
    (dh, dw), (ph, pw), (sh, sw) = tuplify(dilation, 2), tuplify(padding, 2), tuplify(stride, 2)
    nh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    nw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = x.reshape(x.shape[0], -1, kh, kw, nh, nw)
    rows = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(nh) * sh)[None, None, :, None]
    cols = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(nw) * sw)[None, None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    out = jnp.zeros((*blocks.shape[:2], oh + 2 * ph, ow + 2 * pw), x.dtype)
    out = out.at[:, :, rows, cols].add(blocks)
    return out[:, :, ph : ph + oh, pw : pw + ow]


@op
def depth_to_space(x: Tensor, block_size: int, data_format: str = "channels_last") -> Array:
    """Moves channel blocks into ``block_size x block_size`` spatial tiles (pixel
    shuffle): ``(N, H, W, C)`` -> ``(N, H * b, W * b, C / b**2)``."""
    x, b = jnp.asarray(x), block_size
    if check_data_format(data_format) == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h * b, w * b, c // (b * b))
    n, c, h, w = x.shape
    x = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return x.reshape(n, c // (b * b), h * b, w * b)


@op
def space_to_depth(x: Tensor, block_size: int, data_format: str = "channels_last") -> Array:
    """The inverse of :func:`depth_to_space`: ``(N, H, W, C)`` -> ``(N, H / b, W / b,
    C * b**2)``."""
    x, b = jnp.asarray(x), block_size
    if check_data_format(data_format) == "channels_last":
        n, h, w, c = x.shape
        x = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
        return x.reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 1, 3, 5, 2, 4)
    return x.reshape(n, c * b * b, h // b, w // b)


__all__ = exports(__name__)
