"""Dynamic loss scaling for float16 training (Keras's ``LossScaleOptimizer`` rule).

The loss is multiplied by ``scale`` before differentiation and the gradients divided by
it after, so small float16 gradients do not flush to zero. When a step's gradients are
not finite, the step is skipped and the scale halves; after ``period`` finite steps in a
row it doubles.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class LossScale(NamedTuple):
    """The state of dynamic loss scaling.

    Attributes:
        scale: The current factor (float32 scalar).
        good_steps: Finite steps since the last change.
    """

    scale: jax.Array
    good_steps: jax.Array


def init(initial_scale: float = 2.0**15) -> LossScale:
    """The starting state (Keras's default initial scale, 2**15)."""
    return LossScale(jnp.asarray(initial_scale, jnp.float32), jnp.zeros((), jnp.int32))


def all_finite(tree: Any) -> jax.Array:
    """Whether every leaf of ``tree`` is finite."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def unscale(grads: Any, state: LossScale) -> Any:
    """Divides the gradients by the current scale (in float32)."""
    return jax.tree_util.tree_map(lambda g: g.astype(jnp.float32) / state.scale, grads)


def adjust(
    state: LossScale, finite: jax.Array, period: int = 2000, factor: float = 2.0
) -> LossScale:
    """The state after a step whose gradients were ``finite`` (or not)."""
    grow = finite & (state.good_steps + 1 >= period)
    scale = jnp.where(
        finite,
        jnp.where(grow, state.scale * factor, state.scale),
        jnp.maximum(state.scale / factor, 1.0),
    )
    good = jnp.where(finite & ~grow, state.good_steps + 1, 0)
    return LossScale(scale, good.astype(jnp.int32))
