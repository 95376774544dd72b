"""The ``fit`` loop: epochs, chunks of steps, callbacks, validation, history.

In-memory data is placed on the device(s) once; each epoch draws an order (a small
int32 vector) and calls the train runner on chunks of steps, as
:class:`~kerax.training.chunker.Chunker` sizes them; batches are gathered on the
device. Iterables are consumed batch by batch through the one-step program. The train
state is live for the whole fit (:mod:`kerax.training.live`), and the host waits for
the device only where something reads a value: a progress refresh, a callback that
reads its logs, the end of an epoch.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from kerax import config as _config
from kerax.callbacks import Callback, CallbackList, History, ProgbarLogger
from kerax.training import data as _data
from kerax.training import devices as _devices
from kerax.training import evaluate_loop as _evaluate
from kerax.training import live as _live
from kerax.training.batches import count_rows, flatten, host_batch
from kerax.training.checks import check_targets, check_validation_data
from kerax.training.chunker import FREE, OBSERVED, SYNCED, Chunker
from kerax.training.logs import LazyLogs, host_logs, host_rows
from kerax.training.progbar import counting_from


class ArrayData:
    """In-memory training data, placed once: ``rows``, its ``batches`` per pass over
    the data and the ``steps`` of an epoch (the batches, unless ``steps_per_epoch``
    or the global step cap says otherwise: see :func:`epoch_schedule`)."""

    def __init__(self, model: Any, xs: list, ys: list, sws: list, batch_size: int) -> None:
        n = count_rows(model.graph, xs, ys, sws)
        self.rows = _devices.resident((xs, ys, sws), n)
        self.groups = tuple(self.rows.groups)
        self.batches = math.ceil(len(self.rows.index) / batch_size)
        self.steps = self.batches


def warn_ran_out(stacklevel: int) -> None:
    """Keras's warning for an epoch that reached the end of its data short of its
    ``steps_per_epoch`` (``stacklevel`` names the user's ``fit`` call)."""
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your "
        "dataset or generator can generate at least `steps_per_epoch * epochs` "
        "batches. You may need to use the `.repeat()` function when building "
        "your dataset.",
        stacklevel=stacklevel,
    )


def epoch_schedule(
    epoch: int, steps: int, batches: int, initial_epoch: int = 0
) -> tuple[int, int, int]:
    """``(pass, start, count)`` of ``epoch`` on in-memory data of ``batches`` batches
    per pass, ``steps`` per epoch, as Keras's epoch iterator reads arrays: the epochs
    take consecutive batches of one pass over the data (one order, shuffled once per
    pass); an epoch that reaches the end of a pass ends there, short when fewer than
    ``steps`` batches were left (Keras warns that the input ran out), and the next
    epoch starts a new pass. With ``steps == batches`` every epoch is one pass.

    A fit starts its first pass at ``initial_epoch``, as Keras's iterator does; the
    pass is numbered from there (``initial_epoch`` + the passes since), the seed of its
    order, so a resumed fit replays the same batches."""
    passes, start = initial_epoch, 0
    for _ in range(epoch - initial_epoch):
        start += min(steps, batches - start)
        if start == batches:
            passes, start = passes + 1, 0
    return passes, start, min(steps, batches - start)


