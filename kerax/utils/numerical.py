"""Array helpers: ``to_categorical``."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encodes integer labels: shape ``(..., num_classes)``, float32.

    Raises:
        ValueError: If a label is negative or not below ``num_classes``.
    """
    x = np.asarray(x).astype(int)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x[..., 0]
    num_classes = int(x.max()) + 1 if num_classes is None else num_classes
    if x.size and (x.min() < 0 or x.max() >= num_classes):
        raise ValueError(
            f"Labels must be in [0, {num_classes}); received labels in [{x.min()}, {x.max()}]."
        )
    return np.eye(num_classes, dtype=np.float32)[x]


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scales ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
