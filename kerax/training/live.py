"""The train state and its binding to the layer objects.

Between fits a model keeps the parts of its train state that are not weights: the
optimizer state, the loss scale, the RNG key and the step count (the weights live in
the layers' value cells). :func:`start` assembles a :class:`TrainState` from those and
the current weights; :func:`bind` makes it the *live* value of every layer of the
model, so a callback (or another model sharing the layers) that reads a weight during
``fit`` sees the current step's value, and a write lands in the state. :func:`unbind`
hands the final arrays back by reference. Nothing is copied per step.

When something goes wrong, nothing is lost: the programs do not donate the train
state, so the state a failing call started from is intact, and :func:`unbind` during
an exception (:func:`recover`) hands the layers the latest state that is intact: the
state after the last completed step. :func:`rewind_to_finite` is ``TerminateOnNaN``'s
way back to the last finite weights.
"""

from __future__ import annotations

import sys
from typing import Any

import jax
import jax.numpy as jnp

from kerax import random as _random
from kerax.training import devices as _devices
from kerax.training.state import TrainState, merge, split


class LiveState:
    """The live train state of a fit: a :class:`TrainState`, or its leaves, and the
    states before the latest steps.

    A loop that runs one step per call keeps the state as a flat list of arrays
    (``flat`` / ``advance_flat``), which JAX's dispatch passes in and out of a program
    at about half the cost of the nested ``TrainState``; whoever reads ``model._ts`` in
    between (a callback reading a weight, a learning-rate change) gets the
    ``TrainState``, rebuilt from the leaves on that first read only.

    The programs do not donate the train state, so the state a call started from is
    still intact when the call fails; :meth:`advance` keeps the last ``depth`` of them
    (references, no copies) for :func:`recover` and :func:`rewind_to_finite`.
    """

    __slots__ = ("_ts", "_leaves", "_treedef", "_rng", "_past", "depth")

    def __init__(self, ts: TrainState) -> None:
        self._ts: TrainState | None = ts
        self._leaves: list[Any] | None = None
        self._treedef: Any = None
        self._rng: Any = None
        self._past: list[tuple[TrainState | None, list[Any] | None]] = []
        self.depth = 1

    def get(self) -> TrainState:
        if self._ts is None:
            self._ts, self._leaves = self._rebuild(self._leaves), None
        return self._ts

    def _rebuild(self, leaves: list[Any]) -> TrainState:
        ts = jax.tree_util.tree_unflatten(self._treedef, leaves)
        return ts._replace(rng=self._rng)

    def set(self, ts: TrainState) -> None:
        """Replaces the state (an edit, not a step: nothing is kept)."""
        self._ts, self._leaves = ts, None

    def advance(self, ts: TrainState) -> None:
        """The state after a step (or a chunk of steps); the one before is kept."""
        self._keep()
        self._ts, self._leaves = ts, None

    def flat(self) -> tuple[list[Any], Any, Any]:
        """``(leaves, treedef, rng)``: the state without its key, flattened."""
        if self._leaves is None:
            ts = self.get()
            self._rng = ts.rng
            self._leaves, self._treedef = jax.tree_util.tree_flatten(ts._replace(rng=None))
            self._ts = None
        return self._leaves, self._treedef, self._rng

    def advance_flat(self, leaves: list[Any]) -> None:
        """New leaves of the same structure (what a flat program returned), after a
        step; the state before it is kept."""
        self._keep()
        self._leaves, self._ts = leaves, None

    def _keep(self) -> None:
        if self.depth:
            self._past.append((self._ts, self._leaves))
            del self._past[: -self.depth]

    def past(self) -> list[TrainState]:
        """The kept states before the latest steps, the most recent first."""
        return [ts if ts is not None else self._rebuild(leaves) for ts, leaves in self._past[::-1]]

    def rewind(self, ts: TrainState) -> None:
        """Goes back to ``ts`` (one of :meth:`past`, or a replayed state); forgets the
        kept states."""
        self._past.clear()
        self.set(ts)


class Live:
    """The value cell binding of a model's layers to its live train state."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def read(self, layer: Any) -> dict[str, dict[str, Any]]:
        key = self.model.lowered.layout.key(layer)
        ts = self.model._ts
        return {"params": ts.params.get(key, {}), "state": ts.state.get(key, {})}

    def write(self, layer: Any, collection: str, name: str, value: Any) -> None:
        key = self.model.lowered.layout.key(layer)
        ts = self.model._ts
        tree = dict(getattr(ts, collection))
        tree[key] = {**tree[key], name: value}
        self.model._ts = ts._replace(**{collection: tree})


def start(model: Any) -> TrainState:
    """A train state over the model's current weights and its kept training state."""
    rebind = getattr(model.optimizer, "_rebind", None)
    if rebind is not None:  # an optimizer stepped by hand before compile hands over its state
        rebind()
    variables = _devices.place_variables(model.lowered.layout, model.lowered.layout.current())
    if model._rng is None:
        model._rng = _random.next_key()
    programs = model._programs()
    if model._opt_state is not None and model.__dict__.get("_opt_state_mask") not in (
        None,
        programs.trainable_mask,
    ):
        raise ValueError(
            f"Model '{model.name}': the trainable weights changed since the optimizer state "
            "was made (a layer's `trainable` was set, or `enable_lora` was called, after "
            "training). Call `compile()` again so the optimizer covers the new set of "
            "weights, as Keras requires."
        )
    ts = programs.train_state()(variables, _devices.place_rng(model._rng), model._opt_state)
    if model._loss_scale is not None and ts.loss_scale is not None:
        ts = ts._replace(loss_scale=model._loss_scale)
    if model._step is not None:
        ts = ts._replace(step=model._step)
    return ts


