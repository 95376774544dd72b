"""Keras's stateful optimizer API over kerax's optax transformation.

Inside ``fit`` an optimizer is only its transformation (``transform()``); the train
state holds the optimizer state. Keras code also drives the optimizer object itself,
in a custom loop::

    opt = kerax.optimizers.Adam(1e-3)
    grads = jax.grad(loss_fn)([v.value for v in model.trainable_variables])
    opt.apply_gradients(zip(grads, model.trainable_variables))   # weights change in place
    opt.iterations, opt.variables

:class:`StatefulOptimizer` gives :class:`~kerax.optimizers.Optimizer` those methods as a
thin facade. ``build(variables)`` records the variables (the layers' ``Variable``
handles) in one attribute, ``_facade``; every update runs the same
``transform().update`` that ``fit`` runs and writes the new values into the layers'
value cells through the handles. The optimizer state lives in one place:

* an optimizer compiled into a model and built on that model's trainable variables
  uses the model's optimizer state (the one ``fit`` trains with): ``fit`` then
  ``apply_gradients``, or the reverse, continue one state, and ``iterations`` counts
  both, as in Keras;
* otherwise the state is the facade's own (``_facade.opt_state``).

``variables`` lists that state in Keras's order (``iteration``, ``learning_rate`` unless
it is a schedule, then the per-variable slots as Keras creates them), and
``stateless_apply`` takes and returns lists of arrays in that order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import jax.numpy as jnp
import optax

from kerax.metrics._variables import StateVariable, check_count
from kerax.optimizers._keras_state import (
    Built,
    KerasHelpers,
    group_name,
    merge,
    model_keys,
    named_values,
    select,
    trains_with,
    unique,
    with_values,
)
from kerax.optimizers._keras_subclass import KerasSubclassing


class StatefulOptimizer(KerasHelpers, KerasSubclassing):
    """Mixin of :class:`~kerax.optimizers.Optimizer`: Keras's stateful methods (see the
    module docstring). Subclasses may name their slots (``_slot_names``) and say how
    Keras groups them in ``variables`` (``_keras_slot_groups``)."""

    name: str
    _model: Any
    _learning_rate: Any
    loss_scale_factor: float | None
    use_ema: bool
    gradient_accumulation_steps: int | None

    _facade: Built | None = None  # set per instance by ``build``

    #: Keras's names of the per-variable slots, in ``_init_slots`` order.
    _slot_names: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "update_step" in cls.__dict__:  # written the Keras way
            KerasSubclassing.install(cls)

    def transform(self) -> optax.GradientTransformation:
        raise NotImplementedError

    # ------------------------------------------------------------------ state source
    def _current_opt_state(self) -> Any:
        """The optimizer state ``learning_rate``/``iterations`` read: the facade's own,
        else the compiled model's (live during ``fit``), else None."""
        self._rebind()
        built = self._facade
        if built is not None and built.model is None:
            return built.opt_state
        return self._model._live_opt_state() if self._model is not None else None

    def _rebind(self) -> None:
        """Follows a ``compile`` that happened after ``build``: when the new model
        trains exactly the built variables, its optimizer state becomes the one used;
        a model without one yet (not trained since the compile) takes over the
        facade's state, so ``fit`` continues where ``apply_gradients`` left off."""
        built, model = self._facade, self._model
        if built is None or model is None or built.model is model:
            return
        keys = model_keys(self, model, built.variables)
        if keys is None:
            return
        own = built.opt_state
        self._facade = Built(built.variables, tuple(keys), model)
        if own is not None and model._live_opt_state() is None:
            values = [v for _, v, _ in named_values(self, built, own)]
            fresh = self.transform().init(self._facade.tree([v.value for v in built.variables]))
            self._store(with_values(self, self._facade, fresh, values))

    def _state(self) -> Any:
        built = self._require_built("use its state")
        if built.model is None:
            if built.opt_state is None:  # created on first use: after a Keras-style
                # ``build`` override has declared its slots
                tree = built.tree([v.value for v in built.variables])
                self._store(self.transform().init(tree))
            return self._facade.opt_state  # type: ignore[union-attr]
        if not trains_with(built.model, self):
            raise ValueError(
                f"Optimizer '{self.name}' was built on the variables of a model that has "
                "since been compiled with another optimizer, which now holds the "
                "optimizer state; use `model.optimizer`, or a new optimizer."
            )
        state = built.model._live_opt_state()
        if state is None:  # compiled, never trained: start the state fit will use
            state = self.transform().init(built.tree([v.value for v in built.variables]))
            self._store(state)
        return state

    def _store(self, state: Any) -> None:
        built = self._facade
        assert built is not None
        if built.model is None:
            self._facade = dataclasses.replace(built, opt_state=state)
        elif built.model._ts is not None:  # during fit: the live train state
            built.model._ts = built.model._ts._replace(opt_state=state)
        else:
            built.model._opt_state = state

    def _require_built(self, action: str) -> Built:
        self._rebind()
        if self._facade is None and self._model is not None and self._model.built:
            self.build(self._model.trainable_variables)
        if self._facade is None:
            raise ValueError(
                f"Optimizer '{self.name}' must be built before it can {action}: call "
                "`optimizer.build(trainable_variables)` (or `apply_gradients`) first."
            )
        return self._facade

    @property
    def built(self) -> bool:
        """Whether ``build`` has recorded the variables to optimize."""
        return self._facade is not None

    def build(self, variables: Sequence[Any]) -> None:
        """Records the variables to optimize and creates their optimizer state.

        Does nothing when already built, as in Keras. When the optimizer is compiled
        into a model and ``variables`` are exactly the model's trainable variables, the
        state is the model's (the one ``fit`` uses); otherwise the optimizer holds it.

        Args:
            variables: Weight handles (``model.trainable_variables``); anything with
                ``value`` and ``assign``.

        Raises:
            TypeError: When an entry is not a variable handle.
        """
        if self._facade is not None:
            return
        variables = list(variables)
        for v in variables:
            if not (hasattr(v, "value") and hasattr(v, "assign")):
                raise TypeError(
                    f"Optimizer '{self.name}' updates variables in place, so it needs "
                    f"variable handles (`model.trainable_variables`), received "
                    f"{type(v).__name__}. For arrays, use `stateless_apply` or the "
                    "optax transformation `optimizer.transform()`."
                )
        model = self._model
        keys = model_keys(self, model, variables) if model is not None else None
        if keys is None:
            model, keys = None, unique([group_name(v, i) for i, v in enumerate(variables)])
        self._facade = Built(tuple(variables), tuple(keys), model)

    # ------------------------------------------------------------------ Keras's order
    def _keras_slot_groups(self, n_slots: int) -> list[list[int]]:
        """How Keras groups the slots in ``variables``: one list per group, each group
        listed variable by variable. Default: one group (Keras's interleaved order)."""
        return [list(range(n_slots))]

    def _named_values(self, state: Any) -> list[tuple[str, Any, tuple]]:
        """``(name, value, where)`` in Keras's ``variables`` order."""
        assert self._facade is not None
        return named_values(self, self._facade, state)

    def _with_values(self, state: Any, values: Sequence[Any]) -> Any:
        """``state`` with the entries of :meth:`_named_values` replaced by ``values``."""
        check_count(self, values, len(self._named_values(state)), "optimizer_variables")
        assert self._facade is not None
        return with_values(self, self._facade, state, values)

    @property
    def variables(self) -> list[StateVariable]:
        """The optimizer state as Keras lists it: ``iteration``, ``learning_rate``
        (unless a schedule), then the per-variable state (``<path>_momentum``, ...).
        Each handle reads and assigns the live state. Empty before ``build``."""
        model = self._model
        if self._facade is None and not (model is not None and model.built):
            return []
        state = self._state()
        return [
            StateVariable(self, i, name, jnp.shape(v), str(jnp.asarray(v).dtype))
            for i, (name, v, _) in enumerate(self._named_values(state))
        ]

    def _read_variable(self, index: int) -> Any:
        return self._named_values(self._state())[index][1]

    def _write_variable(self, index: int, value: Any) -> None:
        state = self._state()
        values = [v for _, v, _ in self._named_values(state)]
        values[index] = value
        self._store(self._with_values(state, values))

    # ------------------------------------------------------------------ updates
    def _update(
        self, state: Any, grads: Sequence[Any], values: Sequence[Any], indices: Sequence[int]
    ) -> tuple[list[Any], Any]:
        """One step of the variables at ``indices``: their new values and the new state."""
        built = self._facade
        assert built is not None
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        positions = built.positions()
        order = sorted(range(len(indices)), key=lambda j: positions[indices[j]])
        params = built.tree(values, indices)
        updates, new_sub = self.transform().update(
            built.tree(grads, indices),
            select(state, [positions[indices[j]] for j in order]),
            params,
        )
        new_params = optax.apply_updates(params, updates)
        new_values = [new_params[built.keys[i][0]][built.keys[i][1]] for i in indices]
        return new_values, merge(state, new_sub, [positions[indices[j]] for j in order])

    def _indices(self, variables: Sequence[Any]) -> list[int]:
        built = self._facade
        assert built is not None
        known = {id(v): i for i, v in enumerate(built.variables)}
        out = []
        for v in variables:
            if id(v) not in known:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new "
                    "set of variables, you should recreate a new optimizer instance."
                )
            out.append(known[id(v)])
        return out

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Updates the variables in place with ``grads`` (Keras's ``apply``).

        Builds the optimizer on ``trainable_variables`` the first time. ``None``
        gradients leave their variables (and their optimizer state) as they are.
        Weight constraints are applied after the update, as in Keras.

        Args:
            grads: One gradient per variable.
            trainable_variables: The variables, as given to ``build`` (default: all of
                them, in build order).

        Raises:
            ValueError: When unbuilt without variables, on a count mismatch, on a
                variable the optimizer was not built with, or when every gradient is
                None.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            built = self._require_built("apply gradients without variables")
            if len(grads) != len(built.variables):
                raise ValueError(
                    f"When passing `grads` as a list of gradient tensors, the gradients "
                    f"must match the optimizer's variables one-to-one. Received a list "
                    f"of {len(grads)} gradients, but the optimizer is tracking "
                    f"{len(built.variables)} trainable variables."
                )
            variables = list(built.variables)
        else:
            variables = list(trainable_variables)
            self.build(variables)
        indices = self._indices(variables)
        pairs = [(g, i) for g, i in zip(grads, indices, strict=True) if g is not None]
        if not pairs:
            raise ValueError(f"No gradients provided for any variable: {variables}.")
        handles = self._facade.variables  # type: ignore[union-attr]
        idx = [i for _, i in pairs]
        new_values, state = self._update(
            self._state(), [g for g, _ in pairs], [handles[i].value for i in idx], idx
        )
        self._store(state)
        for i, value in zip(idx, new_values, strict=True):
            handle = handles[i]
            constraint = getattr(getattr(handle, "spec", None), "constraint", None)
            handle.assign(value if constraint is None else constraint(value))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> int:
        """``apply`` on ``(gradient, variable)`` pairs; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs, strict=True)
            self.apply(list(grads), list(variables))
        return self.iterations  # type: ignore[attr-defined]

    def stateless_apply(
        self,
        optimizer_variables: Sequence[Any],
        grads: Sequence[Any],
        trainable_variables: Sequence[Any],
    ) -> tuple[list[Any], list[Any]]:
        """``apply`` on explicit values: pure and jittable; nothing is written.

        Args:
            optimizer_variables: Arrays in ``variables`` order.
            grads: One gradient (or None) per built variable.
            trainable_variables: The variables' values, in build order.

        Returns:
            ``(new trainable values, new optimizer values)``, in the same orders.

        Raises:
            ValueError: When unbuilt or on a count mismatch.
        """
        built = self._require_built("run `stateless_apply`")
        if len(trainable_variables) != len(built.variables):
            raise ValueError(
                "Argument `trainable_variables` must be a list of tensors corresponding "
                "1:1 to the trainable variables list that the optimizer was built with. "
                f"Received len(trainable_variables) == {len(trainable_variables)} "
                f"whereas the optimizer was built with {len(built.variables)} variables."
            )
        state = self._with_values(self._state(), optimizer_variables)
        idx = [i for i, g in enumerate(grads) if g is not None]
        values = list(trainable_variables)
        new_values, state = self._update(
            state, [grads[i] for i in idx], [values[i] for i in idx], idx
        )
        for i, value in zip(idx, new_values, strict=True):
            values[i] = value
        return values, [v for _, v, _ in self._named_values(state)]

    # ------------------------------------------------------------------ state I/O
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the optimizer state from arrays in ``variables`` order.

        Raises:
            ValueError: When unbuilt, or on a count or shape mismatch (nothing changes).
        """
        state = self._state() if self._facade is not None else None
        if state is None:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create "
                "the optimizer weights before calling `set_weights()`."
            )
        for (name, old, _), new in zip(self._named_values(state), weights, strict=False):
            if tuple(jnp.shape(old)) != tuple(jnp.shape(new)):
                raise ValueError(
                    f"Optimizer variable {name} has shape {tuple(jnp.shape(old))} not "
                    f"compatible with provided weight shape {tuple(jnp.shape(new))}."
                )
        self._store(self._with_values(state, list(weights)))

    def _finalize_handles(self, var_list: Sequence[Any]) -> None:
        """Keras's ``finalize_variable_values(var_list)``: with ``use_ema``, the
        variables take their moving averages."""
        if not self.use_ema or self._facade is None:
            return
        built = self._facade
        inner = self._state().inner_state
        positions = built.positions()
        for i in self._indices(list(var_list)):
            built.variables[i].assign(inner.average[positions[i]])
