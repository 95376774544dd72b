"""Tensor specs and shape inference with symbolic dimensions.

A :class:`TensorSpec` is what a symbolic tensor knows about itself: a shape whose
unknown dimensions (the batch, variable lengths) are ``None``, and a dtype. Shape
inference runs a layer's pure ``apply`` under :func:`jax.eval_shape`, with every
``None`` replaced by a symbolic dimension (``jax.export.symbolic_shape``), so nothing
is computed and the batch size never leaks into the graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax import export

Shape = tuple[int | None, ...]


def canonical_dtype(dtype: Any) -> str:
    """Returns the canonical name of ``dtype`` (``"float32"``, ``"int32"``, ...).

    Text dtypes (``"string"``, ``str``, NumPy's ``U`` / ``S`` kinds) are ``"string"``,
    as in Keras: only inputs that feed a host-only layer carry them.
    """
    if dtype is None:
        return "float32"
    if isinstance(dtype, str) and dtype in ("float", "int", "bool"):
        dtype = {"float": "float32", "int": "int32", "bool": "bool"}[dtype]
    if dtype in ("string", str, bytes):
        return "string"  # Keras's name for text, whatever its NumPy width or encoding
    dt = np.dtype(dtype)
    return "string" if dt.kind in "US" else dt.name


@dataclasses.dataclass(frozen=True, slots=True)
class TensorSpec:
    """The static description of a tensor: a shape with ``None`` for unknown dims.

    Attributes:
        shape: One entry per axis; ``None`` marks a dimension unknown until run time.
        dtype: The canonical dtype name.
    """

    shape: Shape
    dtype: str = "float32"

    def __post_init__(self) -> None:
        shape = tuple(None if d is None else int(d) for d in self.shape)
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "dtype", canonical_dtype(self.dtype))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @classmethod
    def from_value(cls, value: Any) -> TensorSpec:
        """The spec of a concrete array or a ``jax.ShapeDtypeStruct``."""
        shape = tuple(d if isinstance(d, int) else None for d in np.shape(value))
        dtype = getattr(value, "dtype", None)
        if dtype is None:
            dtype = np.asarray(value).dtype
        return cls(shape, dtype)


# One symbolic dimension per axis position, shared by all tensors of one inference,
# so that two inputs of shape (None, 8) are known to agree on their batch size.
_AXIS_SYMBOLS = ("batch",) + tuple(f"d{i}" for i in range(1, 12))


def abstract(specs: Any) -> Any:
    """Maps a pytree of :class:`TensorSpec` to ``jax.ShapeDtypeStruct`` with symbols."""
    symbols = export.symbolic_shape(", ".join(_AXIS_SYMBOLS))

    def one(spec: TensorSpec) -> jax.ShapeDtypeStruct:
        if spec.ndim > len(symbols):
            raise ValueError(f"Tensors of rank {spec.ndim} are not supported.")
        shape = tuple(symbols[i] if d is None else d for i, d in enumerate(spec.shape))
        return jax.ShapeDtypeStruct(shape, spec.dtype)

    return jax.tree_util.tree_map(one, specs, is_leaf=lambda x: isinstance(x, TensorSpec))


def concrete(structs: Any) -> Any:
    """Maps a pytree of abstract values back to :class:`TensorSpec` (symbols -> None)."""

    def one(struct: Any) -> TensorSpec:
        return TensorSpec.from_value(struct)

    return jax.tree_util.tree_map(one, structs)


def infer(fn: Callable[..., Any], *args: Any) -> Any:
    """Runs ``fn`` under ``jax.eval_shape`` and returns the output :class:`TensorSpec` s.

    Leaves of ``args`` that are :class:`TensorSpec` become symbolic abstract values;
    ``jax.ShapeDtypeStruct`` leaves pass through.
    """
    return concrete(jax.eval_shape(fn, *abstract(args)))


def format_shapes(specs: Sequence[TensorSpec] | TensorSpec) -> str:
    """Formats specs as Keras prints shapes: ``(None, 32)``."""
    if isinstance(specs, TensorSpec):
        return str(specs.shape)
    return ", ".join(str(s.shape) for s in specs)
