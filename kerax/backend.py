"""Session utilities, under Keras's names."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from kerax import _naming
from kerax._settings import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string"}


def clear_session() -> None:
    """Resets the default layer and model names (``dense``, ``dense_1``, ...)."""
    _naming.reset()


def backend() -> str:
    """The array backend: always ``"jax"``."""
    return "jax"


def standardize_dtype(dtype: Any) -> str:
    """A dtype as Keras names it: a string such as ``"float32"``; ``None`` is
    :func:`floatx`, Python's ``int`` / ``float`` / ``bool`` are ``"int32"`` /
    ``"float32"`` / ``"bool"``.

    Raises:
        ValueError: For something that is not a dtype.
    """
    if dtype is None:
        return floatx()
    if isinstance(dtype, type) and dtype in _PYTHON_DTYPES:
        return _PYTHON_DTYPES[dtype]
    if isinstance(dtype, str) and dtype in ("int", "float"):
        return {"int": "int32", "float": "float32"}[dtype]
    try:
        if not isinstance(dtype, type):
            dtype = getattr(dtype, "dtype", dtype)
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating dtype (``bfloat16`` included)."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes: Any) -> str:
    """The dtype that arrays of ``dtypes`` combine to, by JAX's promotion rules (which
    Keras follows); Python scalars' types are weak. No dtypes give :func:`floatx`.
    """
    if not dtypes:
        return floatx()
    standard = [
        d if isinstance(d, type) and d in _PYTHON_DTYPES else standardize_dtype(d) for d in dtypes
    ]
    return np.dtype(jnp.result_type(*standard)).name


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor of a functional graph (``Input`` or a layer's
    output), not an array."""
    from kerax.graph.symbolic import KerasTensor

    return isinstance(x, KerasTensor)


def get_uid(prefix: str = "") -> int:
    """Counts the calls with ``prefix``: 1, 2, ... . Default layer names share the count
    (after one ``Dense``, ``get_uid("dense")`` is 2); ``clear_session`` resets it."""
    _naming._COUNTS[prefix] += 1
    return _naming._COUNTS[prefix]
