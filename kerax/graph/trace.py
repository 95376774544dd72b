"""From recorded history (symbolic tensors and nodes) to a frozen :class:`Graph`."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax

from kerax.errors import GraphError
from kerax.graph.ir import Const, Graph, NodeIR, Ref
from kerax.graph.layout import keras_layer_order
from kerax.graph.symbolic import KerasTensor, Node, is_tensor


def _flatten(tree: Any, what: str, model: str) -> tuple[list[KerasTensor], Any]:
    leaves, treedef = jax.tree_util.tree_flatten(tree, is_leaf=is_tensor)
    for leaf in leaves:
        if not isinstance(leaf, KerasTensor):
            raise TypeError(
                f"All {what} of model '{model}' must be symbolic tensors (from `Input` or a "
                f"layer call); received {type(leaf).__name__}: {leaf!r}."
            )
    if not leaves:
        raise ValueError(f"Model '{model}' needs at least one of its {what}.")
    return leaves, treedef


def trace(inputs: Any, outputs: Any, name: str) -> Graph:
    """Freezes the history between ``inputs`` and ``outputs`` into a :class:`Graph`.

    Raises:
        GraphError: If an output depends on an ``Input`` that is not among ``inputs``
            (a disconnected graph), or if two different layers share a name.
    """
    from kerax.layers.input_layer import InputLayer, as_input

    in_leaves, in_tree = _flatten(inputs, "inputs", name)
    out_leaves, out_tree = _flatten(outputs, "outputs", name)
    # Intermediate tensors given as inputs are cut off behind a fresh Input.
    input_ids = {id(t): i for i, t in enumerate(in_leaves)}
    input_layers = [as_input(t) for t in in_leaves]

    order: list[Node] = []
    visited: set[int] = set()

    def visit(tensor: KerasTensor, consumer: str) -> None:
        if id(tensor) in input_ids:
            return
        node = tensor.node
        if node is None or isinstance(node.layer, InputLayer):
            given = ", ".join(f'"{t.name}"' for t in in_leaves)
            raise GraphError(
                f'Graph disconnected: cannot obtain value for tensor "{tensor.name}" '
                f'(shape {tensor.shape}) needed by layer "{consumer}". It comes from the '
                f'Input "{tensor.name}", which is not among the inputs of model '
                f'"{name}" ({given}). Add it to `inputs`.'
            )
        if id(node) in visited:
            return
        visited.add(id(node))
        for parent in node.parents:
            visit(parent, node.layer.name)
        order.append(node)

    for tensor in out_leaves:
        visit(tensor, f"output of {name}")

    layers: list[Any] = list(input_layers)
    for node in order:
        if not any(node.layer is layer for layer in layers):
            layers.append(node.layer)
    _check_unique_names(layers, name)

    refs: dict[int, Ref] = {
        id(t): Ref(layer.name, 0, 0) for t, layer in zip(in_leaves, input_layers, strict=True)
    }
    counts: dict[str, int] = {}
    nodes: list[NodeIR] = []
    for node in order:
        layer_name = node.layer.name
        index = counts.get(layer_name, 0)
        counts[layer_name] = index + 1
        leaves, args_tree = jax.tree_util.tree_flatten((node.args, node.kwargs), is_leaf=is_tensor)
        args = tuple(refs[id(x)] if isinstance(x, KerasTensor) else Const(x) for x in leaves)
        for i, out in enumerate(node.flat_outputs):
            refs.setdefault(id(out), Ref(layer_name, index, i))
        nodes.append(
            NodeIR(
                layer=layer_name,
                index=index,
                args=args,
                args_tree=args_tree,
                training=node.training,
                outputs=tuple(t.spec for t in node.flat_outputs),
                out_tree=jax.tree_util.tree_structure(node.outputs, is_leaf=is_tensor),
            )
        )
    graph = Graph(
        name=name,
        layers=tuple(layers),
        nodes=tuple(nodes),
        inputs=tuple(refs[id(t)] for t in in_leaves),
        input_tree=in_tree,
        input_specs=tuple(t.spec for t in in_leaves),
        outputs=tuple(refs[id(t)] for t in out_leaves),
        output_tree=out_tree,
        output_specs=tuple(t.spec for t in out_leaves),
    )
    # Keras lists a functional model's layers by depth (``model.layers``, the config,
    # the ``.weights.h5`` numbering of same-class layers, ``model.weights``); the
    # order of first use above only served to collect them.
    return dataclasses.replace(graph, layers=tuple(keras_layer_order(graph)))


def _check_unique_names(layers: list[Any], model: str) -> None:
    seen: dict[str, Any] = {}
    for layer in layers:
        other = seen.setdefault(layer.name, layer)
        if other is not layer:
            raise GraphError(
                f'The name "{layer.name}" is used 2 times in model "{model}", by '
                f"{type(other).__name__} and {type(layer).__name__}. All layer names "
                "should be unique: pass a different `name=` to one of them."
            )
