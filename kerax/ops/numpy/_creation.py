"""Creation ops: filled, ranged and structured arrays, window functions, copies."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op
from kerax.ops.numpy._make import define, direct, unary

define(globals(), unary, {"copy": "copy"})
define(
    globals(),
    direct,
    [
        "arange",
        "bartlett",
        "blackman",
        "diag",
        "diagflat",
        "empty",
        "empty_like",
        "eye",
        "full",
        "full_like",
        "geomspace",
        "hamming",
        "hanning",
        "identity",
        "kaiser",
        "linspace",
        "logspace",
        "meshgrid",
        "ones",
        "ones_like",
        "tri",
        "tril",
        "triu",
        "vander",
        "zeros",
        "zeros_like",
    ],
)


@op
def array(x: Tensor, dtype: Any = None) -> Array:
    """``x`` as an array of ``dtype``."""
    return jnp.array(x, dtype=dtype)


__all__ = exports(__name__)
