"""``get_source_inputs``: the model inputs a symbolic tensor is computed from."""

from __future__ import annotations

from typing import Any


def get_source_inputs(tensor: Any) -> Any:
    """The input tensors needed to compute ``tensor``, in the order a depth-first walk
    over each call's inputs (argument order) first reaches them, each once.

    Args:
        tensor: A symbolic tensor (``kerax.Input(...)`` or a layer's output).

    Returns:
        A list of input tensors; ``tensor`` itself, unchanged, when it is not
        symbolic (as Keras returns it).
    """
    from kerax.graph.symbolic import KerasTensor
    from kerax.layers.input_layer import InputLayer

    if not isinstance(tensor, KerasTensor):
        return tensor
    memo: dict[int, list[Any]] = {}

    def sources(t: KerasTensor) -> list[Any]:
        known = memo.get(id(t))
        if known is not None:
            return known
        node = t.node
        if node is None or isinstance(node.layer, InputLayer):
            found = [t] if node is None else list(node.flat_outputs)
        else:
            found = []
            for parent in node.parents:
                for x in sources(parent):
                    if all(x is not s for s in found):
                        found.append(x)
        memo[id(t)] = found
        return found

    return sources(tensor)
