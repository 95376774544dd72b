"""The ``evaluate`` loop, also run by ``fit`` for its validation data.

In-memory data is placed once and evaluated by the eval runner: all batches in one
compiled loop, or one batch per call where the model must not loop (convolutions on
CPU) or a callback watches test batches. Iterables go batch by batch through the eval
step. Metric states are fresh for each evaluation; weights are read, never written.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import numpy as np

from kerax import random as _random
from kerax.callbacks import Callback, CallbackList
from kerax.training import data as _data
from kerax.training import devices as _devices
from kerax.training.batches import count_rows, flatten, host_batch, known_length
from kerax.training.checks import check_targets
from kerax.training.logs import LazyLogs, host_logs
from kerax.training.progbar import print_final


class Flat(NamedTuple):
    """``fit``'s in-memory validation data, flattened and checked once when it began
    (``validation_data`` as given, or the rows ``validation_split`` held out)."""

    xs: list
    ys: list
    sws: list


def evaluate(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    verbose: Any,
    sample_weight: Any,
    steps: int | None,
    callbacks: Sequence[Callback] | None,
) -> dict[str, float]:
    """Runs :meth:`kerax.Model.evaluate`; returns the logs."""
    started = time.perf_counter()
    if _data.is_in_memory(x):
        xs, ys, sws = flatten(model.graph, x, y, sample_weight)
        check_targets(model.graph, model._loss.losses, ys)
        model._fit_metrics_to(ys)
        n = count_rows(model.graph, xs, ys, sws)
        (xs, ys, sws), n = _data.first_steps((xs, ys, sws), n, batch_size, steps)
        steps = math.ceil(n / batch_size)
    else:
        steps = steps if steps is not None else known_length(x)
    cb = CallbackList(callbacks, model=model, epochs=1, steps=steps, verbose=verbose)
    cb.on_test_begin()
    if _data.is_in_memory(x):
        logs = arrays(model, xs, ys, sws, batch_size, cb)
    else:
        logs = iterable(model, x, steps, cb)
    cb.on_test_end(logs)
    print_final(steps, verbose, logs, started)
    return logs


def for_fit(
    model: Any, validation_data: Any, batch_size: int, steps: int | None, cb: CallbackList
) -> dict[str, float]:
    """Evaluates ``fit``'s validation data, calling the test hooks of ``fit``'s callbacks."""
    cb.on_test_begin()
    if isinstance(validation_data, Flat):  # in-memory data, checked when fit began
        n = count_rows(model.graph, *validation_data)
        flat, _ = _data.first_steps(validation_data, n, batch_size, steps)
        logs = arrays(model, *flat, batch_size, cb)
    else:
        logs = iterable(model, validation_data, steps, cb)
    cb.on_test_end(logs)
    return logs


def arrays(
    model: Any,
    xs: Sequence[Any],
    ys: Sequence[Any],
    sws: Sequence[Any],
    batch_size: int,
    cb: CallbackList,
) -> dict[str, float]:
    """Evaluates in-memory data placed on the device(s) once."""
    batch_size = _devices.rounded(batch_size)
    n = count_rows(model.graph, xs, ys, sws)
    rows, steps, order = _devices.resident_in_order((xs, ys, sws), n, batch_size)
    watched = cb.watches("on_test_batch_begin") or cb.watches("on_test_batch_end")
    looped = model._loops_well() and not watched
    programs = model._programs()
    run = programs.eval_runner(batch_size, looped)
    data = tuple(rows.groups)
    variables = _devices.place_variables(model.lowered.layout, model.get_variables())
    states = _devices.replicated(placeholder(programs.metrics))
    names = model.metrics_names
    key = _random.next_key()  # for layers that draw in inference
    if looped:
        states, results = run(variables, states, data, order, 0, steps, True, key)
    else:
        for i in range(steps):
            if watched:
                cb.on_test_batch_begin(i)
            states, results = run(variables, states, data, order, i, 1, i == 0, key)
            if watched:
                cb.on_test_batch_end(i, LazyLogs(names, results))
    model._adopt_metric_states(states)
    return host_logs(names, results)


def iterable(model: Any, data: Any, steps: int | None, cb: CallbackList) -> dict[str, float]:
    """Evaluates an iterable of batches, one batch per call."""
    programs = model._programs()
    step, results = programs.eval_step(), programs.results()
    key = _random.next_key()
    variables = _devices.place_variables(model.lowered.layout, model.get_variables())
    states = programs.metrics_init()()
    names = model.metrics_names
    watched = cb.watches("on_test_batch_begin") or cb.watches("on_test_batch_end")
    size = None
    for i, (bx, by, bsw) in enumerate(_data.iterate_batches(data)):
        if steps is not None and i >= steps:
            break
        batch, size = host_batch(model.graph, model._loss.losses, bx, by, bsw, size)
        if watched:
            cb.on_test_batch_begin(i)
        states = step(variables, states, batch, jax.random.fold_in(key, i))
        if watched:
            cb.on_test_batch_end(i, LazyLogs(names, results(states)))
    model._adopt_metric_states(states)
    return host_logs(names, results(states))


def placeholder(metrics: Any) -> Any:
    """Metric states of the right structure on the host, made without compiling
    anything (the runners reset them to the metrics' initial state on their first
    call)."""
    shapes = jax.eval_shape(metrics.init)
    return jax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype), shapes)
