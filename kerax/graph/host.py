"""The host prefix of a graph: host-only layers that map raw model inputs on the host.

``TextVectorization`` and ``StringLookup`` (``host_only = True``) turn strings into
numbers with NumPy, which no compiled program can do. Each one consumes a model input
directly, so the graph splits into a host prefix (input ``i`` -> the layer's
``host_transform``), run where the data enters (``kerax.training.data.flatten_x``), and
the compiled rest, in which the host-only node passes the already mapped array through.
See "Host-only layers" in ``README.md`` in this folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from kerax.errors import GraphError

if TYPE_CHECKING:
    from kerax.graph.ir import Graph


class HostStep(NamedTuple):
    """One step of the host prefix: ``layer.host_transform`` maps input ``input``."""

    input: int
    layer: Any


def _nested_graph(layer: Any) -> Graph | None:
    """The graph of a nested functional / Sequential model, if it has one yet."""
    from kerax.graph.ir import Graph

    graph = getattr(layer, "_graph", None)
    return graph if isinstance(graph, Graph) else None


def _holds_host(layer: Any) -> bool:
    if getattr(layer, "host_only", False):
        return True
    inner = _nested_graph(layer)
    return inner is not None and any(_holds_host(sub) for sub in inner.layers)


def host_prefix(graph: Graph) -> tuple[HostStep, ...]:
    """The host steps of ``graph``, in input order (empty for most models).

    A host-only layer must be the only consumer of a model input. A nested model whose
    own host prefix maps its only input counts as a host step of the outer input that
    feeds it (the outer data path maps it; the nested node passes it through).

    Raises:
        GraphError: Naming the layer, if a host-only layer is not fed by a model input
            of its own (an input that also feeds another layer, or is an output).
    """
    if not any(_holds_host(layer) for layer in graph.layers):
        return ()
    layers = graph.layer_map
    position = {ref: i for i, ref in enumerate(graph.inputs)}
    users: dict[int, list[str]] = {}
    steps: list[tuple[HostStep, str]] = []
    for node in graph.nodes:
        refs = node.refs()
        for ref in refs:
            if ref in position:
                users.setdefault(position[ref], []).append(node.path)
        layer = layers[node.layer]
        if getattr(layer, "host_only", False):
            host = layer
        else:
            inner = _nested_graph(layer)
            inner_steps = host_prefix(inner) if inner is not None else ()
            if not inner_steps:
                continue
            if len(inner.inputs) != 1:  # type: ignore[union-attr]
                raise GraphError(
                    f'Nested model "{layer.name}" of model "{graph.name}" holds host-only '
                    f"layer(s) ({', '.join(s.layer.name for s in inner_steps)}) and has "
                    f"{len(inner.inputs)} inputs: kerax maps raw inputs on the host only for "  # type: ignore[union-attr]
                    "a nested model of one input. Call the host-only layers in the outer "
                    "model, on its Inputs."
                )
            host = inner_steps[0].layer
        if len(refs) != 1 or refs[0] not in position:
            raise GraphError(
                f'Layer "{host.name}" ({type(host).__name__}) maps raw data on the host, so '
                f'it must take an input of model "{graph.name}" directly; in this model it '
                f'is reached through node "{node.path}", fed by '
                f"{[r.to_config() for r in refs]}. Call it on the model's Input."
            )
        steps.append((HostStep(position[refs[0]], host), node.path))
    for ref in graph.outputs:
        if ref in position:
            users.setdefault(position[ref], []).append("a model output")
    for step, path in steps:
        if len(users[step.input]) > 1:
            name = graph.input_names[step.input]
            raise GraphError(
                f'Input "{name}" of model "{graph.name}" feeds the host-only layer '
                f'"{step.layer.name}" ({type(step.layer).__name__}) and also '
                f"{[u for u in users[step.input] if u != path]}: "
                "a host-only layer replaces its input's data by its own output, so it must "
                "be the input's only consumer. Give the other consumers an Input of their own."
            )
    return tuple(sorted((step for step, _ in steps), key=lambda s: s.input))
