"""The context of a user's ``train_step`` / ``test_step`` / ``predict_step`` trace.

Keras's JAX trainer keeps seed states among the non-trainable variables; kerax keeps
randomness in explicit keys. While kerax traces a model's Keras-style step
(:mod:`kerax.training.keras_loop`), the step's key lives here, so that code written for
Keras draws new numbers at every step without passing keys:

* ``model.stateless_call(...)`` without ``rng=`` uses a fresh key of the step;
* a ``SeedGenerator`` drawn from outside any layer (a GAN's latent vectors in its
  ``train_step``) folds its seed into a fresh key of the step.

The context also carries the losses the last ``stateless_call`` collected, which the
default ``compute_loss`` adds, as Keras's does with ``model.losses``.
"""

from __future__ import annotations

import contextvars
from typing import Any

import jax

ACTIVE: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar(
    "kerax_step_context", default=None
)


class StepContext:
    """The key of one traced step and what its calls report back."""

    def __init__(self, key: jax.Array) -> None:
        self._key = key
        self._draws = 0
        self.losses: list[Any] = []

    def next_key(self) -> jax.Array:
        """A fresh key: the step's key folded with a counter of draws in this trace."""
        key = jax.random.fold_in(self._key, self._draws)
        self._draws += 1
        return key


def current() -> StepContext | None:
    """The step context being traced, or None."""
    return ACTIVE.get()
