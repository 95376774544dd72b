"""The arguments of ``fit`` / ``evaluate`` / ``predict`` checked before anything runs.

Degenerate values get a ``ValueError`` that names the argument, never a made-up loss or
a NumPy / JAX error from deep inside: a ``batch_size`` that is not a positive integer,
data with no rows (``predict`` returns empty outputs of the right shapes instead, which
is a sensible answer), a ``validation_split`` that leaves no rows on one side, and
nested Python lists that hold ``None``.
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import numpy as np


def check_batch_size(value: Any, name: str = "batch_size") -> None:
    """``value`` must be None or a positive integer (not a bool)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"`{name}` must be a positive integer or None; received {value!r}.")


def rows(x: Any) -> int | None:
    """The number of rows of in-memory data (its first array's), or None."""
    leaves = [a for a in jax.tree_util.tree_leaves(x) if hasattr(a, "shape")]
    if not leaves or not leaves[0].shape:
        return None
    return int(leaves[0].shape[0])


def check_not_empty(model: Any, x: Any, what: str) -> None:
    """In-memory data for ``fit`` / ``evaluate`` must have rows."""
    if rows(x) == 0:
        raise ValueError(
            f"Model '{model.name}' received no data to {what} on: `x` has 0 rows. Pass at "
            "least one example."
        )


def check_validation_split(value: Any, n: int | None) -> None:
    """``validation_split`` must leave rows on both sides of the cut."""
    if not value:
        return
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"`validation_split` must be in (0, 1); received {value!r}.")
    if n is None:
        return
    cut = int(n * (1.0 - float(value)))
    if cut == 0 or cut == n:
        side = "training" if cut == 0 else "validation"
        raise ValueError(
            f"`validation_split={value}` of {n} examples leaves no {side} examples "
            f"({cut} for training, {n - cut} for validation). Use more data or another split."
        )


def check_nested_lists(x: Any) -> None:
    """Nested Python lists of numbers must not hold ``None`` (a missing value)."""
    if not isinstance(x, list | tuple) or not x or not isinstance(x[0], list | tuple):
        return
    for i, row in enumerate(x):
        if isinstance(row, list | tuple):
            try:
                values = np.ravel(np.asarray(row, dtype=object))
            except ValueError as err:
                raise ValueError(
                    f"`x` is a Python list whose entry {i} holds arrays of different shapes "
                    f"({', '.join(str(np.shape(v)) for v in row)}). A list is read as one "
                    "array per model input (or as rows of numbers), as in Keras. To pass "
                    "batches such as (x, y) tuples, pass a generator of them "
                    "(`(b for b in batches)`) or a `kerax.utils.PyDataset`."
                ) from err
            for j, value in enumerate(values):
                if value is None:
                    raise ValueError(
                        f"`x` is a nested list holding None at row {i} (element {j}); "
                        "data must be numbers. Replace missing values before training."
                    )


def empty_outputs(model: Any) -> Any:
    """``predict``'s answer for zero rows: empty arrays of the outputs' shapes."""
    specs = model.graph.output_specs
    flat = [np.zeros((0, *(d or 0 for d in s.shape[1:])), s.dtype) for s in specs]
    return model.graph.unflatten_outputs(flat)
