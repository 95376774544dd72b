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

from kerax.graph import host as _host
from kerax.graph.frame import Frame
from kerax.graph.ir import Graph, Ref
from kerax.graph.layout import Layout, Variables


def _node_mode(frame: Frame, mode: bool, recorded: bool | None) -> bool:
    """The mode of one node. As in Keras 3, the mode the model is called in wins over
    a ``training=`` recorded at graph construction; a recorded one applies only when
    the model is called without a mode (``model(x)``)."""
    if recorded is None or frame.explicit_training:
        return mode
    return recorded


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
            margs, _ = jax.tree_util.tree_unflatten(node.args_tree, mask_leaves)
            in_mask = margs[0] if margs else None
            kwargs = _with_masks(layer, node, kwargs, mask_leaves)
        if in_mask is None and kwargs.get("mask") is not None:
            in_mask = kwargs["mask"]  # an explicit mask= is the incoming mask too
        path = f"{prefix}/{node.path}" if prefix else node.path
        out = frame.call(layer, path, args, kwargs, training=_node_mode(frame, mode, node.training))
        out_leaves = jax.tree_util.tree_leaves(out)
        out_mask = (
            layer.compute_mask(args[0] if args else None, in_mask)
            if in_mask is not None
            else _own_mask(layer, args)
        )
        mask_list = (
            jax.tree_util.tree_leaves(out_mask, is_leaf=lambda m: m is None)
            if out_mask is not None
            else []
        )
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


_PARAMS: dict[type, tuple[list[str], frozenset[str]]] = {}


