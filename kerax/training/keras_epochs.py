"""Compiled programs around a model's Keras-style step (:mod:`kerax.training.keras_loop`).

A user's ``train_step(state, data)`` is traced under a step context whose key is the
fit's base key folded with the step number, so randomness in the step differs from
step to step and is reproducible. Three programs wrap it:

* :meth:`StepPrograms.host` runs one step on a batch the caller passes (iterables of
  batches, ``train_on_batch``, evaluation and prediction);
* :meth:`StepPrograms.gathered` runs one step on the rows ``order[start:start + size]``
  of data already on the device (:class:`Resident`): in-memory data crosses to the
  device once per ``fit``, not once per batch;
* :meth:`StepPrograms.steps` runs ``count`` full batches in one call, a loop over the
  step whose trip count is traced (one compile for any count): a whole epoch when
  nothing needs the host between steps, chunks sized as for kerax's own step
  (:mod:`kerax.training.chunker`: ``steps_per_execution``, a live progress bar,
  callbacks that only observe batches) otherwise. It returns the last step's logs and
  the same state the one-step calls would reach.

Batches stay exact: the step only ever sees real rows; a short last batch is a separate
``gathered`` call with its own (static) size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.graph import step_context as _step_context
from kerax.models import keras_steps as _steps
from kerax.training import programs as _programs


def _is_none(a: Any) -> bool:
    return a is None


class NotLoopable(Exception):  # noqa: N818 - a signal, not an error the user sees
    """The step's output state does not have its input's leaves (shapes), so steps
    cannot be chained in a compiled loop; the caller runs one step per call instead."""


class NotTabled(NotLoopable):
    """Each step's logs were asked for, but they are not float32 scalars that fit one
    table; the caller runs one step per call for those observers."""


class Resident:
    """In-memory ``(x, y, sample_weight)`` on the device, placed once.

    Args:
        x: Inputs (an array or a list / dict of arrays).
        y: Targets, or None.
        sample_weight: Per-example weights, or None.
    """

    def __init__(self, x: Any, y: Any, sample_weight: Any) -> None:
        put = lambda a: None if a is None else jnp.asarray(np.asarray(a))  # noqa: E731
        self.tree = jax.tree_util.tree_map(put, (x, y, sample_weight), is_leaf=_is_none)


def _gather(tree: Any, idx: jax.Array) -> Any:
    """The batch of rows ``idx``, packed as a step receives it."""
    take = lambda a: None if a is None else jnp.take(a, idx, axis=0)  # noqa: E731
    parts = [jax.tree_util.tree_map(take, p, is_leaf=_is_none) for p in tree]
    return _steps.pack_data(*parts)


class Packed:
    """A step's logs as one device vector (every value a float32 scalar): reading them
    on the host is one transfer instead of one per value.

    Attributes:
        names: The logs' keys, sorted.
        values: The vector, in ``names`` order.
    """

    def __init__(self, names: tuple[str, ...], values: jax.Array) -> None:
        self.names, self.values = names, values

    def to_host(self) -> dict[str, float]:
        return dict(zip(self.names, np.asarray(self.values).tolist(), strict=True))


def _packed(logs: Any) -> Any:
    """``logs`` as one float32 vector plus its sorted keys (a trace-time decision), or
    unchanged when some value is not a float32 scalar."""
    if not isinstance(logs, dict) or not logs:
        return logs
    names = tuple(sorted(logs))
    values = [logs[k] for k in names]
    if not all(jnp.shape(v) == () and jnp.result_type(v) == jnp.float32 for v in values):
        return logs
    return names, jnp.stack([jnp.asarray(v, jnp.float32) for v in values])


class StepPrograms:
    """The jitted programs of one model step (``fn(state, data) -> (logs, state)``)."""

    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self._fn = fn
        self._host = jax.jit(self._run)
        self._gathered = jax.jit(self._run_gathered, static_argnames="size")
        self._names: dict[int, tuple[str, ...]] = {}
        self._steps = jax.jit(
            self._run_steps,
            static_argnames=("size", "rows"),
            compiler_options=_programs.loop_compiler_options(),
        )
        self.loopable = True
        self.tabled = True  # per-step logs fit a table (float32 scalars)

    # ------------------------------------------------------------------ traced
    def _run(self, state: Any, data: Any, key: Any, step: Any) -> Any:
        token = _step_context.ACTIVE.set(_step_context.StepContext(jax.random.fold_in(key, step)))
        try:
            return self._fn(state, data)
        finally:
            _step_context.ACTIVE.reset(token)

    def _run_gathered(
        self, state: Any, tree: Any, order: Any, start: Any, key: Any, step: Any, size: int
    ) -> Any:
        idx = jax.lax.dynamic_slice_in_dim(order, start, size)
        logs, state = self._run(state, _gather(tree, idx), key, step)
        packed = _packed(logs)
        if packed is logs:
            self._names.pop(size, None)
            return logs, state
        self._names[size] = packed[0]
        return packed[1], state

    def _run_steps(
        self, state: Any, tree: Any, order: Any, key: Any, step: Any, first: Any, count: Any,
        size: int, rows: int,
    ) -> Any:  # fmt: skip
        leaves, treedef = jax.tree_util.tree_flatten(state)

        def run(leaves: list[Any], i: Any) -> tuple[list[Any], Any]:
            state = jax.tree_util.tree_unflatten(treedef, leaves)
            idx = jax.lax.dynamic_slice_in_dim(order, (first + i) * size, size)
            logs, new = self._run(state, _gather(tree, idx), key, step + i)
            new_leaves = jax.tree_util.tree_leaves(new)
            if len(new_leaves) != len(leaves) or any(
                jnp.shape(n) != jnp.shape(o) for n, o in zip(new_leaves, leaves, strict=True)
            ):
                raise NotLoopable
            # Same leaves in the input's dtypes (a step may return weakly typed values).
            return [jnp.asarray(n, o.dtype) for n, o in zip(new_leaves, leaves, strict=True)], logs

        # The loop carries the last step's logs, so it needs their shapes first: an
        # abstract trace of the step (nothing compiles for it). The trip count is
        # traced, so one program serves a whole epoch and chunks of any size.
        shapes = jax.eval_shape(lambda lv: run(lv, jnp.int32(0))[1], leaves)
        logs0 = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        names = _packed(logs0)
        if rows and names is logs0:
            raise NotTabled
        # With ``rows``, each step's packed logs fill a row of a table (observers that
        # read every batch's logs get them after the call).
        table0 = jnp.zeros((rows, len(names[0])) if rows else (0,), jnp.float32)

        def body(i: Any, carry: tuple[list[Any], Any, Any]) -> tuple[list[Any], Any, Any]:
            leaves, logs = run(carry[0], i)
            table = carry[2]
            if rows:
                table = table.at[i].set(_packed(logs)[1])
            return leaves, logs, table

        leaves, logs, table = jax.lax.fori_loop(0, count, body, (leaves, logs0, table0))
        packed = _packed(logs)
        if packed is not logs:
            self._names[-1] = packed[0]
            logs = packed[1]
        return logs, jax.tree_util.tree_unflatten(treedef, leaves), table

    # ------------------------------------------------------------------ calls
    def host(self, state: Any, data: Any, key: Any, step: int) -> Any:
        """One step on ``data`` (host or device arrays)."""
        return self._host(state, data, key, np.int32(step))

    def gathered(
        self, state: Any, data: Resident, order: jax.Array, start: int, size: int, key: Any,
        step: int,
    ) -> Any:  # fmt: skip
        """One step on rows ``order[start:start + size]`` of ``data``; its logs come as
        :class:`Packed` when they are float32 scalars."""
        logs, state = self._gathered(
            state, data.tree, order, np.int32(start), key, np.int32(step), size=size
        )
        if isinstance(logs, jax.Array) and size in self._names:
            logs = Packed(self._names[size], logs)
        return logs, state

    def steps(
        self, state: Any, data: Resident, order: jax.Array, size: int, first: int, count: int,
        key: Any, step: int, rows: int = 0,
    ) -> Any:  # fmt: skip
        """``count`` steps over batches ``first .. first + count - 1`` of ``size`` rows of
        ``order``, numbered ``step, step + 1, ...``, in one call; returns the last step's
        logs (:class:`Packed` when they are float32 scalars), the state the one-step
        calls would reach, and, with ``rows`` (at least ``count``), each step's logs as
        a list of dicts (else None).

        Raises:
            NotLoopable: the step's output state does not match its input's shapes
                (``self.loopable`` becomes False), or ``rows`` was asked of logs that
                are not float32 scalars (``self.tabled`` becomes False); nothing ran.
        """
        try:
            logs, state, table = self._steps(
                state, data.tree, order, key, np.int32(step), np.int32(first), np.int32(count),
                size=size, rows=rows,
            )  # fmt: skip
        except NotTabled:
            self.tabled = False
            raise
        except NotLoopable:
            self.loopable = False
            raise
        per_step = None
        if isinstance(logs, jax.Array) and -1 in self._names:
            logs = Packed(self._names[-1], logs)
            if rows:
                names = self._names[-1]
                per_step = [dict(zip(names, r, strict=True)) for r in np.asarray(table)[:count]]
        return logs, state, per_step


def full_batches(rows: int, batch_size: int, steps: int) -> tuple[int, int]:
    """``(full, short)`` of an epoch of ``steps`` batches: how many full batches, and
    the size of a last, short batch among the steps (0 if none)."""
    steps = min(steps, math.ceil(rows / batch_size))
    full = min(steps, rows // batch_size)
    return full, (rows - full * batch_size if steps > full else 0)
