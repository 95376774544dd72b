"""Keras 3's stateless model API, over the lowered graph.

Keras's JAX custom-loop idiom passes the model's variables explicitly::

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    outputs, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)

The mapping of Keras's two flat lists onto kerax's variables pytree, and back, is the
layers' :class:`~kerax.layers._stateless.StatelessCall`; a model runs its lowered graph
(``model.lowered.forward``) on the pytree, so the idiom computes the same thing as
``lowered.apply``, and reports the collected losses and the variables to the Keras-style
step being traced (:mod:`kerax.graph.step_context`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jax

from kerax.graph import step_context as _step_context
from kerax.layers._stateless import StatelessCall

if TYPE_CHECKING:
    from kerax.graph.layout import Layout, Variables


class Stateless(StatelessCall):
    """Mixin of :class:`kerax.Model`: ``stateless_call`` over the lowered graph."""

    def _stateless_layout(self) -> Layout:
        return self.lowered.layout

    def _stateless_forward(
        self,
        variables: Variables,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        training: bool,
        rng: jax.Array | None,
    ) -> tuple[Any, Variables, list[Any]]:
        if kwargs:
            raise TypeError(
                f"Model '{self.name}': stateless_call() got unexpected arguments "
                f"{sorted(kwargs)} (a model takes its inputs and `training=`)."
            )
        inputs = args[0] if len(args) == 1 else list(args)
        flat = self.graph.flatten_inputs(inputs)
        outputs, state, losses = self.lowered.forward(variables, flat, training=training, rng=rng)
        return outputs, state, list(losses)

    def _stateless_report(self, variables: Variables, losses: list[Any]) -> None:
        step = _step_context.current()
        if step is not None:
            step.losses = list(losses)
            step.variables = variables  # for the weight penalties of compute_loss
