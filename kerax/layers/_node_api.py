"""The node API of a layer: the tensors and shapes of the calls it recorded.

Each symbolic call of a layer appends a node to ``_inbound_nodes``; ``input``,
``output``, ``input_shape`` and ``output_shape`` read the only node (or the shapes all
nodes agree on), and ``get_*_at(node_index)`` read one node, as in Keras's guide.
"""

from __future__ import annotations

from typing import Any


class NodeAPI:
    """Mixin of :class:`~kerax.layers.Layer`: the guide's node API."""

    name: str
    _inbound_nodes: list[Any]
    _input_shape_arg: tuple[int | None, ...] | None
    _batch_size_arg: int | None

    def _node_attr(self, attr: str, kind: str) -> Any:
        nodes = self._inbound_nodes
        if not nodes:
            raise AttributeError(
                f"Layer {self.name} is not connected: it has no inbound nodes, so it has no "
                f"{kind}. Call it on a tensor first."
            )
        if len(nodes) > 1:
            raise AttributeError(
                f"Layer {self.name} has multiple inbound nodes, hence the notion of "
                f'"layer {kind}" is ill-defined. Use `get_{kind}_at(node_index)` instead.'
            )
        return getattr(nodes[0], attr)

    def _node_at(self, node_index: int, kind: str) -> Any:
        nodes = self._inbound_nodes
        if not -len(nodes) <= node_index < len(nodes):
            raise ValueError(
                f"Asked to get the {kind} at node {node_index} of layer {self.name}, but the "
                f"layer has only {len(nodes)} inbound node(s)."
            )
        return nodes[node_index]

    def _shape_attr(self, attr: str, kind: str) -> Any:
        nodes = self._inbound_nodes
        if not nodes:
            if kind == "input" and self._input_shape_arg is not None:
                return (self._batch_size_arg, *self._input_shape_arg)
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {kind} shape."
            )
        shapes = [getattr(n, attr) for n in nodes]
        if any(s != shapes[0] for s in shapes[1:]):
            raise AttributeError(
                f'The layer "{self.name}" has multiple inbound nodes with different {kind} '
                f'shapes. Hence the notion of "{kind} shape" is ill-defined for the layer. '
                f"Use `get_{kind}_shape_at(node_index)` instead."
            )
        return shapes[0]

    @property
    def input(self) -> Any:
        """The input tensor(s) of the layer's only call (AttributeError if several)."""
        return self._node_attr("input_tensors", "input")

    @property
    def output(self) -> Any:
        """The output tensor(s) of the layer's only call (AttributeError if several)."""
        return self._node_attr("output_tensors", "output")

    @property
    def input_shape(self) -> Any:
        """The input shape, when all of the layer's calls agree on it."""
        return self._shape_attr("input_shapes", "input")

    @property
    def output_shape(self) -> Any:
        """The output shape, when all of the layer's calls agree on it."""
        return self._shape_attr("output_shapes", "output")

    def get_input_at(self, node_index: int) -> Any:
        """The input tensor(s) of call number ``node_index``."""
        return self._node_at(node_index, "input").input_tensors

    def get_output_at(self, node_index: int) -> Any:
        """The output tensor(s) of call number ``node_index``."""
        return self._node_at(node_index, "output").output_tensors

    def get_input_shape_at(self, node_index: int) -> Any:
        """The input shape(s) of call number ``node_index``."""
        return self._node_at(node_index, "input shape").input_shapes

    def get_output_shape_at(self, node_index: int) -> Any:
        """The output shape(s) of call number ``node_index``."""
        return self._node_at(node_index, "output shape").output_shapes
