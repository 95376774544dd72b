"""The flat layout of a model's variables: one entry per weight-owning layer.

Variables are ``{"params": {key: {weight: array}}, "state": {key: {weight: array}}}``,
flat over every layer reachable from the roots, through nested models and wrappers.
Flat, not nested by model, so that a layer reached by two paths (directly and inside a
nested model, or through ``TimeDistributed``) has exactly one entry: sharing can never
fork a weight into two copies.

Keys are layer names. When two different layers share a name (possible across nested
models that were named by hand), the later one is qualified by its container's name,
then numbered; keys are deterministic for a given graph.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.graph.frame import stable_hash

if TYPE_CHECKING:
    from kerax.graph.ir import Graph, Ref
    from kerax.layers._base import Layer

Variables = dict[str, dict[str, dict[str, Any]]]


@dataclasses.dataclass(frozen=True, eq=False)
class Layout:
    """Which layers own variables under some roots, and their keys.

    Attributes:
        layers: Every weight-owning layer, in first-visit order.
        keys: ``id(layer) -> key`` for those layers.
    """

    layers: tuple[Layer, ...]
    keys: dict[int, str]

    @classmethod
    def of(cls, roots: Sequence[Layer]) -> Layout:
        """The layout of ``roots`` and everything they contain."""
        used: set[str] = set()
        keys: dict[int, str] = {}
        owners: list[Layer] = []
        parents: dict[int, str] = {}
        order: list[Layer] = []
        seen: set[int] = set()

        def visit(layer: Layer, parent: str) -> None:
            if id(layer) in seen:
                return
            seen.add(id(layer))
            parents[id(layer)] = parent
            order.append(layer)
            for sub in layer._sublayers():
                visit(sub, layer.name)

        for root in roots:
            visit(root, "")
        for layer in order:
            if not layer._weight_specs:
                continue
            key = layer.name
            if key in used and parents[id(layer)]:
                key = f"{parents[id(layer)]}/{layer.name}"
            base, n = key, 1
            while key in used:
                key, n = f"{base}_{n}", n + 1
            used.add(key)
            keys[id(layer)] = key
            owners.append(layer)
        return cls(tuple(owners), keys)

    def key(self, layer: Layer) -> str:
        return self.keys[id(layer)]

    def init(self, rng: jax.Array) -> Variables:
        """Fresh variables, each layer's drawn from ``rng`` folded with its key."""
        out: Variables = {"params": {}, "state": {}}
        for layer in self.layers:
            key = self.keys[id(layer)]
            values = layer.init(jax.random.fold_in(rng, stable_hash(key)))
            out["params"][key] = values["params"]
            out["state"][key] = values["state"]
        return out

    def abstract(self) -> Variables:
        """Shape-and-dtype stand-ins for the variables, for ``jax.eval_shape``."""
        out: Variables = {"params": {}, "state": {}}
        for layer in self.layers:
            key = self.keys[id(layer)]
            out["params"][key] = {}
            out["state"][key] = {}
            for spec in layer._weight_specs:
                struct = jax.ShapeDtypeStruct(spec.shape, spec.dtype)
                out[spec.collection][key][spec.name] = struct
        return out

    def current(self) -> Variables:
        """The layers' current values, read from their cells (created if missing)."""
        self._create_missing()
        out: Variables = {"params": {}, "state": {}}
        for layer in self.layers:
            key = self.keys[id(layer)]
            values = layer._current_values()
            out["params"][key] = values["params"]
            out["state"][key] = values["state"]
        return out

    def _create_missing(self) -> None:
        """Creates the values of layers that have none yet.

        Each weight comes from a small compiled program shared by every weight of the
        same initializer, shape and dtype (``Layer.init``), so a model's first weights
        cost a few small compiles, not one program over all its weights (whose compile
        grows with depth); the values are those ``jax.jit(lambda ks: [layer.init(k)
        ...])(keys)`` gives. Evaluated eagerly even when called during a trace, so the
        cells get concrete arrays.
        """
        from kerax import random as _random

        missing = [la for la in self.layers if la._values is None and la._live is None]
        if not missing:
            return
        # Programs run under ``ensure_compile_time_eval`` are compiled apart from the
        # same programs run eagerly: enter it only where it is needed, inside a trace.
        tracing = _tracing()
        with jax.ensure_compile_time_eval() if tracing else contextlib.nullcontext():
            for layer, key in zip(missing, _split(_random.next_key(), len(missing))):
                layer._values = layer.init(key)

    def store(self, variables: Variables) -> None:
        """Makes ``variables`` the layers' current values (by reference, no copy)."""
        for layer in self.layers:
            key = self.keys[id(layer)]
            layer._values = {
                "params": dict(variables["params"][key]),
                "state": dict(variables["state"][key]),
            }

    def trainable_mask(self) -> dict[str, dict[str, bool]]:
        """``{key: {weight: bool}}`` over ``params``: False for frozen layers."""
        return {
            self.keys[id(layer)]: {
                s.name: bool(layer.trainable) for s in layer._weight_specs if s.trainable
            }
            for layer in self.layers
        }

    def regularization(self, params: dict[str, dict[str, Any]]) -> list[Any]:
        """The weight penalties of ``params`` declared through ``regularizer=``."""
        penalties = []
        for layer in self.layers:
            key = self.keys[id(layer)]
            for spec in layer._weight_specs:
                if spec.regularizer is not None and spec.trainable:
                    penalties.append(spec.regularizer(params[key][spec.name]))
        return penalties


