"""The pieces of the stateful optimizer facade that are plain functions.

:class:`Built` is what ``Optimizer.build`` records; :func:`named_values` and
:func:`with_values` convert between kerax's optimizer state (``inject_hyperparams``
around :class:`~kerax.optimizers._transform.KerasOptimizerState`) and the flat list of
variables Keras shows (``optimizer.variables``), in Keras's order: ``iteration``,
``learning_rate`` (unless a schedule), shared variables, moving averages (``use_ema``),
gradient accumulators, then the per-variable slots grouped as Keras creates them.
:func:`select` and :func:`merge` cut out and put back the state of some variables, so a
step with ``None`` gradients leaves the other variables' state alone.
:class:`KerasHelpers` holds Keras's ``assign`` hooks and ``save_own_variables`` /
``load_own_variables``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.optimizers._transform import KerasOptimizerState


@dataclasses.dataclass(frozen=True)
class Built:
    """What ``build`` recorded: the facade's whole state.

    Attributes:
        variables: The model variables the optimizer updates, in build order.
        keys: ``(group, name)`` of each variable: its place in the parameter tree
            (``{group: {name: value}}``) the transformation sees.
        model: The model whose train state holds the optimizer state, or None.
        opt_state: The optimizer state when the facade holds it (``model`` is None).
    """

    variables: tuple[Any, ...]
    keys: tuple[tuple[str, str], ...]
    model: Any = None
    opt_state: Any = None

    def tree(self, values: Sequence[Any], indices: Sequence[int] | None = None) -> dict:
        """``{group: {name: value}}`` of the variables at ``indices`` (default: all)."""
        out: dict[str, dict[str, Any]] = {}
        for i, value in zip(range(len(self.keys)) if indices is None else indices, values):
            group, name = self.keys[i]
            out.setdefault(group, {})[name] = value
        return out

    def positions(self) -> list[int]:
        """For each variable in build order, its position among the tree's leaves."""
        order = jax.tree_util.tree_leaves(self.tree(range(len(self.keys))))
        where = {index: pos for pos, index in enumerate(order)}
        return [where[i] for i in range(len(self.keys))]


def group_name(variable: Any, index: int) -> tuple[str, str]:
    layer = getattr(variable, "layer", None)
    name = str(getattr(variable, "name", f"variable_{index}"))
    return (str(layer.name) if layer is not None else "variables", name)


