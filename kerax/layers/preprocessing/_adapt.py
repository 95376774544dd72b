"""Reading ``adapt`` data: an array, or an iterable of batches.

A batch may be an array or an ``(x, ...)`` tuple, of which ``x`` is used (what a
dataset of ``(x, y)`` pairs yields). Anything with ``__iter__`` that is not an array
counts as an iterable of batches (lists of arrays, generators, ``kerax.utils``
datasets, a ``tf.data.Dataset`` when TensorFlow is installed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax
import numpy as np


def is_array(data: Any) -> bool:
    return isinstance(data, np.ndarray | jax.Array | np.generic) or (
        hasattr(data, "__array__") and not hasattr(data, "__iter__")
    )


def _first(batch: Any) -> Any:
    return batch[0] if isinstance(batch, tuple) else batch


def batches(layer: str, data: Any) -> Iterator[np.ndarray]:
    """The batches of ``data`` as float NumPy arrays (one batch for an array).

    Raises:
        TypeError: If ``data`` is neither an array nor an iterable of batches.
        ValueError: If the iterable yields nothing.
    """
    if is_array(data):
        yield np.asarray(data)
        return
    if isinstance(data, str | bytes) or not hasattr(data, "__iter__"):
        raise TypeError(
            f"{layer}.adapt() expects a NumPy or JAX array or an iterable of batches (a "
            f"list of arrays, a generator, a dataset), received {type(data).__name__}."
        )
    empty = True
    for batch in data:
        empty = False
        yield np.asarray(_first(batch))
    if empty:
        raise ValueError(f"{layer}.adapt() received an empty iterable: it yielded no batch.")
