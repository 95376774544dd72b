"""Label-encoding ops: one-hot and multi-hot encodings of integer classes."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op


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


__all__ = exports(__name__)