def unique(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Numbers the groups of repeated keys (two layers named alike in two models)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for group, name in keys:
        base, n = group, 1
        while (group, name) in seen:
            group, n = f"{base}_{n}", n + 1
        seen.add((group, name))
        out.append((group, name))
    return out


def trains_with(model: Any, opt: Any) -> bool:
    """Whether ``model`` is compiled with ``opt`` (itself, or wrapped in a
    ``LossScaleOptimizer``)."""
    compiled = getattr(model, "optimizer", None)
    return compiled is opt or getattr(compiled, "inner_optimizer", None) is opt


def model_keys(opt: Any, model: Any, variables: Sequence[Any]) -> list[tuple[str, str]] | None:
    """The variables' keys in ``model``'s train state, when ``model`` trains with
    ``opt`` and they are exactly the variables its ``fit`` trains; else None."""
    if not trains_with(model, opt):
        return None
    lowered = getattr(model, "lowered", None) if getattr(model, "built", False) else None
    layout = getattr(lowered, "layout", None)
    if layout is None:
        return None
    keys = []
    for v in variables:
        layer = getattr(v, "layer", None)
        if layer is None or id(layer) not in layout.keys:
            return None
        keys.append((layout.key(layer), v.name))
    mask = layout.trainable_mask()
    trained = {(k, n) for k, flags in mask.items() for n, on in flags.items() if on}
    return keys if len(set(keys)) == len(keys) == len(trained) and set(keys) == trained else None


def select(state: Any, positions: Sequence[int]) -> Any:
    """The optimizer state of the leaves at ``positions`` (sorted)."""
    inner: KerasOptimizerState = state.inner_state
    pick = lambda xs: None if xs is None else [xs[p] for p in positions]  # noqa: E731
    sub = inner._replace(
        slots=pick(inner.slots), accumulators=pick(inner.accumulators), average=pick(inner.average)
    )
    return state._replace(inner_state=sub)


def merge(full: Any, new_sub: Any, positions: Sequence[int]) -> Any:
    """``full`` with the leaves at ``positions`` taken from ``new_sub`` (see :func:`select`)."""
    inner: KerasOptimizerState = full.inner_state
    sub: KerasOptimizerState = new_sub.inner_state

    def put(xs: list | None, ys: list | None) -> list | None:
        if xs is None or ys is None:
            return xs
        out = list(xs)
        for p, y in zip(positions, ys, strict=True):
            out[p] = y
        return out

    merged = sub._replace(
        slots=put(inner.slots, sub.slots),
        accumulators=put(inner.accumulators, sub.accumulators),
        average=put(inner.average, sub.average),
    )
    return new_sub._replace(inner_state=merged)


def named_values(opt: Any, built: Built, state: Any) -> list[tuple[str, Any, tuple]]:
    """``(name, value, where)`` of ``opt``'s ``state`` in Keras's ``variables`` order;
    ``where`` locates the value in ``state`` for :func:`with_values`."""
    inner: KerasOptimizerState = state.inner_state
    out: list[tuple[str, Any, tuple]] = [("iteration", inner.count, ("count",))]
    if not callable(opt._learning_rate):
        out.append(("learning_rate", state.hyperparams["learning_rate"], ("lr",)))
    declared = opt._keras_declared
    if not declared:
        out += [(f"shared_{j}", s, ("shared", j)) for j, s in enumerate(inner.shared)]
    paths = [f"{g}_{n}".replace("/", "_") for g, n in built.keys]
    positions = built.positions()
    for field, suffix in (("average", "average"), ("accumulators", "gradient_accumulator")):
        values = getattr(inner, field)
        if values is not None:
            for path, p in zip(paths, positions, strict=True):
                out.append((f"{path}_{suffix}", values[p], (field, p)))
    if declared:  # written the Keras way: its variables in the order it declared them
        counts: dict[int | None, int] = {}
        for d in declared:
            j = counts[d.ref] = counts.get(d.ref, -1) + 1
            if d.ref is None:
                out.append((d.name, inner.shared[j], ("shared", j)))
            else:
                p = positions[d.ref]
                out.append((d.name, inner.slots[p][j], ("slots", p, j)))
        return out
    n_slots = max((len(s) for s in inner.slots), default=0)
    for group in opt._keras_slot_groups(n_slots):
        for path, p in zip(paths, positions, strict=True):
            for k in group:
                if k < len(inner.slots[p]):
                    slot = opt._slot_names[k] if k < len(opt._slot_names) else f"slot_{k}"
                    out.append((f"{path}_{slot}", inner.slots[p][k], ("slots", p, k)))
    return out


def with_values(opt: Any, built: Built, state: Any, values: Sequence[Any]) -> Any:
    """``state`` with the entries of :func:`named_values` replaced by ``values``."""
    named = named_values(opt, built, state)
    inner: KerasOptimizerState = state.inner_state
    fields: dict[str, Any] = {
        "shared": list(inner.shared),
        "slots": [list(s) for s in inner.slots],
        "average": None if inner.average is None else list(inner.average),
        "accumulators": None if inner.accumulators is None else list(inner.accumulators),
    }
    hyper, count = dict(state.hyperparams), inner.count
    for (_, old, where), value in zip(named, values, strict=True):
        value = jnp.asarray(value, jnp.asarray(old).dtype)
        if where[0] == "count":
            count = value
        elif where[0] == "lr":
            hyper["learning_rate"] = value
        elif where[0] == "slots":
            fields["slots"][where[1]][where[2]] = value
        else:
            fields[where[0]][where[1]] = value
    new_inner = inner._replace(
        count=count,
        shared=tuple(fields["shared"]),
        slots=[tuple(s) for s in fields["slots"]],
        average=fields["average"],
        accumulators=fields["accumulators"],
    )
    # inject_hyperparams counts calls as the inner state does; keep them equal.
    return state._replace(
        count=count.astype(state.count.dtype), hyperparams=hyper, inner_state=new_inner
    )


class KerasHelpers:
    """Keras's small optimizer helpers that need only ``variables`` and
    ``set_weights``: the ``assign`` hooks and saving to a ``store``."""

    name: str
    variables: Any

    def set_weights(self, weights: Sequence[Any]) -> None:
        raise NotImplementedError

    def assign(self, variable: Any, value: Any) -> None:
        """``variable.assign(value)`` (Keras's hook for backend-specific writes)."""
        variable.assign(value)

    def assign_add(self, variable: Any, value: Any) -> None:
        """``variable.assign_add(value)``."""
        variable.assign_add(value)

    def assign_sub(self, variable: Any, value: Any) -> None:
        """``variable.assign_sub(value)``."""
        variable.assign_sub(value)

    def save_own_variables(self, store: Any) -> None:
        """Writes the state into ``store`` (``store["0"]``, ``store["1"]``, ...)."""
        for i, v in enumerate(self.variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Reads the state written by :meth:`save_own_variables`; warns and changes
        nothing when the number of variables differs, as Keras."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if not variables:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        self.set_weights([store[str(i)] for i in range(len(variables))])
