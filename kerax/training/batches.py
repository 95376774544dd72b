"""Host batches: one batch of user data, checked, padded to a fixed size and placed.

Iterables of batches and the ``*_on_batch`` calls hand the programs one batch at a
time. Every batch of a loop is padded to the size of the first (padding rows are
masked out of losses and metrics), so a short last batch does not recompile.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax.graph.ir import Graph
from kerax.training import checks as _checks
from kerax.training import data as _data
from kerax.training import devices as _devices
from kerax.training import steps as _steps


def named(
    graph: Graph, xs: Sequence[Any], ys: Sequence[Any], sws: Sequence[Any]
) -> list[tuple[str, Any]]:
    """The arrays with the names errors use (``x['input']``, ``y['output']``, ...)."""
    return (
        [(f"x['{n}']", a) for n, a in zip(graph.input_names, xs)]
        + [(f"y['{n}']", a) for n, a in zip(graph.output_names, ys)]
        + [(f"sample_weight['{n}']", a) for n, a in zip(graph.output_names, sws)]
    )


def count_rows(
    graph: Graph, xs: Sequence[Any], ys: Sequence[Any] = (), sws: Sequence[Any] = ()
) -> int:
    """The common number of rows of the arrays; a ValueError naming the model and the
    arrays that differ otherwise."""
    return _data.count_samples(named(graph, xs, ys, sws), model=graph.name)


def flatten(graph: Graph, x: Any, y: Any, sample_weight: Any) -> tuple[list, list, list]:
    """Inputs, targets and sample weights as flat lists in the graph's order."""
    return (
        _data.flatten_x(graph, x),
        _data.flatten_y(graph, y),
        _data.flatten_y(graph, sample_weight, "sample_weight"),
    )


def host_batch(
    graph: Graph, losses: Sequence[Any], x: Any, y: Any, sw: Any, size: int | None
) -> tuple[_steps.Batch, int]:
    """One batch on the device(s), padded to ``size`` rows (the batch's own row count,
    rounded to split over the batch axis, when ``size`` is None); returns it and its
    size.

    Raises:
        ValueError: If the data does not fit the model, or the batch has more rows
            than ``size``.
    """
    xs, ys, sws = flatten(graph, x, y, sw)
    n = count_rows(graph, xs, ys, sws)
    _checks.check_targets(graph, losses, ys)
    size = size or _devices.rounded(n, global_batch=False)
    if n > size:
        raise ValueError(f"A batch of {n} examples follows batches of {size}.")
    valid = np.zeros(size, np.float32)
    valid[:n] = 1.0
    pad = lambda arrs: _devices.put_batch(_data.pad_rows(arrs, size))  # noqa: E731
    return _steps.Batch(pad(xs), pad(ys), pad(sws), _devices.put_batch([valid])[0]), size


def known_length(data: Any) -> int | None:
    """The number of batches of an iterable that knows it (a list, a Sequence), else
    None."""
    try:
        return len(data)
    except TypeError:
        return None
