"""The IR: a frozen, hashable description of a functional graph.

See ``README.md`` in this folder for the invariants. In short: nodes are topologically
sorted; every argument edge points to a graph input or to an output of an earlier node;
layer names are unique; node ids are ``(layer name, call index within this graph)``, as
in Keras's serialized ``[layer_name, node_index, tensor_index]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from kerax.errors import GraphError
from kerax.graph.spec import TensorSpec

if TYPE_CHECKING:
    from kerax.layers._base import Layer


@dataclasses.dataclass(frozen=True, slots=True)
class Ref:
    """An edge: output ``index`` of the ``node``-th call of layer ``layer``."""

    layer: str
    node: int = 0
    index: int = 0

    def to_config(self) -> list[Any]:
        return [self.layer, self.node, self.index]


@dataclasses.dataclass(frozen=True, eq=False, slots=True)
class Const:
    """A non-tensor argument of a call (a Python scalar, an array, a string).

    Compared by identity, since arbitrary values (arrays) are neither hashable nor
    comparable by ``==``.
    """

    value: Any


@dataclasses.dataclass(frozen=True, slots=True)
class NodeIR:
    """One call of one layer inside a graph.

    Attributes:
        layer: Name of the layer called.
        index: Which call of that layer this is, counting within this graph.
        args: The leaves of ``(args, kwargs)``: :class:`Ref` edges and :class:`Const` s.
        args_tree: Structure of ``(args, kwargs)``.
        training: A ``training=`` fixed at the call, or ``None`` to inherit.
        outputs: Specs of the output leaves.
        out_tree: Structure of the outputs.
    """

    layer: str
    index: int
    args: tuple[Ref | Const, ...]
    args_tree: Any
    training: bool | None
    outputs: tuple[TensorSpec, ...]
    out_tree: Any

    @property
    def id(self) -> tuple[str, int]:
        return (self.layer, self.index)

    @property
    def path(self) -> str:
        """The node's name in RNG paths and profiles: ``lstm`` then ``lstm@1``, ..."""
        return self.layer if self.index == 0 else f"{self.layer}@{self.index}"

    def refs(self) -> list[Ref]:
        return [a for a in self.args if isinstance(a, Ref)]


