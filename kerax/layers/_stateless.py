"""Keras 3's stateless call API, for layers and models alike.

Keras's JAX custom-loop idiom passes the variables explicitly::

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]
    outputs, non_trainable = layer.stateless_call(trainable, non_trainable, x, training=True)

kerax's pure functions take a pytree ``{"params": {key: {weight: value}}, "state": ...}``
keyed by layer (:mod:`kerax.graph.layout`). :class:`StatelessCall` maps Keras's two
flat lists (in the order of ``trainable_variables`` / ``non_trainable_variables``) onto
that pytree, runs the pure forward pass and maps the new state back, so the idiom runs
unchanged inside ``jax.jit`` / ``jax.grad`` and never touches the object's values.

A layer runs its own ``apply`` in a fresh frame; a model
(:class:`kerax.models.stateless.Stateless`) runs its lowered graph instead, and reports
to the Keras-style step it runs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jax

from kerax.graph import frame as _frame
from kerax.graph import step_context as _step_context

if TYPE_CHECKING:
    from kerax.graph.layout import Layout, Variables

#: ``(collection, layer key, weight name)``: where a variable sits in the pytree.
Slot = tuple[str, str, str]


class StatelessCall:
    """Mixin of :class:`kerax.layers.Layer`: ``stateless_call``."""

    # ------------------------------------------------------------------ hooks
    def _stateless_layout(self) -> Layout:
        """The layout whose keys the variables pytree uses."""
        from kerax.graph.layout import Layout

        return Layout.of([self])  # type: ignore[list-item]

    def _stateless_forward(
        self,
        variables: Variables,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        training: bool,
        rng: jax.Array | None,
    ) -> tuple[Any, Variables, list[Any]]:
        """Runs the forward pass on ``variables``: ``(outputs, new state, losses)``.

        A layer runs its own ``apply`` (as Keras runs ``call``: the layer's own
        activity regularizer, which Keras applies in ``__call__``, is not added).
        """
        layer: Any = self
        frame = _frame.Frame(
            variables["params"],
            variables["state"],
            keys=layer._stateless_layout().keys,
            training=training,
            rng=rng,
        )
        if layer.autocast:
            args, kwargs = _frame._cast_floating((args, kwargs), layer.compute_dtype)
        ctx = _frame.Context(frame, layer, layer.name, training)
        outputs = layer.apply(ctx, *args, **kwargs)
        return outputs, frame.new_state(), list(frame.losses)

    def _stateless_report(self, variables: Variables, losses: list[Any]) -> None:
        """Tells the Keras-style step being traced what the call collected (models)."""

    # ------------------------------------------------------------------ the API
    def stateless_call(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        *args: Any,
        return_losses: bool = False,
        rng: jax.Array | None = None,
        **kwargs: Any,
    ) -> tuple[Any, ...]:
        """Calls the layer on ``args`` with the given variable values; changes nothing.

        Args:
            trainable_variables: Values in the order of ``trainable_variables``.
            non_trainable_variables: Values in the order of
                ``non_trainable_variables``.
            *args: The inputs, as the layer's call takes them.
            return_losses: Also return the losses: those added during the call
                (``add_loss``, sublayers' activity regularizers), then the penalties
                of the trainable weights that have a regularizer, at the given values
                (Keras's ``layer.losses``).
            rng: The PRNG key for layers that draw randomness when ``training=True``
                (kerax keeps randomness in an explicit key, where Keras keeps seed
                states among the non-trainable variables). Inside a Keras-style
                ``train_step`` kerax traces, a fresh key of the step by default.
            **kwargs: ``training=`` (default False) and, for a layer, the other
                keyword arguments of its call (``mask=``, ...).

        Returns:
            ``(outputs, non_trainable_variables)`` with the updated non-trainable
            values (BatchNormalization statistics), and the losses last with
            ``return_losses=True``.

        Raises:
            ValueError: If the layer is not built, or a list does not have one value
                per variable.
        """
        layer: Any = self
        if not layer.built:
            raise ValueError(
                f"To call stateless_call, {type(self).__name__} '{layer.name}' must be built "
                "(its variables created). Build it by calling it on some data first."
            )
        training = bool(kwargs.pop("training", False))
        trainable_handles = layer.trainable_variables
        frozen_handles = layer.non_trainable_variables
        layout = self._stateless_layout()
        trainable = _slots(layout, trainable_handles)
        frozen = _slots(layout, frozen_handles)
        for what, slots, values in (
            ("trainable_variables", trainable, trainable_variables),
            ("non_trainable_variables", frozen, non_trainable_variables),
        ):
            if len(values) != len(slots):
                raise ValueError(
                    f"{type(self).__name__} '{layer.name}' has {len(slots)} {what}, but "
                    f"stateless_call received {len(values)} values for them (one per "
                    f"variable, in the order of `{what}`)."
                )
        variables: Variables = {
            "params": {layout.key(la): {} for la in layout.layers},
            "state": {layout.key(la): {} for la in layout.layers},
        }
        for (collection, key, name), value in zip(
            trainable + frozen, [*trainable_variables, *non_trainable_variables]
        ):
            variables[collection][key][name] = value
        step = _step_context.current()
        if rng is None and step is not None:  # inside a Keras-style step kerax runs
            rng = step.next_key()
        outputs, state, losses = self._stateless_forward(
            variables, args, kwargs, training=training, rng=rng
        )
        self._stateless_report(variables, losses)
        updated = [
            state[key][name] if collection == "state" else variables[collection][key][name]
            for collection, key, name in frozen
        ]
        if not return_losses:
            return outputs, updated
        penalties = [
            handle.spec.regularizer(value)
            for handle, value in zip(trainable_handles, trainable_variables)
            if handle.spec.regularizer is not None
        ]
        return outputs, updated, [*losses, *penalties]


def _slots(layout: Layout, variables: Sequence[Any]) -> list[Slot]:
    return [(v.spec.collection, layout.key(v.layer), v.spec.name) for v in variables]
