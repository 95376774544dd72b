"""Rearrangement ops: image blocks to columns and back (``unfold`` / ``fold``), channels
to spatial tiles and back (``depth_to_space`` / ``space_to_depth``), and ``polar``,
which pairs magnitudes with angles into complex numbers."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, check_data_format, exports, op, tuplify


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
