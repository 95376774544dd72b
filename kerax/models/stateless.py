"""Keras 3's stateless model API, over the lowered graph.

Keras's JAX custom-loop idiom passes the model's variables explicitly::

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    outputs, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)

kerax's native pure function is ``model.lowered.apply(variables, x, ...)`` over a
pytree keyed by layer. :class:`Stateless` maps Keras's two flat lists (in the order of
``trainable_variables`` / ``non_trainable_variables``) onto that pytree and back, so the
Keras idiom runs unchanged inside ``jax.jit`` / ``jax.grad`` and computes the same thing
as ``lowered.apply``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from kerax.graph import step_context as _step_context

#: ``(collection, layer key, weight name)``: where a variable sits in the pytree.
Slot = tuple[str, str, str]


class Stateless:
    """Mixin of :class:`kerax.Model`: ``stateless_call``."""

    def _slots(self, variables: Sequence[Any]) -> list[Slot]:
        layout = self.lowered.layout
        return [(v.spec.collection, layout.key(v.layer), v.spec.name) for v in variables]

    def stateless_call(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        *args: Any,
        return_losses: bool = False,
        rng: jax.Array | None = None,
        **kwargs: Any,
    ) -> tuple[Any, ...]:
        """Calls the model on ``args`` with the given variable values; changes nothing.

        Args:
            trainable_variables: Values in the order of ``model.trainable_variables``.
            non_trainable_variables: Values in the order of
                ``model.non_trainable_variables``.
            *args: The inputs (as ``model(inputs)`` takes them).
            return_losses: Also return the losses layers added (activity
                regularizers, ``add_loss``), as a list.
            rng: The PRNG key for layers that draw randomness when ``training=True``
                (kerax keeps randomness in an explicit key, where Keras keeps seed
                states among the non-trainable variables).
            **kwargs: ``training=`` (default False).

        Returns:
            ``(outputs, non_trainable_variables)`` with the updated non-trainable
            values (BatchNormalization statistics), and the losses last with
            ``return_losses=True``.

        Raises:
            ValueError: If a list does not have one value per variable.
        """
        training = bool(kwargs.pop("training", False))
        if kwargs:
            raise TypeError(f"stateless_call() got unexpected arguments {sorted(kwargs)}.")
        trainable = self._slots(self.trainable_variables)
        frozen = self._slots(self.non_trainable_variables)
        for what, slots, values in (
            ("trainable_variables", trainable, trainable_variables),
            ("non_trainable_variables", frozen, non_trainable_variables),
        ):
            if len(values) != len(slots):
                raise ValueError(
                    f"Model '{self.name}' has {len(slots)} {what}, but stateless_call "
                    f"received {len(values)} values for them."
                )
        variables: dict[str, dict[str, dict[str, Any]]] = {"params": {}, "state": {}}
        for (collection, key, name), value in zip(
            trainable + frozen, [*trainable_variables, *non_trainable_variables]
        ):
            variables[collection].setdefault(key, {})[name] = value
        inputs = args[0] if len(args) == 1 else list(args)
        flat = self.graph.flatten_inputs(inputs)
        step = _step_context.current()
        if rng is None and step is not None:  # inside a Keras-style step kerax runs
            rng = step.next_key()
        outputs, state, losses = self.lowered.forward(variables, flat, training=training, rng=rng)
        if step is not None:
            step.losses = list(losses)
            step.variables = variables  # for the weight penalties of compute_loss
        updated = [
            state[key][name] if collection == "state" else variables[collection][key][name]
            for collection, key, name in frozen
        ]
        if return_losses:
            return outputs, updated, list(losses)
        return outputs, updated
