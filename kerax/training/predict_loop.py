"""The ``predict`` loop and ``predict_on_batch``.

Batches have a fixed size (the last one padded), so prediction compiles once for any
number of rows. Without a distribution, host batches go through the predict program;
under one, the inputs are placed once, split by rows, and each batch is gathered on the
device(s); with several processes each gets its own rows back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax import random as _random
from kerax.callbacks import Callback, CallbackList
from kerax.training import data as _data
from kerax.training import devices as _devices
from kerax.training.batches import count_rows, known_length
from kerax.training.progbar import print_final


def predict(
    model: Any,
    x: Any,
    *,
    batch_size: int,
    verbose: Any,
    steps: int | None,
    callbacks: Sequence[Callback] | None,
) -> Any:
    """Runs :meth:`kerax.Model.predict`; returns NumPy arrays nested as the outputs."""
    graph = model.graph
    started = time.perf_counter()
    if _data.is_in_memory(x):
        xs = _data.flatten_x(graph, x)
        n = count_rows(graph, xs)
        (xs,), n = _data.first_steps((xs,), n, batch_size, steps)
        steps = math.ceil(n / batch_size)
    else:
        steps = steps if steps is not None else known_length(x)
    cb = CallbackList(callbacks, model=model, epochs=1, steps=steps, verbose=verbose)
    cb.on_predict_begin()
    variables = _devices.place_variables(model.lowered.layout, model.get_variables())
    n_out = len(graph.outputs)
    if _data.is_in_memory(x):
        placed = _devices.distribution() is not None
        flat = (_resident if placed else _host_batches)(model, variables, xs, n, batch_size, cb)
    else:
        chunks: list[list[np.ndarray]] = []
        for i, (bx, _, _) in enumerate(_data.iterate_batches(x)):
            if steps is not None and i >= steps:
                break
            cb.on_predict_batch_begin(i)
            out = apply_local(model, variables, _data.flatten_x(graph, bx))
            cb.on_predict_batch_end(i, {"outputs": graph.unflatten_outputs(out)})
            chunks.append(out)
        flat = [np.concatenate([c[j] for c in chunks]) for j in range(n_out)]
    cb.on_predict_end()
    print_final(steps, verbose, {}, started)
    return graph.unflatten_outputs(flat)


def _host_batches(
    model: Any,
    variables: Any,
    xs: Sequence[Any],
    n: int,
    batch_size: int,
    cb: CallbackList,
) -> list[np.ndarray]:
    """``predict`` on one device: host batches of a fixed size (the last one padded),
    so one compile serves any number of rows."""
    graph = model.graph
    run = model._programs().predict_batch()
    key = _random.next_key()  # for layers that draw in inference: new numbers per call
    pieces = []
    for i, start in enumerate(range(0, n, batch_size)):
        batch = _data.pad_rows([a[start : start + batch_size] for a in xs], batch_size)
        rows = min(batch_size, n - start)
        cb.on_predict_batch_begin(i)
        out = run(variables, batch, key, i)
        if cb.watches("on_predict_batch_end"):
            out = [np.asarray(o)[:rows] for o in out]
            cb.on_predict_batch_end(i, {"outputs": graph.unflatten_outputs(out)})
        pieces.append((out, rows))
    return [
        np.concatenate([np.asarray(out[j])[:rows] for out, rows in pieces])
        for j in range(len(graph.outputs))
    ]


def _resident(
    model: Any,
    variables: Any,
    xs: Sequence[Any],
    n: int,
    batch_size: int,
    cb: CallbackList,
) -> list[np.ndarray]:
    """``predict`` under a distribution: the inputs placed once, split by rows, and
    each batch gathered on the device(s); this process gets its own rows back."""
    batch_size = _devices.rounded(batch_size)
    rows, steps, order = _devices.resident_in_order((xs,), n, batch_size)
    run = model._programs().predict_runner(batch_size)
    key = _random.next_key()
    outs = []
    for i in range(steps):
        cb.on_predict_batch_begin(i)
        outs.append(run(variables, rows.groups[0], order, i, key))
        cb.on_predict_batch_end(i, {"outputs": model.graph.unflatten_outputs(outs[-1])})
    return [
        np.concatenate([_devices.to_host(o[j]) for o in outs])[rows.local]
        for j in range(len(model.graph.outputs))
    ]


def apply_local(model: Any, variables: Any, xs: Sequence[Any]) -> list[np.ndarray]:
    """Applies the model to one host batch; returns the outputs for its rows (with
    several processes, for this process's rows). The batch is padded to split over
    the batch axis."""
    graph = model.graph
    n = count_rows(graph, xs)
    size = _devices.rounded(n, global_batch=False)
    padded = _data.pad_rows(xs, size) if size != n else list(xs)
    out, _ = model._jitted_apply(False)(variables, _devices.put_batch(padded), _random.next_key())
    return _devices.local_outputs(out, n)


def predict_on_batch(model: Any, x: Any) -> Any:
    """Runs :meth:`kerax.Model.predict_on_batch`."""
    variables = _devices.place_variables(model.lowered.layout, model.get_variables())
    flat = apply_local(model, variables, _data.flatten_x(model.graph, x))
    return model.graph.unflatten_outputs(flat)
