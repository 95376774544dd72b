"""Lowering: a frozen :class:`Graph` becomes a pure ``init`` / ``apply`` pair.

``init(rng) -> variables`` and ``apply(variables, inputs, *, training, rng) ->
(outputs, new_state)`` close over the graph only; they read no global state, so they
can be jitted, differentiated, vmapped and nested in the user's own transforms.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence
from typing import Any

import jax

from kerax.graph.frame import Frame
from kerax.graph.ir import Graph, Ref
from kerax.graph.layout import Layout, Variables


def run_graph(
    graph: Graph,
    frame: Frame,
    inputs: Sequence[Any],
    *,
    prefix: str = "",
    training: bool | None = None,
    input_masks: Sequence[Any] | None = None,
) -> tuple[list[Any], list[Any]]:
    """Evaluates ``graph`` node by node inside ``frame``.

    Args:
        graph: The graph.
        frame: Holds the variables and collects state updates and losses.
        inputs: Flat input values, in ``graph.inputs`` order.
        prefix: Path of the enclosing call, for RNG streams (nested models).
        training: The mode; ``None`` takes the frame's.
        input_masks: Optional masks of the inputs.

    Returns:
        The flat outputs and their masks.
    """
    mode = frame.training if training is None else training
    env: dict[Ref, Any] = dict(zip(graph.inputs, inputs, strict=True))
    masks: dict[Ref, Any] = dict(
        zip(graph.inputs, input_masks or [None] * len(inputs), strict=True)
    )
    layers = graph.layer_map
    for node in graph.nodes:
        layer = layers[node.layer]
        values = [env[a] if isinstance(a, Ref) else a.value for a in node.args]
        args, kwargs = jax.tree_util.tree_unflatten(node.args_tree, values)
        mask_leaves = [masks.get(a) if isinstance(a, Ref) else None for a in node.args]
        in_mask = None
        if any(m is not None for m in mask_leaves):
            margs, mkwargs = jax.tree_util.tree_unflatten(node.args_tree, mask_leaves)
            in_mask = margs[0] if margs else None
            if in_mask is not None and "mask" not in kwargs and accepts_mask(layer):
                kwargs = {**kwargs, "mask": in_mask}
        path = f"{prefix}/{node.path}" if prefix else node.path
        out = frame.call(
            layer, path, args, kwargs, training=mode if node.training is None else node.training
        )
        out_leaves = jax.tree_util.tree_leaves(out)
        out_mask = (
            layer.compute_mask(args[0] if args else None, in_mask)
            if in_mask is not None
            else _own_mask(layer, args)
        )
        mask_list = jax.tree_util.tree_leaves(out_mask) if out_mask is not None else []
        for i, value in enumerate(out_leaves):
            ref = Ref(node.layer, node.index, i)
            env[ref] = value
            if len(mask_list) == len(out_leaves):
                masks[ref] = mask_list[i]
    return [env[r] for r in graph.outputs], [masks.get(r) for r in graph.outputs]


def _own_mask(layer: Any, args: tuple[Any, ...]) -> Any:
    """Masks created by a layer itself (``Embedding(mask_zero=True)``, ``Masking``)."""
    if getattr(layer, "creates_mask", False) and args:
        return layer.compute_mask(args[0], None)
    return None


_ACCEPTS: dict[type, bool] = {}


def accepts_mask(layer: Any) -> bool:
    """Whether the layer's ``apply`` (or Keras-style ``call``) takes a ``mask``."""
    cls = type(layer)
    if cls not in _ACCEPTS:
        from kerax.layers._base import Layer

        fn = cls.call if cls.apply is Layer.apply else cls.apply
        _ACCEPTS[cls] = "mask" in inspect.signature(fn).parameters
    return _ACCEPTS[cls]


@dataclasses.dataclass(frozen=True, eq=False)
class Lowered:
    """The pure functions of a graph.

    Attributes:
        graph: The IR it was lowered from.
        layout: The flat variable layout (which layers own variables, under which key).
    """

    graph: Graph
    layout: Layout

    def init(self, rng: jax.Array) -> Variables:
        """Fresh variables: ``{"params": {layer: {...}}, "state": {layer: {...}}}``."""
        return self.layout.init(rng)

    def forward(
        self,
        variables: Variables,
        inputs: Any,
        *,
        training: bool = False,
        rng: jax.Array | None = None,
    ) -> tuple[Any, Variables, list[Any]]:
        """Like :meth:`apply`, and also returns the extra losses the layers added."""
        frame = Frame(
            variables["params"],
            variables.get("state", {}),
            keys=self.layout.keys,
            training=training,
            rng=rng,
        )
        flat, _ = run_graph(self.graph, frame, self.graph.flatten_inputs(inputs))
        return self.graph.unflatten_outputs(flat), frame.new_state(), frame.losses

    def apply(
        self,
        variables: Variables,
        inputs: Any,
        *,
        training: bool = False,
        rng: jax.Array | None = None,
    ) -> tuple[Any, Variables]:
        """Runs the graph: returns ``(outputs, new_state)``.

        Args:
            variables: As returned by :meth:`init` (or ``model.variables``).
            inputs: Nested as the model's inputs, or a list / a dict keyed by input name.
            training: Training mode (Dropout active, BatchNorm batch statistics).
            rng: PRNG key; required when a layer draws randomness in training mode.
        """
        outputs, state, _ = self.forward(variables, inputs, training=training, rng=rng)
        return outputs, state


def lower(graph: Graph) -> Lowered:
    """Lowers ``graph`` to its pure ``init`` / ``apply``."""
    return Lowered(graph, Layout.of(list(graph.layers)))
