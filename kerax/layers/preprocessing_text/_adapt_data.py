"""The data ``adapt`` accepts: one array (or list), or an iterable of batches."""

from __future__ import annotations

from typing import Any

import numpy as np


def is_batch_iterable(data: Any) -> bool:
    """Whether ``adapt`` should treat ``data`` as an iterable of batches (a generator,
    a dataset) rather than as one array."""
    if isinstance(data, list | tuple | np.ndarray | str | bytes):
        return False
    return hasattr(data, "__iter__") and not hasattr(data, "__array__")


def array_batches(data: Any, batch_size: int | None, steps: int | None, layer: str) -> list[Any]:
    """Splits array ``data`` into ``batch_size`` rows (all of it when ``None``); with
    ``steps``, the first ``steps`` batches."""
    if steps is not None and batch_size is None:
        raise ValueError(
            f"{layer}.adapt: `steps` counts batches; with array data pass `batch_size` too "
            f"(received steps={steps}, batch_size=None), or pass an iterable of batches."
        )
    if batch_size is None or np.ndim(data) == 0:
        return [data]
    if batch_size < 1:
        raise ValueError(f"{layer}.adapt: `batch_size` must be positive; received {batch_size}.")
    n = len(data)
    batches = [data[i : i + batch_size] for i in range(0, n, batch_size)] or [data]
    return batches if steps is None else batches[:steps]
