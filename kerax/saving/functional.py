"""Functional graphs to and from Keras 3's config layout.

A model config lists its layers, each with its ``inbound_nodes``: for every call, the
``args`` and ``kwargs`` of the call, where a tensor is written
``{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
[layer, node_index, tensor_index]}}``. Rebuilding replays the calls in an order where
every tensor exists before it is used, so the rebuilt graph is the same graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from kerax.errors import GraphError
from kerax.graph.ir import Graph, Ref
from kerax.saving.serialization import deserialize_layer, serialize_layer

_TENSOR = "__keras_tensor__"


def _const_to_config(value: Any) -> Any:
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": None}
    raise TypeError(f"Cannot serialize the constant argument {value!r} of a layer call.")


def _const_from_config(value: Any) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__slice__":
        return slice(*value["config"])
    if isinstance(value, dict) and value.get("class_name") == "__ellipsis__":
        return Ellipsis
    return value


def _jsonable(tree: Any) -> Any:
    """Lists stay lists; tuples become Keras's ``__tuple__`` entries."""
    if isinstance(tree, tuple):
        return {"class_name": "__tuple__", "config": {"value": [_jsonable(t) for t in tree]}}
    if isinstance(tree, list):
        return [_jsonable(t) for t in tree]
    if isinstance(tree, dict) and tree.get("class_name") not in (_TENSOR, "__slice__"):
        return {k: _jsonable(v) for k, v in tree.items()}
    return tree


def _from_jsonable(tree: Any) -> Any:
    if isinstance(tree, dict) and tree.get("class_name") in ("__slice__", "__ellipsis__"):
        return _const_from_config(tree)
    if isinstance(tree, dict) and tree.get("class_name") == "__tuple__":
        return tuple(_from_jsonable(t) for t in tree["config"]["value"])
    if isinstance(tree, list):
        return [_from_jsonable(t) for t in tree]
    if isinstance(tree, dict) and tree.get("class_name") not in (_TENSOR, "__slice__"):
        return {k: _from_jsonable(v) for k, v in tree.items()}
    return tree


def graph_to_config(graph: Graph) -> dict[str, Any]:
    """The Keras 3 functional config of ``graph``."""
    inbound: dict[str, list[Any]] = {layer.name: [] for layer in graph.layers}
    for node in graph.nodes:
        leaves = []
        for arg in node.args:
            if isinstance(arg, Ref):
                spec = graph.spec_of(arg)
                leaves.append(
                    {
                        "class_name": _TENSOR,
                        "config": {
                            "shape": list(spec.shape),
                            "dtype": spec.dtype,
                            "keras_history": arg.to_config(),
                        },
                    }
                )
            else:
                leaves.append(_const_to_config(arg.value))
        args, kwargs = jax.tree_util.tree_unflatten(node.args_tree, leaves)
        if node.training is not None:
            kwargs = {**kwargs, "training": node.training}
        inbound[node.layer].append(
            {"args": [_jsonable(a) for a in args], "kwargs": _jsonable(kwargs)}
        )
    layers = []
    for layer in graph.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound[layer.name]
        layers.append(entry)

    def refs(tree: Any, flat: tuple[Ref, ...]) -> Any:
        nested = jax.tree_util.tree_unflatten(tree, [r.to_config() for r in flat])
        if isinstance(nested, tuple) and not isinstance(nested[0], str):
            nested = list(nested)
        return nested

    return {
        "name": graph.name,
        "trainable": True,
        "layers": layers,
        "input_layers": refs(graph.input_tree, graph.inputs),
        "output_layers": refs(graph.output_tree, graph.outputs),
    }


def _is_tensor_config(x: Any) -> bool:
    return isinstance(x, dict) and x.get("class_name") == _TENSOR


def _is_history(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) == 3
        and isinstance(x[0], str)
        and all(isinstance(i, int) for i in x[1:])
    )


def graph_from_config(
    config: dict[str, Any],
    custom_objects: dict[str, Any] | None = None,
    make_layer: Callable[[dict[str, Any]], Any] | None = None,
    call: Callable[..., Any] | None = None,
    given_inputs: dict[str, Any] | None = None,
):
    """Rebuilds layers and replays their calls; returns ``(name, inputs, outputs)``.

    Args:
        config: A functional model's config.
        custom_objects: ``{name: object}`` for the user's classes and functions.
        make_layer: Makes the layer of an entry instead of deserializing it (cloning).
        call: ``call(layer, *args, **kwargs)`` replays a call instead of
            ``layer(*args, **kwargs)``.
        given_inputs: ``{input layer name: tensor}``: tensors that replace those
            input layers.

    Raises:
        GraphError: If a call needs a tensor that no call produces.
    """
    from kerax.layers.input_layer import InputLayer

    layers: dict[str, Any] = {}
    tensors: dict[tuple[str, int, int], Any] = {}
    pending: list[tuple[str, int, dict[str, Any]]] = []
    for entry in config["layers"]:
        if given_inputs and entry["name"] in given_inputs:
            tensors[(entry["name"], 0, 0)] = given_inputs[entry["name"]]
            continue
        layer = (make_layer or (lambda e: deserialize_layer(e, custom_objects)))(entry)
        layers[entry["name"]] = layer
        if isinstance(layer, InputLayer):
            tensors[(entry["name"], 0, 0)] = layer.output_tensor
        for k, node in enumerate(entry.get("inbound_nodes", [])):
            pending.append((entry["name"], k, node))
    next_index = {name: 0 for name in layers}
    while pending:
        progressed = False
        for item in list(pending):
            name, k, node = item
            if next_index[name] != k:
                continue
            recorded = (
                tuple(_from_jsonable(a) for a in node.get("args", [])),
                _from_jsonable(node.get("kwargs", {})),
            )
            leaves, tree = jax.tree_util.tree_flatten(recorded, is_leaf=_is_tensor_config)
            keys = [
                tuple(x["config"]["keras_history"]) if _is_tensor_config(x) else None
                for x in leaves
            ]
            if any(key is not None and key not in tensors for key in keys):
                continue
            values = [tensors[key] if key is not None else x for key, x in zip(keys, leaves)]
            args, kwargs = jax.tree_util.tree_unflatten(tree, values)
            if "mask" in kwargs and kwargs["mask"] is None:  # Keras records mask=None
                kwargs = {k: v for k, v in kwargs.items() if k != "mask"}
            out = call(layers[name], *args, **kwargs) if call else layers[name](*args, **kwargs)
            for i, t in enumerate(jax.tree_util.tree_leaves(out)):
                tensors[(name, k, i)] = t
            next_index[name] += 1
            pending.remove(item)
            progressed = True
        if not progressed:
            waiting = ", ".join(f"{n}[{k}]" for n, k, _ in pending)
            raise GraphError(
                f"Cannot rebuild the model: calls {waiting} wait for tensors no call produces."
            )

    def resolve(spec: Any) -> Any:
        if _is_history(spec):
            return tensors[tuple(spec)]
        if isinstance(spec, dict):
            return {k: resolve(v) for k, v in spec.items()}
        return [resolve(s) for s in spec]

    inputs = resolve(config["input_layers"])
    outputs = resolve(config["output_layers"])
    return config.get("name"), inputs, outputs
