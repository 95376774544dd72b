"""The train state: everything that changes during training, in one pytree."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax

Tree = dict[str, dict[str, Any]]


class TrainState(NamedTuple):
    """The whole mutable state of training, passed into and out of the jitted step.

    Attributes:
        params: Every trainable-kind variable, ``{layer key: {weight: array}}``; frozen
            layers' entries are carried unchanged.
        state: Non-trainable variables (BatchNorm statistics), same keying.
        opt_state: The optax state, over the trained subset of ``params``.
        metrics: ``{log name: metric state}``, reset at each epoch.
        step: Number of train steps taken (across fits).
        rng: The base PRNG key; step ``i`` draws from ``fold_in(rng, i)``.
        loss_scale: Dynamic loss-scaling state when a layer computes in float16,
            else None (:mod:`kerax.training.loss_scale`).
    """

    params: Tree
    state: Tree
    opt_state: Any
    metrics: dict[str, Any]
    step: jax.Array
    rng: jax.Array
    loss_scale: Any = None


def split(params: Tree, mask: dict[str, dict[str, bool]]) -> tuple[Tree, Tree]:
    """Splits ``params`` into the trained part and the frozen part by ``mask``."""
    trained: Tree = {}
    frozen: Tree = {}
    for key, weights in params.items():
        flags = mask.get(key, {})
        t = {n: v for n, v in weights.items() if flags.get(n, False)}
        f = {n: v for n, v in weights.items() if not flags.get(n, False)}
        if t:
            trained[key] = t
        if f or not t:  # a layer without params (all its weights are state) keeps its key
            frozen[key] = f
    return trained, frozen


def merge(trained: Tree, frozen: Tree) -> Tree:
    """The inverse of :func:`split`."""
    out: Tree = {k: dict(v) for k, v in frozen.items()}
    for key, weights in trained.items():
        out.setdefault(key, {}).update(weights)
    return out
