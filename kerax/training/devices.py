"""Where training's arrays live: variables, resident datasets, epoch orders, batches.

Without a distribution everything goes to the default device. Under one (see
:mod:`kerax.distribution`), variables are placed by their layouts, in-memory datasets
are placed once (split by rows over the batch axis, or copied to every device when
small), and host batches are split over the batch axis; with several processes, each
passes its own rows and process 0's values win where all must agree (weights, keys,
seeds). Nothing here compiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from kerax import random as _random
from kerax.distribution import placement as _placement
from kerax.distribution import runtime as _runtime
from kerax.graph.layout import Layout
from kerax.training import data as _data
from kerax.training import steps as _steps


def distribution() -> Any:
    """The current :class:`kerax.distribution.Distribution`, or None."""
    from kerax.distribution import distribution as current

    return current()


def place_variables(layout: Layout, variables: Any) -> Any:
    """Puts variables where the current distribution wants them (no-op without one).
    Layouts are checked here, before anything compiles. With several processes,
    process 0's values are used everywhere."""
    dist = distribution()
    if dist is None:
        return variables
    variables = _runtime.from_first_process(variables)
    shardings: dict[str, dict[str, dict[str, Any]]] = {"params": {}, "state": {}}
    for layer in layout.layers:
        key = layout.key(layer)
        for spec in layer._weight_specs:
            path = f"{layer.name}/{spec.name}"
            sharding = dist.variable_layout(path, spec.shape).sharding()
            shardings[spec.collection].setdefault(key, {})[spec.name] = sharding
    for collection in ("params", "state"):
        for key, weights in variables[collection].items():
            shardings[collection].setdefault(key, {})
            for name in weights:
                shardings[collection][key].setdefault(name, dist.replicated())
    return jax.device_put(variables, shardings)


def place_rng(rng: jax.Array) -> jax.Array:
    """The train state's key, the same on every device (process 0's)."""
    dist = distribution()
    if dist is None:
        return rng
    key_data = _runtime.from_first_process(jax.random.key_data(rng))
    return jax.random.wrap_key_data(_placement.place_replicated(dist, key_data))


def resident(groups: Sequence[Sequence[Any]], n: int) -> _placement.Rows:
    """Places in-memory data on the device(s) once: split by rows over the batch axis
    under a distribution (with several processes, ``groups`` are this process's rows;
    see :mod:`kerax.distribution.placement`)."""
    dist = distribution()
    if dist is None:
        placed = [_data.to_device(g) for g in groups]
        return _placement.Rows(placed, np.arange(n, dtype=np.int32), slice(0, n))
    return _placement.place_rows(dist, groups, n)


def epoch_order(index: np.ndarray, rng: np.random.Generator | None, padded: int) -> jax.Array:
    """An epoch's order over the placed rows ``index``, on the device(s)."""
    order = _steps.epoch_order(rng, len(index), padded, index=index)
    dist = distribution()
    return jax.device_put(order) if dist is None else _placement.place_replicated(dist, order)


def resident_in_order(
    groups: Sequence[Sequence[Any]], n: int, batch_size: int
) -> tuple[_placement.Rows, int, jax.Array]:
    """Placed data, its number of batches, and its unshuffled (padded) order: what
    evaluation and prediction run over."""
    rows = resident(groups, n)
    steps = math.ceil(len(rows.index) / batch_size)
    return rows, steps, epoch_order(rows.index, None, steps * batch_size)


def put_batch(arrays: Sequence[Any]) -> list[Any]:
    """One host batch on the device(s): split over the batch axis under a
    distribution (with several processes, ``arrays`` are this process's part)."""
    dist = distribution()
    if dist is None:
        return _data.to_device(arrays)
    return _placement.place_batch(dist, arrays)


def rounded(size: int, global_batch: bool = True) -> int:
    """``size`` rounded up to split over the batch axis: a multiple of the number of
    shards (``global_batch``), or of this process's share of them. Evaluation and
    prediction do not depend on how rows are grouped (padding rows are masked), so
    they round up instead of refusing."""
    dist = distribution()
    if dist is None:
        return size
    m = dist.num_batch_shards if global_batch else _placement.local_shards(dist)
    return -(-size // m) * m


def batch_constraint() -> Callable[[jax.Array], jax.Array] | None:
    """Inside a program: split a gathered batch over the batch axis (None without a
    distribution)."""
    dist = distribution()
    if dist is None:
        return None
    return lambda a: jax.lax.with_sharding_constraint(a, dist.batch_sharding(a.ndim))


def replicated(tree: Any) -> Any:
    """``tree`` on the device(s), the same everywhere."""
    dist = distribution()
    if dist is None:
        return jax.device_put(tree)
    return _placement.place_replicated(dist, tree)


def new_order_seed() -> int:
    """A seed for the epochs' example orders (process 0's, under several processes)."""
    seed = np.asarray(_random.next_seed(), np.uint32)
    return int(_runtime.from_first_process(seed))


def local_outputs(outputs: Any, n: int) -> list[np.ndarray]:
    """This process's first ``n`` rows of each output, on the host."""
    return [_placement.local_rows(o)[:n] for o in jax.tree_util.tree_leaves(outputs)]


def to_host(array: Any) -> np.ndarray:
    """An output array's rows on the host (this process's, under several processes)."""
    return _runtime.to_host(array)
