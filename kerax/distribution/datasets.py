"""One process's share of a global dataset (what ``Distribution.distribute_dataset``
returns): consecutive blocks of rows, of in-memory arrays or of each batch of an
iterable."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import jax
import numpy as np


def process_share(dataset: Any, shares: int, index: int) -> Any:
    """Share ``index`` of ``shares`` of ``dataset``.

    Args:
        dataset: In-memory data (an array, or a tuple / list / dict of them), or an
            iterable of batches.
        shares: How many shares the data is cut into.
        index: Which share to return, from 0.

    Returns:
        For in-memory data, rows ``[start, stop)`` of every array, the blocks as
        ``np.array_split`` makes them (the first ones a row longer when the rows do not
        divide). For an iterable, an iterable of each batch's block ``index``.

    Raises:
        ValueError: If arrays have different numbers of rows, or a batch's rows do not
            divide by ``shares``.
        TypeError: If ``dataset`` is neither, or holds a scalar.
    """
    from kerax.training.data import is_in_memory  # kerax.training imports this package

    if is_in_memory(dataset):
        n = _rows(dataset)
        start = index * (n // shares) + min(index, n % shares)
        stop = start + n // shares + (index < n % shares)
        return _take(dataset, start, stop)
    if isinstance(dataset, Iterable):
        return _BatchShares(dataset, shares, index)
    raise TypeError(
        "distribute_dataset takes arrays (or a tuple / list / dict of arrays) or an "
        f"iterable of batches; received {type(dataset).__name__}."
    )


def _is_group(x: Any) -> bool:
    """Whether ``x`` groups arrays: a dict, or a list / tuple holding arrays, dicts or
    None, or one NumPy cannot make a plain array of. A list of lists of numbers is one
    array."""
    if isinstance(x, Mapping):
        return True
    if not isinstance(x, list | tuple):
        return False
    if any(v is None or isinstance(v, np.ndarray | jax.Array | Mapping) for v in x):
        return True
    try:
        return np.asarray(x).dtype == object
    except ValueError:  # ragged
        return True


def _leaves(x: Any) -> list[Any]:
    if x is None:
        return []
    if isinstance(x, Mapping):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    if _is_group(x):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


def _rows(x: Any) -> int:
    shapes = [np.shape(leaf) for leaf in _leaves(x)]
    if any(not shape for shape in shapes):
        raise TypeError(
            "distribute_dataset cuts arrays by rows; received a scalar (shapes "
            f"{shapes}). Give arrays with one row per example, or an iterable of batches."
        )
    counts = {int(shape[0]) for shape in shapes}
    if len(counts) > 1:
        raise ValueError(
            f"The arrays of the dataset have different numbers of rows: {sorted(counts)}. "
            "Give arrays with one row per example."
        )
    return counts.pop() if counts else 0


def _take(x: Any, start: int, stop: int) -> Any:
    if x is None:
        return None
    if isinstance(x, Mapping):
        return type(x)({k: _take(v, start, stop) for k, v in x.items()})
    if _is_group(x):
        parts = [_take(v, start, stop) for v in x]
        return type(x)(*parts) if hasattr(x, "_fields") else type(x)(parts)
    if isinstance(x, np.ndarray | jax.Array):
        return x[start:stop]
    return np.asarray(x)[start:stop]


class _BatchShares:
    """Iterates ``source`` and yields block ``index`` of ``shares`` of every batch."""

    def __init__(self, source: Iterable[Any], shares: int, index: int) -> None:
        self.source, self.shares, self.index = source, shares, index

    def __iter__(self) -> Iterator[Any]:
        for batch in self.source:
            n = _rows(batch)
            if n % self.shares:
                raise ValueError(
                    f"A batch of {n} rows does not split into {self.shares} equal shares, "
                    "one per process (or model replica). Use a global batch size that "
                    f"divides by {self.shares}."
                )
            size = n // self.shares
            yield _take(batch, self.index * size, (self.index + 1) * size)
