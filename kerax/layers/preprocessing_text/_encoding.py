"""Turning vocabulary indices into Keras's ``one_hot`` / ``multi_hot`` / ``count`` /
``tf_idf`` outputs, on NumPy (host) and on JAX (device).

Indices outside ``[0, depth)`` (the dropped mask token is ``-1``) contribute nothing.
``multi_hot`` / ``count`` / ``tf_idf`` treat the last axis as one sample and replace it
with ``depth``: a rank-1 input is a single sample of shape ``(depth,)``, a rank-2 input
gives ``(batch, depth)``. ``one_hot`` encodes every element, squeezing a last axis of size 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

#: Index that marks a dropped element (the mask token outside ``"int"`` mode).
DROPPED = -1


def encode_numpy(
    layer: str,
    indices: np.ndarray,
    mode: str,
    depth: int,
    idf: np.ndarray | None,
) -> np.ndarray:
    """Encodes a dense array of indices on the host (float32 output)."""
    if indices.ndim == 0:
        indices = indices[None]
    if mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == np.arange(depth)).astype(np.float32)
    rows = indices.reshape(-1, indices.shape[-1])
    out = encode_rows_numpy(list(rows), mode, depth, idf)
    return out.reshape(*indices.shape[:-1], depth)


def encode_rows_numpy(
    rows: Sequence[np.ndarray], mode: str, depth: int, idf: np.ndarray | None
) -> np.ndarray:
    """Encodes ragged rows of indices, one sample per row: ``(len(rows), depth)``."""
    counts = np.zeros((len(rows), depth), np.float32)
    for i, row in enumerate(rows):
        row = np.asarray(row, np.int64).reshape(-1)
        row = row[(row >= 0) & (row < depth)]
        counts[i] = np.bincount(row, minlength=depth)[:depth]
    if mode == "multi_hot":
        return np.minimum(counts, 1.0)
    if mode == "tf_idf":
        assert idf is not None
        return counts * np.asarray(idf[:depth], np.float32)
    return counts


def encode_jax(
    layer: str,
    indices: jnp.ndarray,
    mode: str,
    depth: int,
    idf: np.ndarray | None,
) -> jnp.ndarray:
    """Encodes a dense array of indices with ``jax.numpy`` (traceable)."""
    if indices.ndim == 0:
        indices = indices[None]
    if mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == jnp.arange(depth)).astype(jnp.float32)
    counts = (indices[..., None] == jnp.arange(depth)).astype(jnp.float32).sum(axis=-2)
    if mode == "multi_hot":
        return jnp.minimum(counts, 1.0)
    if mode == "tf_idf":
        assert idf is not None
        return counts * jnp.asarray(idf[:depth], jnp.float32)
    return counts