@dataclasses.dataclass(frozen=True, slots=True)
class Graph:
    """A frozen functional graph.

    Attributes:
        name: The model's name.
        layers: Every layer of the graph, in Keras's order (by depth from the
            outputs, deepest first; see ``layout.keras_layer_order``).
        nodes: The calls, topologically sorted (InputLayers have no node here).
        inputs: Edges bound to the model inputs, flattened.
        input_tree: Nesting of the inputs (single tensor, list, or dict).
        input_specs: Specs of the flattened inputs.
        outputs: Edges of the model outputs, flattened.
        output_tree: Nesting of the outputs.
        output_specs: Specs of the flattened outputs.
    """

    name: str
    layers: tuple[Layer, ...]
    nodes: tuple[NodeIR, ...]
    inputs: tuple[Ref, ...]
    input_tree: Any
    input_specs: tuple[TensorSpec, ...]
    outputs: tuple[Ref, ...]
    output_tree: Any
    output_specs: tuple[TensorSpec, ...]

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Checks the invariants; raises GraphError naming the first one broken."""
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) > 1:
                raise GraphError(
                    f'The name "{name}" is used {names.count(name)} times in the model. '
                    "All layer names should be unique."
                )
        defined: set[Ref] = set(self.inputs)
        seen_ids: set[tuple[str, int]] = set()
        for node in self.nodes:
            if node.id in seen_ids:
                raise GraphError(f"Node {node.id} appears twice in graph '{self.name}'.")
            seen_ids.add(node.id)
            if node.layer not in names:
                raise GraphError(f"Node {node.id} calls unknown layer '{node.layer}'.")
            for ref in node.refs():
                if ref not in defined:
                    raise GraphError(
                        f"Node {node.path} of graph '{self.name}' uses {ref.to_config()} "
                        "before it is computed: the nodes are not topologically sorted."
                    )
            defined.update(Ref(node.layer, node.index, i) for i in range(len(node.outputs)))
        for ref in self.outputs:
            if ref not in defined:
                raise GraphError(
                    f"Output {ref.to_config()} of graph '{self.name}' is never computed."
                )

    # ------------------------------------------------------------ lookups
    @property
    def layer_map(self) -> Mapping[str, Layer]:
        return {layer.name: layer for layer in self.layers}

    @property
    def input_names(self) -> list[str]:
        """The inputs' keys in dicts: the dict keys for dict inputs, else the names of
        the InputLayers (flat order)."""
        return _tree_keys(self.input_tree) or [ref.layer for ref in self.inputs]

    @property
    def output_names(self) -> list[str]:
        """Keras's output names: the dict keys for dict outputs, else the name of the
        layer producing each output (flat order)."""
        return _tree_keys(self.output_tree) or [ref.layer for ref in self.outputs]

    def flatten_inputs(self, data: Any) -> list[Any]:
        """Flattens ``data`` in the graph's input order.

        Accepts the inputs nested as the model was built, a list in input order, a
        single array (or nested lists of numbers) for a one-input model, or a dict keyed
        by input names (or by the InputLayers' names).

        Raises:
            ValueError: On missing or unknown dict keys, or a wrong number of inputs;
                naming the model, the inputs with their shapes, and what was received.
        """
        n = len(self.inputs)
        if isinstance(data, Mapping):
            return self._from_dict(data)
        if n == 1 and not isinstance(data, list | tuple):
            return [data]
        if isinstance(data, list | tuple):
            if n == 1 and data and _plain_numbers(data):
                return [data]  # nested lists of numbers: one array
            if len(data) == 1 and n == 1 and isinstance(data[0], list | tuple):
                data = data[0]
            if len(data) != n:
                shapes = "[" + ", ".join(_shape_text(v) for v in data) + "]"
                raise ValueError(
                    f'Model "{self.name}" expects {n} input(s) {self._expected()}, but it '
                    f"received a {type(data).__name__} of {len(data)} with shapes {shapes}. "
                    "Pass one array per input, in this order, or a dict keyed by input name."
                )
            return list(data)
        raise ValueError(
            f'Model "{self.name}" expects {n} inputs {self._expected()}; received a '
            f"{type(data).__name__} of shape {_shape_text(data)}. Pass a list in this "
            "order, or a dict keyed by input name."
        )

    def _from_dict(self, data: Mapping[Any, Any]) -> list[Any]:
        names = self.input_names
        layer_names = [ref.layer for ref in self.inputs]
        for keys in (names, layer_names):
            if all(k in data for k in keys) and all(k in keys for k in data):
                return [data[k] for k in keys]
        missing = [k for k in names if k not in data]
        if missing and all(k in data for k in layer_names):
            names, missing = layer_names, []
        unknown = [k for k in data if k not in names]
        problems = []
        if missing:
            problems.append(f"lacks input(s) {missing}")
        if unknown:
            import difflib

            close = {
                k: difflib.get_close_matches(str(k), [str(m) for m in names], n=1) for k in unknown
            }
            hints = "".join(f" ({k!r}: did you mean {c[0]!r}?)" for k, c in close.items() if c)
            problems.append(f"has unknown key(s) {unknown}{hints}")
        received = "{" + ", ".join(f"{k!r}: {_shape_text(v)}" for k, v in data.items()) + "}"
        raise ValueError(
            f'Model "{self.name}" received a dict of inputs {received} that '
            f"{' and '.join(problems)}. Expected exactly the keys {self._expected()}: "
            "rename, add or remove the keys that differ."
        )

    def _expected(self) -> str:
        """The inputs for messages: ``{'title': (None, 4), 'body': (None, 2)}``."""
        pairs = zip(self.input_names, self.input_specs, strict=True)
        return "{" + ", ".join(f"{name!r}: {spec.shape}" for name, spec in pairs) + "}"

    def unflatten_outputs(self, flat: list[Any]) -> Any:
        return jax.tree_util.tree_unflatten(self.output_tree, flat)

    # ------------------------------------------------------------ serialisation
    def to_config(self) -> dict[str, Any]:
        """A JSON-able description in Keras 3's functional config layout."""
        from kerax.saving.functional import graph_to_config

        return graph_to_config(self)

    def spec_of(self, ref: Ref) -> TensorSpec:
        """The spec of the tensor at ``ref``."""
        if ref in self.inputs:
            return self.input_specs[self.inputs.index(ref)]
        for node in self.nodes:
            if node.id == (ref.layer, ref.node):
                return node.outputs[ref.index]
        raise KeyError(ref)


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _plain_numbers(value: Any) -> bool:
    """Whether ``value`` is nested lists / tuples of Python numbers (no arrays)."""
    if isinstance(value, list | tuple):
        return all(_plain_numbers(v) for v in value)
    return isinstance(value, bool | int | float)


def _shape_text(value: Any) -> str:
    """The shape of ``value`` for messages, or its type when it has none."""
    if _is_array_like(value):
        return str(tuple(value.shape))
    try:
        return str(np.shape(value))
    except ValueError:
        return f"a ragged {type(value).__name__}"


def _tree_keys(tree: Any) -> list[str] | None:
    dummy = jax.tree_util.tree_unflatten(tree, list(range(tree.num_leaves)))
    if isinstance(dummy, dict):
        return list(dummy)
    return None
