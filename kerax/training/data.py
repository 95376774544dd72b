"""Turning what users pass to ``fit`` / ``evaluate`` / ``predict`` into flat arrays.

In-memory data (NumPy or JAX arrays, lists, dicts keyed by input / output names) is
flattened in the model's input and output order, checked, and placed on the device
once. Iterables of batches (generators, ``tf.data``-like objects) are consumed batch
by batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.graph.ir import Graph


def is_in_memory(x: Any) -> bool:
    """Whether ``x`` is arrays (or a list / dict of arrays), not an iterable of batches."""
    if isinstance(x, np.ndarray | jax.Array):
        return True
    if isinstance(x, Mapping):
        return all(is_in_memory(v) for v in x.values())
    if isinstance(x, list | tuple):
        return (
            all(is_in_memory(v) or np.isscalar(v) for v in x)
            and (not x or not np.isscalar(x[0]))
            or _looks_numeric(x)
        )
    return False


def _looks_numeric(x: Any) -> bool:
    try:
        arr = np.asarray(x)
    except Exception:
        return False
    return arr.dtype != object


def _array(value: Any, what: str) -> np.ndarray | jax.Array:
    if isinstance(value, jax.Array):
        return value
    arr = np.asarray(value)
    if arr.dtype == object:
        raise TypeError(f"Could not convert {what} to an array: received {type(value).__name__}.")
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    if arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    return arr


def flatten_x(graph: Graph, x: Any) -> list[Any]:
    """The inputs as arrays, in the graph's input order."""
    flat = graph.flatten_inputs(x)
    names = graph.input_names
    return [_array(v, f"input '{names[i]}'") for i, v in enumerate(flat)]


def flatten_y(graph: Graph, y: Any, what: str = "y") -> list[Any]:
    """Targets (or per-output sample weights) as arrays, in the graph's output order.

    Accepts one array for a one-output model, a list in output order, or a dict keyed by
    output names (missing outputs get None).
    """
    names = graph.output_names
    n = len(names)
    if y is None:
        return [None] * n
    if isinstance(y, Mapping):
        unknown = [k for k in y if k not in names]
        if unknown:
            raise ValueError(
                f"`{what}` has key(s) {unknown} that are not output names of model "
                f"'{graph.name}'. Output names: {names}."
            )
        return [
            None if y.get(name) is None else _array(y[name], f"{what}['{name}']") for name in names
        ]
    if isinstance(y, list | tuple) and n > 1:
        if len(y) != n:
            raise ValueError(
                f"Model '{graph.name}' has {n} outputs {names}, but `{what}` is a list of "
                f"{len(y)} arrays."
            )
        return [None if v is None else _array(v, f"{what}[{i}]") for i, v in enumerate(y)]
    if n == 1:
        if isinstance(y, list | tuple) and len(y) == 1 and is_in_memory(y[0]):
            y = y[0]
        return [_array(y, what)]
    return [_array(y, what)] * n


def count_samples(arrays: Sequence[tuple[str, Any]]) -> int:
    """The common number of examples; raises ValueError naming the arrays that differ."""
    sizes = {name: int(np.shape(a)[0]) for name, a in arrays if a is not None and np.ndim(a) > 0}
    if not sizes:
        raise ValueError("No data was given: `x` is empty.")
    if len(set(sizes.values())) > 1:
        listing = ", ".join(f"{name}: {size}" for name, size in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous: all arrays must have the same number of "
            f"samples. Received sizes {listing}."
        )
    return next(iter(sizes.values()))


def class_weights_to_sample_weights(y: Any, class_weight: Mapping[int, float]) -> np.ndarray:
    """Per-example weights from ``class_weight`` and labels (integer or one-hot)."""
    y = np.asarray(y)
    if len(y) == 0:  # e.g. a process with no rows of its own
        return np.zeros(0, np.float32)
    labels = np.argmax(y, -1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(int)
    table = np.ones(max(int(labels.max()) + 1, max(class_weight) + 1), np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


def to_device(arrays: Sequence[Any]) -> list[Any]:
    """Places arrays on the default device once (None entries stay None)."""
    return [None if a is None else jnp.asarray(a) for a in arrays]


def take(arrays: Sequence[Any], idx: np.ndarray) -> list[Any]:
    return [None if a is None else a[idx] for a in arrays]


def iterate_batches(data: Iterable[Any]) -> Iterator[tuple[Any, Any, Any]]:
    """Yields ``(x, y, sample_weight)`` from an iterable of batches."""
    for batch in data:
        if (
            isinstance(batch, tuple | list)
            and len(batch) in (1, 2, 3)
            and not (len(batch) > 0 and np.isscalar(batch[0]))
        ):
            x = batch[0]
            y = batch[1] if len(batch) > 1 else None
            sw = batch[2] if len(batch) > 2 else None
        else:
            x, y, sw = batch, None, None
        yield x, y, sw


def pad_rows(arrays: Sequence[Any], size: int) -> list[Any]:
    """Pads each array's first axis to ``size`` rows with zeros."""
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        a = np.asarray(a)
        extra = size - a.shape[0]
        out.append(
            a if extra == 0 else np.concatenate([a, np.zeros((extra, *a.shape[1:]), a.dtype)])
        )
    return out