def bind(model: Any, ts: TrainState) -> None:
    """Makes ``ts`` the live value of the model's layers."""
    model._ts = unalias(ts)
    live = Live(model)
    for layer in model.lowered.layout.layers:
        layer._live = live


def unbind(model: Any) -> None:
    """Ends the binding: the final weights become the layers' values (by reference) and
    the rest of the state is kept for the next fit. Called while an exception
    propagates (from a ``finally``), it first recovers the state (:func:`recover`)."""
    if sys.exc_info()[0] is not None:
        recover(model)
    ts = model._ts
    if ts is None:
        return
    for layer in model.lowered.layout.layers:
        layer._live = None
    keep(model, ts)
    model._ts = None


def holder(model: Any) -> LiveState | None:
    """The model's :class:`LiveState` during ``fit`` / ``train_on_batch``, else None."""
    return model.__dict__.get("_live_state")


def intact(tree: Any) -> bool:
    """Whether every array of ``tree`` exists and was computed without error (waits
    for the ones still being computed)."""
    try:
        for leaf in jax.tree_util.tree_leaves(tree):
            if isinstance(leaf, jax.Array):
                if leaf.is_deleted():
                    return False
                leaf.block_until_ready()
    except Exception:  # an asynchronous device error surfaces here
        return False
    return True


def recover(model: Any) -> None:
    """After an exception: makes the live state the latest intact one (the current
    state, else the kept ones before it). When none is intact (an error the device
    reported only after several further steps were queued), the binding ends without
    storing anything, so the layers keep the weights they had before the call."""
    state = holder(model)
    if state is None:
        return
    for ts in (state.get(), *state.past()):
        if intact(ts):
            state.rewind(ts)
            return
    for layer in model.lowered.layout.layers:
        layer._live = None
    model._ts = None


def keep_past(model: Any, depth: int) -> None:
    """Keeps (at least) the states before the last ``depth`` steps of this fit."""
    state = holder(model)
    if state is not None:
        state.depth = max(state.depth, depth)


def rewind_to_finite(model: Any) -> bool:
    """Goes back to the most recent kept state whose weights and layer state are all
    finite; returns whether there was one."""
    state = holder(model)
    if state is None:
        return False
    for ts in state.past():
        if _finite(ts.params, ts.state):
            state.rewind(ts)
            return True
    return False


def replace(model: Any, ts: TrainState) -> None:
    """Makes ``ts`` (a restored state) the live state, forgetting the kept ones."""
    holder(model).rewind(unalias(ts))


def _finite(*trees: Any) -> bool:
    leaves = [x for x in jax.tree_util.tree_leaves(trees) if jnp.issubdtype(x.dtype, jnp.inexact)]
    return bool(_all_finite(leaves)) if leaves else True


@jax.jit
def _all_finite(leaves: list[Any]) -> jax.Array:
    return jnp.all(jnp.stack([jnp.isfinite(x).all() for x in leaves]))


def keep(model: Any, ts: TrainState) -> None:
    """Stores ``ts`` as the model's state between fits."""
    model.lowered.layout.store({"params": ts.params, "state": ts.state})
    model._opt_state, model._loss_scale = ts.opt_state, ts.loss_scale
    # The trainable set of the programs that made ``ts`` (not ``_programs()``, which
    # would rebuild them for a set a callback changed during the fit).
    model.__dict__["_opt_state_mask"] = model._compiled_programs.trainable_mask
    model._rng, model._step = ts.rng, ts.step


def finalize_ema(model: Any) -> None:
    """With ``use_ema``, the weights become their moving average at the end of fit."""
    opt = model.optimizer
    if model._ts is None or not getattr(opt, "use_ema", False):
        return
    ts = model._ts
    trained, frozen = split(ts.params, model.lowered.layout.trainable_mask())
    averaged = opt.finalize_variable_values(trained, ts.opt_state)
    model._ts = ts._replace(params=merge(averaged, frozen))


def opt_state(model: Any) -> Any:
    """The optimizer state: the live one during ``fit``, else the kept one."""
    return model._ts.opt_state if model._ts is not None else model._opt_state


def set_learning_rate(model: Any, value: Any) -> None:
    """Writes the learning rate into the optimizer state (live and kept): an injected
    hyper-parameter, so nothing recompiles."""

    def with_rate(state: Any) -> Any:
        hyper = dict(state.hyperparams)
        hyper["learning_rate"] = jnp.asarray(value, jnp.asarray(hyper["learning_rate"]).dtype)
        return state._replace(hyperparams=hyper)

    if model._ts is not None and hasattr(model._ts.opt_state, "hyperparams"):
        model._ts = model._ts._replace(opt_state=with_rate(model._ts.opt_state))
    if model._opt_state is not None and hasattr(model._opt_state, "hyperparams"):
        model._opt_state = with_rate(model._opt_state)


def unalias(tree: Any) -> Any:
    """Copies arrays that appear twice in ``tree``, so that donating it is legal (kerax's
    programs do not donate the train state; a loop of your own around
    :func:`~kerax.training.make_train_step` may)."""
    seen: set[int] = set()

    def once(x: Any) -> Any:
        if isinstance(x, jax.Array):
            if id(x) in seen:
                return jnp.copy(x)
            seen.add(id(x))
        return x

    return jax.tree_util.tree_map(once, tree)
