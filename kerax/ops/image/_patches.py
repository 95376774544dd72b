"""Patch ops: the patches of images and volumes, flattened into the channel axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, check_data_format, exports, op, tuplify


def _patches(
    x: Any, size: tuple[int, ...], strides: Any, dilation_rate: Any, padding: str, fmt: str
) -> Any:
    """Patches of a channels-first-or-last batch, flattened in (patch..., channel) order."""
    rank = len(size)
    x = jnp.asarray(x)
    if fmt == "channels_first":
        x = jnp.moveaxis(x, 1, -1)
    spatial = "DHW"[3 - rank :]
    out = jax.lax.conv_general_dilated_patches(
        x,
        size,
        size if strides is None else tuplify(strides, rank, "strides"),
        padding.upper(),
        rhs_dilation=tuplify(dilation_rate, rank, "dilation_rate"),
        dimension_numbers=(f"N{spatial}C", f"OI{spatial}", f"N{spatial}C"),
    )
    # The patch axis comes out channel-major: reorder to (*size, channels).
    channels = x.shape[-1]
    out = out.reshape(*out.shape[:-1], channels, int(np.prod(size)))
    out = jnp.swapaxes(out, -1, -2).reshape(*out.shape[:-2], -1)
    return jnp.moveaxis(out, -1, 1) if fmt == "channels_first" else out


@op
def extract_patches(
    images: Tensor,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Array:
    """The ``size`` patches of ``images`` (2 ints or an int) or volumes (3 ints), each
    flattened into the channel axis: ``(batch, rows, cols, ph * pw * channels)``.

    Args:
        images: An image / volume, or a batch of them.
        size: The patch size.
        strides: Patch step (default: ``size``, non-overlapping).
        dilation_rate: Spacing of the sampled pixels within a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """
    size = tuplify(size, 2, "size") if isinstance(size, int) else tuple(size)
    if len(size) not in (2, 3):
        raise ValueError(f"`size` must have 2 or 3 entries, received {size!r}.")
    fmt = check_data_format(data_format)
    x = jnp.asarray(images)
    single = x.ndim == len(size) + 1
    out = _patches(x[None] if single else x, size, strides, dilation_rate, padding, fmt)
    return out[0] if single else out


@op
def extract_patches_3d(
    volumes: Tensor,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> Array:
    """The 3D patches of ``volumes`` (see :func:`extract_patches`)."""
    return extract_patches.__wrapped__(
        volumes, tuplify(size, 3, "size"), strides, dilation_rate, padding, data_format
    )


__all__ = exports(__name__)