def split_validation(
    model: Any, xs: list, ys: list, sws: list, validation_split: float
) -> tuple[tuple[list, list, list], tuple[list, list, list]]:
    """``(train, validation)``: the last ``validation_split`` of the rows held out."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be in (0, 1), received {validation_split}.")
    n = count_rows(model.graph, xs, ys, sws)
    cut = int(n * (1.0 - validation_split))
    head, tail = np.arange(cut), np.arange(cut, n)
    train = (_data.take(xs, head), _data.take(ys, head), _data.take(sws, head))
    return train, (_data.take(xs, tail), _data.take(ys, tail), _data.take(sws, tail))


def prepare_arrays(
    model: Any,
    x: Any,
    y: Any,
    sample_weight: Any,
    class_weight: dict[int, float] | None,
    validation_split: float,
    validation_data: Any,
    batch_size: int,
) -> tuple[ArrayData, Any]:
    """Checks, flattens and places in-memory data; returns it and the validation data."""
    xs, ys, sws = flatten(model.graph, x, y, sample_weight)
    if class_weight is not None:
        if len(ys) != 1:
            raise ValueError("`class_weight` is only supported for models with one output.")
        sws = [_data.class_weights_to_sample_weights(ys[0], class_weight)]
    check_targets(model.graph, model._loss.losses, ys)
    model._fit_metrics_to(ys)
    if validation_split and validation_data is None:
        (xs, ys, sws), held_out = split_validation(model, xs, ys, sws, validation_split)
        validation_data = _evaluate.Flat(*held_out)
    return ArrayData(model, xs, ys, sws, batch_size), validation_data


def watch_mode(cb: CallbackList) -> str:
    """Who watches the training batches (see :mod:`kerax.training.chunker`)."""
    if not cb.watches_training_batches():
        return FREE
    return OBSERVED if cb.observes_batches() else SYNCED


def fit_callbacks(
    model: Any, callbacks: Sequence[Callback] | None, epochs: int, steps: Any, verbose: int
) -> tuple[CallbackList, History]:
    """The callbacks of a fit: the user's, a progress bar when ``verbose`` and the
    user gave none, and the ``History`` that ``fit`` returns."""
    history = History()
    given = list(callbacks or [])
    bar = verbose and not any(isinstance(c, ProgbarLogger) for c in given)
    cbs = [*given, *([ProgbarLogger(verbose)] if bar else []), history]
    return CallbackList(cbs, model=model, epochs=epochs, steps=steps, verbose=verbose), history


def fit(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    epochs: int,
    verbose: int,
    callbacks: Sequence[Callback] | None,
    validation_split: float,
    validation_data: Any,
    shuffle: bool,
    class_weight: dict[int, float] | None,
    sample_weight: Any,
    initial_epoch: int,
    steps_per_epoch: int | None,
    validation_steps: int | None,
    validation_batch_size: int | None,
    validation_freq: int,
) -> History:
    """Runs :meth:`kerax.Model.fit` (arguments as there, already defaulted)."""
    epochs, steps_per_epoch = _config.capped_fit(epochs, steps_per_epoch)
    validation_steps = _config.capped_steps(validation_steps)
    # In-memory validation data is checked and flattened once, before any step.
    flat = check_validation_data(model.graph, model._loss.losses, validation_data)
    if flat is not None:
        validation_data = _evaluate.Flat(*flat)
    dist = _devices.distribution()
    if dist is not None:
        dist.check_batch_size(batch_size)
    data = None
    if _data.is_in_memory(x):
        data, validation_data = prepare_arrays(
            model,
            x,
            y,
            sample_weight,
            class_weight,
            validation_split,
            validation_data,
            batch_size,
        )
    if data is not None and steps_per_epoch:  # given, or the global cap
        data.steps = steps_per_epoch
    steps = data.steps if data is not None else steps_per_epoch

    cb, history = fit_callbacks(model, callbacks, epochs, steps, verbose)

    model.stop_training = False
    model._resume_epoch = None
    if model._order_seed is None:
        model._order_seed = _devices.new_order_seed()
    # The first epoch's time counts from here: creating the weights and the optimizer
    # state compiles, as the first step does (see ``progbar.counting_from``).
    started = time.time()
    _live.bind(model, _live.start(model))
    logs: dict[str, float] | None = None
    try:
        cb.on_train_begin()
        if model._resume_epoch is not None:  # set by BackupAndRestore
            initial_epoch = max(initial_epoch, model._resume_epoch)
        epoch_runner = (
            _ArrayEpochs(model, data, cb, batch_size, verbose, shuffle, epochs, initial_epoch)
            if data
            else None
        )
        for epoch in range(initial_epoch, epochs):
            with counting_from(started) if epoch == initial_epoch else contextlib.nullcontext():
                cb.on_epoch_begin(epoch)
            if epoch_runner is not None:
                logs = epoch_runner.run(epoch)
            else:
                logs = _iterable_epoch(model, x, cb, steps_per_epoch, shuffle, class_weight)
            if validation_data is not None and (epoch + 1 - initial_epoch) % validation_freq == 0:
                val = _evaluate.for_fit(
                    model,
                    validation_data,
                    validation_batch_size or batch_size,
                    validation_steps,
                    cb,
                )
                logs.update({f"val_{k}": v for k, v in val.items()})
            cb.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        if epochs > initial_epoch:
            _live.finalize_ema(model)
        cb.on_train_end(logs)
    finally:
        _live.unbind(model)
    return history


#: Models with at least this many weights start ``fit`` warm: the epoch runner (a
#: compiled loop over the steps) compiles on a background thread while the first steps
#: run one per call of the one-step program, so the first step waits for the one-step
#: compile only. The two programs give the
#: same numbers, bit for bit (tested), so when the switch happens changes nothing
#: but the time. Smaller models compile their loop quickly enough that the second
#: compile would cost more than it saves.
WARM_START_WEIGHTS = 48


def warm_start_pays() -> bool:
    """Whether a background compile has a core to itself: on an accelerator (the host
    is idle while the steps run) or a CPU of at least 4 cores. On 2 cores it competes
    with the steps it runs beside, and a short fit ends later than with the loop
    compiled first (measured: a 10-epoch fit of a 200-layer MLP, 16.5 s against 12.4 s)
    although its first step comes sooner."""
    if WARM_START is not None:
        return WARM_START
    return jax.default_backend() != "cpu" or (os.cpu_count() or 1) >= 4


#: Forces the warm start on (True) or off (False); None decides by :func:`warm_start_pays`.
WARM_START: bool | None = None

_PENDING = "pending"  # the background compile starts after the first step
_ONE_STEP = "one step"  # a fit of one step: no epoch runner


class _ArrayEpochs:
    """The epochs of a fit on in-memory data.

    The per-step path (a callback that acts between steps) is kept lean: the
    arguments of a call other than the train state are device arrays built once (the
    batch index comes back from the previous call, already on the device), the
    results come back as one vector when they pack (one transfer when a hook reads
    them), and nothing else runs between two calls but the hooks.
    """

    def __init__(
        self,
        model: Any,
        data: ArrayData,
        cb: CallbackList,
        batch_size: int,
        verbose: int,
        shuffle: bool,
        epochs: int = 1,
        initial_epoch: int = 0,
    ) -> None:
        self.model, self.data, self.cb = model, data, cb
        self.initial = initial_epoch
        self.batch_size, self.verbose, self.shuffle = batch_size, verbose, shuffle
        self.names = model.metrics_names
        self.programs = model._programs()
        self.looped = model._loops_well()
        self.watch = watch_mode(cb)
        self.chunk = Chunker(
            data.steps, self.looped, model._steps_per_execution, verbose, self.watch
        )
        # Observers that read their logs get each step's, read back once per chunk.
        self.per_step = self.watch == OBSERVED and self.chunk.looped and cb.reads_batch_logs()
        if self.per_step:
            capacity = min(data.steps, data.batches)  # the most steps one epoch runs
            self.runner = self.programs.train_logged_runner(batch_size, capacity)
        else:
            self.runner = self.programs.train_runner(batch_size, self.chunk.looped)
        self.order: jax.Array | None = None
        self.order_pass: int | None = None  # the pass over the data ``order`` is for
        self.count = data.steps  # this epoch's steps (fewer at the end of a pass)
        # The scalar arguments, on the device once (a Python scalar is transferred
        # on every call): the first batch index, a one-step count, the reset flags.
        zero, one, true, false = _devices.replicated(
            (np.int32(0), np.int32(1), np.bool_(True), np.bool_(False))
        )
        self.zero, self.one, self.reset = zero, one, {True: true, False: false}
        self.warm = self._warm_start(epochs - initial_epoch)

    def _warm_start(self, epochs: int) -> Any:
        """The warm start of a large model's fit (see :data:`WARM_START_WEIGHTS`):
        :data:`_PENDING` when the first steps run one per call of the one-step program
        while the epoch runner compiles in the background (started after the first
        step), the background compile's future when one is under way or done for
        these shapes, None when the epoch runner is used from the start."""
        if not warm_start_pays() or not self.chunk.looped or _devices.distribution() is not None:
            return None
        layers = self.model.lowered.layout.layers
        if sum(len(layer._weight_specs) for layer in layers) < WARM_START_WEIGHTS:
            return None
        shapes = tuple((a.shape, a.dtype) for a in jax.tree_util.tree_leaves(self.data.groups))
        # The runner is already this batch size's (and this logging's): the data's
        # shapes and the order's length are what its compiled form depends on.
        self.warm_key = (self.data.steps, shapes)
        future = self.runner.background.get(self.warm_key)
        if future is None and epochs * self.data.steps <= 1:
            return _ONE_STEP  # one step in all: the epoch runner is not needed
        return _PENDING if future is None else future

    def _warming(self) -> bool:
        """Whether the next call runs one step of the one-step program (the epoch
        runner is still compiling, or not needed)."""
        warm = self.warm
        if warm is None:
            return False
        if warm is _PENDING or warm is _ONE_STEP or not warm.done():
            return True
        if warm.exception() is None:
            self.runner.use(warm.result())
        self.warm = None
        return False

    def run(self, epoch: int) -> dict[str, float]:
        model, data = self.model, self.data
        npass, first, self.count = epoch_schedule(epoch, data.steps, data.batches, self.initial)
        if self.order is None or (self.shuffle and npass != self.order_pass):
            # Each pass's order depends only on the model's order seed and the pass
            # (the epoch, when an epoch is a pass), so a fit resumed from a checkpoint
            # replays it exactly.
            rng = np.random.default_rng([model._order_seed, npass]) if self.shuffle else None
            padded = data.batches * self.batch_size
            self.order = _devices.epoch_order(data.rows.index, rng, padded)
            self.order_pass = npass
        self.first = self.zero if first == 0 else _devices.replicated(np.int32(first))
        results = self._synced() if self.watch == SYNCED else self._chunked()
        if self.count < data.steps:
            warn_ran_out(stacklevel=5)  # here, run, fit_loop.fit, Model.fit, the user
        if results is None:  # stopped before the epoch's first step
            programs = self.programs
            model._ts = model._ts._replace(metrics=programs.metrics_init()())
            results = programs.results()(model._ts.metrics)
        model._adopt_metric_states(model._ts.metrics)
        return host_logs(self.names, results)

    def _synced(self) -> Any:
        """One step per call, the batch hooks around each (the chunker gives one step
        per call here); returns the last results."""
        model, cb, chunk, names = self.model, self.cb, self.chunk, self.names
        run, groups, order, one = self.runner, self.data.groups, self.order, self.one
        steps, progress = self.count, self.verbose == 1
        ends = cb.watches("on_train_batch_end")
        start, reset, keep = self.first, self.reset[True], self.reset[False]
        # The state passes as flat leaves; a hook that reads ``model._ts`` gets it
        # rebuilt (see live.LiveState).
        state = model.__dict__["_live_state"]
        done, results = 0, None
        while done < steps and not model.stop_training:
            cb.on_train_batch_begin(done)
            # The runner resets the metrics on an epoch's first call and returns
            # their results (no separate compiles for either).
            leaves, treedef, key = state.flat()
            leaves, results, start = run.flat(
                leaves, treedef, key, groups, order, start, one, reset
            )
            state.advance_flat(leaves)
            reset = keep
            if ends:
                cb.on_train_batch_end(done, LazyLogs(names, results))
            done += 1
            if progress and chunk.report_due():
                cb.progress(done, host_logs(names, results))
        return results

    def _chunked(self) -> Any:
        """Calls of as many steps as the chunker sizes them; observers' hooks after each
        call. Returns the last results."""
        model, data, cb, chunk = self.model, self.data, self.cb, self.chunk
        hooks = self.watch != FREE
        start, reset = self.first, self.reset[True]
        state = model.__dict__["_live_state"]
        done, results = 0, None
        while done < self.count and not model.stop_training:
            count = min(chunk.next(done), self.count - done)
            run, looped = self.runner, chunk.looped
            if self._warming():
                count, looped = 1, False
                run = self.programs.train_runner(self.batch_size, False)
            elif count > 1 and not looped:  # steps_per_execution, unrolled
                run = self.programs.train_runner(self.batch_size, False, count)
            # A loop takes its step count (traced); an unrolled call ignores it.
            steps = count if looped else self.one
            before, first, first_reset = model._ts, start, reset
            out = run(before, data.groups, self.order, start, steps, reset)
            if self.warm is _PENDING:  # the first step is on its way: compile the loop
                # For arguments like the next calls' (a state the runners made, whose
                # leaves' weak types may differ from a fresh state's; any Python int
                # count traces alike).
                self.warm = self.runner.compile_in_background(
                    out[0], data.groups, self.order, out[-1], 2, self.reset[False]
                )
                self.runner.background[self.warm_key] = self.warm
            state.advance(out[0])
            results, start = out[1], out[-1]
            reset = self.reset[False]
            if hooks:
                try:
                    rows = out[2] if self.per_step and looped else None
                    self._observed(done, count, results, rows)
                except BaseException:
                    self._rewind(before, first, first_reset, count, looped)
                    raise
            if self.verbose == 1 and chunk.report_due():
                cb.progress(done + count, host_logs(self.names, results))
            elif chunk.adaptive:
                jax.block_until_ready(results)
            done += count
            chunk.measured(count)
        return results

    def _observed(self, start: int, count: int, results: Any, rows: Any) -> None:
        """Calls the observers' batch hooks for the steps of a finished chunk.

        ``self.applied`` counts the chunk's steps a hook has let stand: when a hook
        raises, the steps after the one it ran for are undone (see :meth:`_rewind`).
        """
        cb, names = self.cb, self.names
        per_step = None if rows is None else host_rows(names, rows, count)
        ends = cb.watches("on_train_batch_end")
        self.applied = 0
        for k in range(count):
            cb.on_train_batch_begin(start + k)  # raising here: step k does not happen
            self.applied = k + 1
            if ends:
                logs = LazyLogs(names, results) if per_step is None else per_step[k]
                cb.on_train_batch_end(start + k, logs)

    def _rewind(self, before: Any, first: Any, reset: Any, count: int, looped: bool) -> None:
        """An observer's hook raised after a chunk of ``count`` steps had run: the model
        goes back to the state after the step the hook ran for, as if the hook had run
        between the steps. The chunk's starting state ``before`` is intact (nothing is
        donated), so the state is replayed from it with the same program (the same
        numbers, bit for bit); the normal path pays nothing for this."""
        steps = self.applied
        if steps == count:
            return
        state = self.model.__dict__["_live_state"]
        if steps == 0:
            state.rewind(before)
            return
        data, order = self.data.groups, self.order
        if looped:
            ts = self.runner(before, data, order, first, steps, reset)[0]
        else:  # one unrolled step at a time
            ts, one = before, self.programs.train_runner(self.batch_size, False)
            for _ in range(steps):
                ts, _, first = one(ts, data, order, first, self.one, reset)
                reset = self.reset[False]
        state.rewind(ts)


def _iterable_epoch(
    model: Any,
    data: Any,
    cb: CallbackList,
    steps_per_epoch: int | None,
    shuffle: bool = False,
    class_weight: dict[int, float] | None = None,
) -> dict[str, float]:
    """One epoch over an iterable of batches, one step per batch (a ``PyDataset``'s
    batches in a random order with ``shuffle``; ``class_weight`` applied per batch)."""
    programs = model._programs()
    names = model.metrics_names
    model._ts = model._ts._replace(metrics=programs.metrics_init()())
    watched = cb.watches_training_batches()
    # Hooks that take logs get them from the step's own program.
    ends = cb.watches("on_train_batch_end")
    step = programs.train_step_results() if ends else programs.train_step()
    state = model.__dict__["_live_state"]
    iterator = model.__dict__.get("_fit_iterator")
    if iterator is None or iterator[0] is not data:
        iterator = (data, iter(_data.iterate_batches(data, shuffle)))
    it = iterator[1]
    size = None
    i = 0
    while steps_per_epoch is None or i < steps_per_epoch:
        try:
            bx, by, bsw = next(it)
        except StopIteration:
            if steps_per_epoch is None:
                # A re-iterable (a list of batches) starts over next epoch.
                iterator = (data, iter(_data.iterate_batches(data, shuffle)))
                break
            raise ValueError(
                f"The data ran out after {i} batches, but `steps_per_epoch` is {steps_per_epoch}."
            ) from None
        if class_weight is not None:
            bsw = _batch_class_weights(model, by, bsw, class_weight)
        if size is not None and _batch_rows(bx) > size:
            size = None  # a shuffled PyDataset may serve its short batch first
        batch, size = host_batch(model.graph, model._loss.losses, bx, by, bsw, size)
        if watched:
            cb.on_train_batch_begin(i)
        if ends:
            ts, results = step(model._ts, batch)
            state.advance(ts)
            cb.on_train_batch_end(i, LazyLogs(names, results))
        else:
            state.advance(step(model._ts, batch))
        i += 1
        if model.stop_training:
            break
    model.__dict__["_fit_iterator"] = iterator
    model._adopt_metric_states(model._ts.metrics)
    return host_logs(names, programs.results()(model._ts.metrics))


def _batch_rows(x: Any) -> int:
    leaves = [a for a in jax.tree_util.tree_leaves(x) if hasattr(a, "shape") and a.shape]
    return int(leaves[0].shape[0]) if leaves else 0


def _batch_class_weights(model: Any, y: Any, sample_weight: Any, class_weight: Any) -> Any:
    """The per-example weights ``class_weight`` gives one batch's targets."""
    if sample_weight is not None:
        raise ValueError(
            "`class_weight` and batches that carry their own sample weights cannot be "
            "combined: give one or the other."
        )
    if y is None:
        raise ValueError("`class_weight` needs targets, but a batch has none.")
    ys = _data.flatten_y(model.graph, y)
    if len(ys) != 1:
        raise ValueError("`class_weight` is only supported for models with one output.")
    return _data.class_weights_to_sample_weights(ys[0], class_weight)
