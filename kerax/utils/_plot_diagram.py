"""From a model's graph to the diagram ``plot_model`` draws: boxes, edges, clusters.

One box per layer, titled ``name (ClassName)``; one edge per producer/consumer pair,
however many calls share it, so a shared layer is one box with several arrows. With
``expand_nested`` a nested functional model becomes a cluster of its own layers, wired
to the outer layers that feed and read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax

from kerax.utils._plot_scene import Box, Key

_Calls = list[tuple[list[Any], list[Any]]]
"""Per call of a layer: the specs of its inputs and of its outputs."""


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    """What the boxes show; the Keras arguments of ``plot_model`` of the same names."""

    show_shapes: bool = False
    show_dtype: bool = False
    show_layer_names: bool = True
    show_layer_activations: bool = False
    show_trainable: bool = False
    expand_nested: bool = False


@dataclasses.dataclass
class Diagram:
    """Boxes, deduplicated edges between them, and the nested-model clusters.

    Filled by :func:`collect`; mutable only while it is being built.
    """

    boxes: dict[Key, Box] = dataclasses.field(default_factory=dict)
    edges: list[tuple[Key, Key]] = dataclasses.field(default_factory=list)
    clusters: dict[Key, str] = dataclasses.field(default_factory=dict)

    def add_edge(self, src: Key, dst: Key) -> None:
        if (src, dst) not in self.edges:
            self.edges.append((src, dst))


def diagram_of(model: Any, options: Options) -> Diagram:
    """The diagram of a built functional ``Model`` or ``Sequential``."""
    diagram = Diagram()
    _collect(model, (), diagram, options)
    return diagram


def _shape_text(specs: Sequence[Any]) -> str:
    def one(shape: tuple[int | None, ...]) -> str:
        return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"

    if len(specs) == 1:
        return one(specs[0].shape)
    return "[" + ", ".join(one(s.shape) for s in specs) + "]"


def _agreed(texts: list[str]) -> str:
    """The text shared by every call, ``multiple`` when calls differ."""
    if not texts:
        return "?"
    return texts[0] if all(t == texts[0] for t in texts) else "multiple"


def _activation_name(fn: Any) -> str:
    from kerax import activations

    name = activations.serialize(fn)
    if isinstance(name, str):
        return name
    return str(getattr(fn, "name", None) or getattr(fn, "__name__", None) or fn)


def _title(layer: Any, options: Options) -> str:
    class_name = type(layer).__name__
    return f"{layer.name} ({class_name})" if options.show_layer_names else class_name


def _details(layer: Any, calls: _Calls, is_input: bool, options: Options) -> tuple[str, ...]:
    lines = []
    if options.show_shapes:
        if not is_input:
            lines.append("Input shape: " + _agreed([_shape_text(i) for i, _ in calls if i]))
        lines.append("Output shape: " + _agreed([_shape_text(o) for _, o in calls if o]))
    if options.show_dtype:
        dtypes = [", ".join(dict.fromkeys(s.dtype for s in o)) for _, o in calls if o]
        lines.append("Output dtype: " + _agreed(dtypes))
    if options.show_layer_activations and getattr(layer, "activation", None) is not None:
        lines.append("Activation: " + _activation_name(layer.activation))
    if options.show_trainable:
        lines.append("Trainable: " + ("Y" if getattr(layer, "trainable", True) else "N"))
    return tuple(lines)


def _calls_by_layer(graph: Any) -> dict[str, _Calls]:
    from kerax.graph.ir import Ref

    specs: dict[Any, Any] = dict(zip(graph.inputs, graph.input_specs))
    calls: dict[str, _Calls] = {}
    for node in graph.nodes:
        for i, spec in enumerate(node.outputs):
            specs[Ref(node.layer, node.index, i)] = spec
        inputs = [specs[ref] for ref in node.refs()]
        calls.setdefault(node.layer, []).append((inputs, list(node.outputs)))
    for ref, spec in zip(graph.inputs, graph.input_specs):
        calls.setdefault(ref.layer, []).append(([], [spec]))
    return calls


def _collect(
    model: Any, prefix: Key, diagram: Diagram, options: Options
) -> tuple[list[Key], list[Key]]:
    """Adds the boxes and edges of ``model``'s graph under ``prefix``.

    Returns:
        The box keys receiving each flat model input, and those producing each flat
        model output (for wiring an expanded nested model into its parent).
    """
    from kerax.layers.input_layer import InputLayer
    from kerax.models.functional import Model

    graph = model.graph
    calls = _calls_by_layer(graph)
    expanded: dict[str, tuple[list[Key], list[Key]]] = {}
    for layer in graph.layers:
        key = (*prefix, layer.name)
        if (
            options.expand_nested
            and isinstance(layer, Model)
            and getattr(layer, "_graph", None) is not None
        ):
            diagram.clusters[key] = _title(layer, options)
            expanded[layer.name] = _collect(layer, key, diagram, options)
            continue
        is_input = isinstance(layer, InputLayer)
        diagram.boxes[key] = Box(
            key=key,
            title=_title(layer, options),
            details=_details(layer, calls.get(layer.name, []), is_input, options),
            cluster=prefix,
            is_input=is_input,
        )

    def source(ref: Any) -> list[Key]:
        if ref.layer in expanded:
            outs = expanded[ref.layer][1]
            return [outs[ref.index]] if ref.index < len(outs) else list(outs)
        return [(*prefix, ref.layer)]

    layers = graph.layer_map
    for node in graph.nodes:
        if node.layer in expanded:
            pairs = _nested_inputs(node, layers[node.layer], expanded[node.layer][0])
        else:
            pairs = [(ref, (*prefix, node.layer)) for ref in node.refs()]
        for ref, dst in pairs:
            for src in source(ref):
                diagram.add_edge(src, dst)
    input_keys = [key for ref in graph.inputs for key in source(ref)]
    output_keys = [key for ref in graph.outputs for key in source(ref)]
    return input_keys, output_keys


def _nested_inputs(node: Any, nested: Any, input_keys: list[Key]) -> list[tuple[Any, Key]]:
    """Pairs each edge into a call of an expanded model with the input box it feeds."""
    from kerax.graph.ir import Ref

    refs = node.refs()
    try:
        args, kwargs = jax.tree_util.tree_unflatten(node.args_tree, list(node.args))
        inputs = args[0] if args else kwargs["inputs"]
        flat = nested.graph.flatten_inputs(inputs)
        pairs = []
        for value, key in zip(flat, input_keys, strict=True):
            leaves = jax.tree_util.tree_leaves(value, is_leaf=lambda x: isinstance(x, Ref))
            pairs.extend((leaf, key) for leaf in leaves if isinstance(leaf, Ref))
        if pairs:
            return pairs
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    if len(refs) == len(input_keys):
        return list(zip(refs, input_keys))
    return [(ref, key) for ref in refs for key in input_keys]
