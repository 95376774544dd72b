"""Product ops: matrix, inner, outer, Kronecker, tensor and cross products, Einstein
sums and correlation."""

from __future__ import annotations

from kerax.ops._core import exports
from kerax.ops.numpy._make import binary, define, direct

define(
    globals(),
    binary,
    {
        "dot": "dot",
        "inner": "inner",
        "kron": "kron",
        "matmul": "matmul",
        "outer": "outer",
        "vdot": "vdot",
    },
)
define(globals(), direct, ["correlate", "cross", "einsum", "tensordot"])

__all__ = exports(__name__)
