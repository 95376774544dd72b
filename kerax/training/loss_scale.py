"""Loss scaling: a constant factor, or dynamic scaling for float16 training.

The loss is multiplied by a scale before differentiation and the gradients divided by
it after, so small float16 gradients do not flush to zero.

* A constant factor is an optimizer's ``loss_scale_factor``.
* Dynamic scaling (Keras's ``LossScaleOptimizer`` rule) starts at a large scale; when a
  step's gradients are not finite, the step is skipped and the scale halves; after
  ``period`` finite steps in a row it doubles. kerax turns it on for a model with a
  float16 layer, or for a ``LossScaleOptimizer``. Its state lives in the train state.

What a train step does is described by a :class:`LossScaleConfig`, which the
transformation of a kerax optimizer carries (:func:`config_of` reads it).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp


class LossScaleConfig(NamedTuple):
    """How a train step scales its loss (fixed when the step is built).

    Attributes:
        factor: A constant factor (the optimizer's ``loss_scale_factor``), or None. It
            is not applied while dynamic scaling is on: Keras's ``LossScaleOptimizer``
            switches off the constant factor of the optimizer it wraps.
        dynamic: Ask for dynamic loss scaling (a ``LossScaleOptimizer``). A model with a
            float16 layer gets it regardless.
        initial_scale: The first dynamic scale.
        growth_steps: Finite steps in a row after which the dynamic scale doubles.
    """

    factor: float | None = None
    dynamic: bool = False
    initial_scale: float = 2.0**15
    growth_steps: int = 2000


def config_of(tx: Any) -> LossScaleConfig:
    """The loss scaling an optax transformation asks for.

    A kerax optimizer's ``transform()`` tags its transformation with a
    ``loss_scaling`` attribute; any other transformation asks for none.
    """
    config = getattr(tx, "loss_scaling", None)
    return config if isinstance(config, LossScaleConfig) else LossScaleConfig()


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