def call_parameters(layer: Any) -> tuple[list[str], frozenset[str]]:
    """The layer's positional parameter names (after ``self`` / ``ctx``) and all its
    parameter names, read from ``apply`` (or from a Keras-style ``call``)."""
    cls = type(layer)
    if cls not in _PARAMS:
        from kerax.layers._base import Layer

        keras_style = cls.apply is Layer.apply
        fn = cls.call if keras_style else cls.apply
        params = list(inspect.signature(fn).parameters.values())[1 if keras_style else 2 :]
        positional = [
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        _PARAMS[cls] = (positional, frozenset(p.name for p in params))
    return _PARAMS[cls]


def accepts_mask(layer: Any) -> bool:
    """Whether the layer's ``apply`` (or Keras-style ``call``) takes a ``mask``."""
    return "mask" in call_parameters(layer)[1]


def _with_masks(layer: Any, node: Any, kwargs: dict[str, Any], mask_leaves: list[Any]) -> dict:
    """Adds the incoming masks to a call's keywords, by Keras's rule: a call with one
    tensor argument gets ``mask=``; with several, argument ``k`` gets ``k_mask=`` when
    the layer takes such a parameter (``query_mask`` of attention layers)."""
    positional, accepted = call_parameters(layer)
    is_ref = [isinstance(a, Ref) for a in node.args]
    flag_args, flag_kwargs = jax.tree_util.tree_unflatten(node.args_tree, is_ref)
    mask_args, mask_kwargs = jax.tree_util.tree_unflatten(node.args_tree, mask_leaves)
    tensor_args: list[tuple[str, Any]] = []
    for i, flags in enumerate(flag_args):
        if any(jax.tree_util.tree_leaves(flags)):
            name = positional[i] if i < len(positional) else f"arg_{i}"
            tensor_args.append((name, mask_args[i]))
    for key, flags in flag_kwargs.items():
        if any(jax.tree_util.tree_leaves(flags)):
            tensor_args.append((key, mask_kwargs[key]))

    def has_mask(tree: Any) -> bool:
        return any(m is not None for m in jax.tree_util.tree_leaves(tree))

    if len(tensor_args) == 1:
        _, mask = tensor_args[0]
        if "mask" in accepted and kwargs.get("mask") is None and has_mask(mask):
            return {**kwargs, "mask": mask}
        return kwargs
    extra = {
        f"{name}_mask": mask
        for name, mask in tensor_args
        if f"{name}_mask" in accepted and kwargs.get(f"{name}_mask") is None and has_mask(mask)
    }
    return {**kwargs, **extra} if extra else kwargs


@dataclasses.dataclass(frozen=True, eq=False)
class Lowered:
    """The pure functions of a graph.

    Attributes:
        graph: The IR it was lowered from.
        layout: The flat variable layout (which layers own variables, under which key).
    """

    graph: Graph
    layout: Layout

    @property
    def host_prefix(self) -> tuple[_host.HostStep, ...]:
        """The host-only layers that map raw inputs before the data reaches ``apply``
        (``inputs`` given to ``apply`` are already mapped; see ``graph/host.py``)."""
        return _host.host_prefix(self.graph)

    def init(self, rng: jax.Array) -> Variables:
        """Fresh variables: ``{"params": {layer: {...}}, "state": {layer: {...}}}``."""
        return self.layout.init(rng)

    def forward(
        self,
        variables: Variables,
        inputs: Any,
        *,
        training: bool | None = False,
        rng: jax.Array | None = None,
        row_weights: jax.Array | None = None,
    ) -> tuple[Any, Variables, list[Any]]:
        """Like :meth:`apply`, and also returns the extra losses the layers added.

        Args:
            row_weights: Optional ``(batch,)`` 0/1 weights of the real rows of a padded
                batch; activity penalties leave the padding out.
        """
        outputs, state, losses, _ = self.forward_masked(
            variables, inputs, training=training, rng=rng, row_weights=row_weights
        )
        return outputs, state, losses

    def forward_masked(
        self,
        variables: Variables,
        inputs: Any,
        *,
        training: bool | None = False,
        rng: jax.Array | None = None,
        row_weights: jax.Array | None = None,
    ) -> tuple[Any, Variables, list[Any], list[Any]]:
        """Like :meth:`forward`, and also returns the outputs' Keras masks (flat, in
        output order; None where an output carries none), which losses and metrics
        honour."""
        frame = self.frame(variables, training=training, rng=rng, row_weights=row_weights)
        outputs, state, masks = self.run(frame, inputs)
        return outputs, state, frame.losses, masks

    def frame(
        self,
        variables: Variables,
        *,
        training: bool | None = False,
        rng: jax.Array | None = None,
        row_weights: jax.Array | None = None,
    ) -> Frame:
        """The frame one run of the graph reads its variables from and reports to
        (losses the layers add, and who added them)."""
        frame = Frame(
            variables["params"],
            variables.get("state", {}),
            keys=self.layout.keys,
            training=bool(training),
            rng=rng,
            row_weights=row_weights,
        )
        # ``training=None``: called without a mode; recorded ``training=`` args apply.
        frame.explicit_training = training is not None
        return frame

    def run(self, frame: Frame, inputs: Any) -> tuple[Any, Variables, list[Any]]:
        """Runs the graph in ``frame``: ``(outputs, new_state, output masks)``."""
        flat, masks = run_graph(self.graph, frame, self.graph.flatten_inputs(inputs))
        return self.graph.unflatten_outputs(flat), frame.new_state(), masks

    def apply(
        self,
        variables: Variables,
        inputs: Any,
        *,
        training: bool | None = False,
        rng: jax.Array | None = None,
    ) -> tuple[Any, Variables]:
        """Runs the graph: returns ``(outputs, new_state)``.

        Args:
            variables: As returned by :meth:`init` (or ``model.variables``).
            inputs: Nested as the model's inputs, or a list / a dict keyed by input name.
            training: Training mode (Dropout active, BatchNorm batch statistics).
                None: inference, except where a call recorded ``training=True``
                (Keras's ``model(x)`` without a mode).
            rng: PRNG key; required when a layer draws randomness in training mode.
        """
        outputs, state, _ = self.forward(variables, inputs, training=training, rng=rng)
        return outputs, state


def lower(graph: Graph) -> Lowered:
    """Lowers ``graph`` to its pure ``init`` / ``apply``.

    Raises:
        GraphError: If a host-only layer does not take a model input of its own
            (:func:`kerax.graph.host.host_prefix`).
    """
    _host.host_prefix(graph)
    return Lowered(graph, Layout.of(list(graph.layers)))
