"""The image layout the image ops compute in: a channels-last batch.

Images are ``(height, width, channels)`` or batches ``(batch, height, width,
channels)``; ``data_format="channels_first"`` puts channels before height instead.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from kerax.ops._core import check_data_format


def batched(images: Any, data_format: Any) -> tuple[Any, str, bool]:
    """``images`` as a channels-last batch, the format, and whether it was one image."""
    fmt = check_data_format(data_format)
    x = jnp.asarray(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"Expected an image (rank 3) or a batch (rank 4), got shape {x.shape}.")
    single = x.ndim == 3
    x = x[None] if single else x
    return (jnp.moveaxis(x, 1, -1) if fmt == "channels_first" else x), fmt, single


def restore(x: Any, fmt: str, single: bool) -> Any:
    """Inverse of :func:`batched` (channel-like axes after the spatial ones stay put)."""
    if fmt == "channels_first":
        x = jnp.moveaxis(x, 3, 1)
    return x[0] if single else x