def _tracing() -> bool:
    """Whether a JAX trace is active, without running a program to find out."""
    try:
        from jax._src.core import trace_state_clean
    except ImportError:  # pragma: no cover - a JAX that moved it
        return isinstance(jnp.zeros(()), jax.core.Tracer)
    return not trace_state_clean()


def _split(key: jax.Array, n: int) -> list[jax.Array]:
    """``list(jax.random.split(key, n))``, without a program compiled for ``n``.

    With JAX's partitionable threefry (its default), key ``j`` of a split is
    ``fold_in(key, j)``, the counter-mode hash of the counter ``j``, derived on the
    host (:mod:`kerax._threefry`: no program). Otherwise the split runs, and its rows
    come back through NumPy (unstacking on the device would compile another program
    for ``n``).
    """
    from kerax import _threefry
    from kerax import random as _random

    if jax.config.jax_threefry_partitionable and _random.host_keys(key):
        data = np.asarray(jax.random.key_data(key))
        return [jax.random.wrap_key_data(_threefry.fold_in(data, j)) for j in range(n)]
    keys = jax.random.split(key, n)
    impl = jax.random.key_impl(keys)
    return [
        jax.random.wrap_key_data(row, impl=impl) for row in np.asarray(jax.random.key_data(keys))
    ]


def keras_layer_order(graph: Graph) -> list[Layer]:
    """The layers of ``graph`` in the order Keras 3 lists a functional model's layers,
    which is also the order of ``model.weights``.

    Keras orders by depth, counted from the outputs (a layer's depth is the deepest of
    its calls), deepest first; ties go to the order in which a depth-first walk back
    from the outputs first meets each layer. For a chain this is the order of the calls;
    for branches it differs from the order of first use. ``trace`` orders
    ``Graph.layers`` with it.
    """
    nodes = {node.id: node for node in graph.nodes}
    first_seen: dict[str, int] = {}
    finished: set[tuple[str, int]] = set()
    post_order: list[tuple[str, int]] = []

    def visit(ref: Ref) -> None:
        node_id = (ref.layer, ref.node)
        if node_id in finished:
            return
        first_seen.setdefault(ref.layer, len(first_seen))
        node = nodes.get(node_id)  # graph inputs have no node
        if node is not None:
            for parent in node.refs():
                visit(parent)
        finished.add(node_id)
        post_order.append(node_id)

    for ref in graph.outputs:
        visit(ref)
    node_depth: dict[tuple[str, int], int] = {}
    layer_depth: dict[str, int] = {}
    for node_id in reversed(post_order):
        depth = max(node_depth.get(node_id, 0), layer_depth.get(node_id[0], 0))
        layer_depth[node_id[0]] = node_depth[node_id] = depth
        node = nodes.get(node_id)
        for parent in node.refs() if node is not None else ():
            parent_id = (parent.layer, parent.node)
            node_depth[parent_id] = max(depth + 1, node_depth.get(parent_id, 0))
    for ref in graph.inputs:  # inputs no output depends on
        layer_depth.setdefault(ref.layer, 0)
        first_seen.setdefault(ref.layer, -1)
    by_name = graph.layer_map
    ranked = sorted(layer_depth, key=lambda name: (-layer_depth[name], first_seen[name]))
    return [by_name[name] for name in ranked]
