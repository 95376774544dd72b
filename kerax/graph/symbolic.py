"""Symbolic tensors and the recording of layer calls (construction time only).

Calling a layer on :class:`KerasTensor` s runs nothing: it builds the layer if needed,
infers output specs by tracing the layer's pure ``apply`` under ``jax.eval_shape``
(symbolic batch dimension), and records a :class:`Node`. Nodes and tensors form the
*history* from which ``Model`` freezes its IR (:mod:`kerax.graph.ir`).

A failed call records nothing and un-builds a layer it had just built, so a bad call
leaves every layer and model exactly as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jax

from kerax.errors import GraphError
from kerax.graph import spec as _spec
from kerax.graph.frame import Frame
from kerax.graph.layout import Layout
from kerax.graph.spec import TensorSpec

if TYPE_CHECKING:
    from kerax.layers._base import Layer


class KerasTensor:
    """A symbolic tensor: a spec plus the call (node) that produced it.

    Attributes:
        shape: The shape, ``None`` for the batch and other unknown dimensions.
        dtype: The dtype name.
        name: A readable name, derived from the producing layer.
    """

    __slots__ = ("spec", "name", "node", "index", "__weakref__")

    def __init__(self, spec: TensorSpec, name: str, node: Node | None = None, index: int = 0):
        self.spec = spec
        self.name = name
        self.node = node
        self.index = index

    @property
    def shape(self) -> tuple[int | None, ...]:
        return self.spec.shape

    @property
    def dtype(self) -> str:
        return self.spec.dtype

    @property
    def ndim(self) -> int:
        return self.spec.ndim

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise TypeError(
            f"A symbolic tensor ({self.name}) has no truth value: it holds no data. "
            "Use it as a layer input, or call the model on arrays."
        )

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"Cannot convert symbolic tensor {self.name} (shape {self.shape}) to a NumPy "
            "array: it holds no data. Build a Model from it and call that on arrays."
        )


class Node:
    """One call of a layer on symbolic tensors.

    Attributes:
        layer: The layer called.
        args: Positional arguments; ``KerasTensor`` leaves are graph edges.
        kwargs: Keyword arguments, likewise.
        training: A ``training=`` given at the call, or ``None``.
        outputs: The output ``KerasTensor`` (s), nested as the layer returned them.
    """

    def __init__(
        self,
        layer: Layer,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        training: bool | None,
        out_specs: Any,
    ) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.training = training
        leaves, treedef = jax.tree_util.tree_flatten(out_specs, is_leaf=_is_spec)
        base = layer.name
        names = [base] if len(leaves) == 1 else [f"{base}_{i}" for i in range(len(leaves))]
        tensors = [KerasTensor(s, n, self, i) for i, (s, n) in enumerate(zip(leaves, names))]
        self.outputs = jax.tree_util.tree_unflatten(treedef, tensors)
        self.flat_outputs: tuple[KerasTensor, ...] = tuple(tensors)

    @property
    def parents(self) -> list[KerasTensor]:
        """The symbolic tensors this call consumed, in argument order."""
        return [
            x
            for x in jax.tree_util.tree_leaves((self.args, self.kwargs), is_leaf=is_tensor)
            if isinstance(x, KerasTensor)
        ]

    @property
    def input_tensors(self) -> Any:
        return self.args[0] if self.args else next(iter(self.kwargs.values()))

    @property
    def output_tensors(self) -> Any:
        return self.outputs

    @property
    def input_shapes(self) -> Any:
        return _shapes(self.input_tensors)

    @property
    def output_shapes(self) -> Any:
        return _shapes(self.outputs)


def _shapes(tree: Any) -> Any:
    if isinstance(tree, KerasTensor):
        return tree.shape
    if isinstance(tree, dict):
        return {k: _shapes(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_shapes(t) for t in tree]
    return tree


def is_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)


def _is_spec(x: Any) -> bool:
    return isinstance(x, TensorSpec)


def any_symbolic(tree: Any) -> bool:
    """Whether ``tree`` holds at least one symbolic tensor."""
    return any(
        isinstance(x, KerasTensor) for x in jax.tree_util.tree_leaves(tree, is_leaf=is_tensor)
    )


def infer_output_specs(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The output specs of ``layer(*args, **kwargs)``, by tracing its pure ``apply``.

    Leaves of ``args`` / ``kwargs`` that are :class:`TensorSpec` or ``KerasTensor`` are
    abstract inputs; anything else is a constant.
    """
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_input)
    positions = [i for i, x in enumerate(leaves) if _is_input(x)]
    specs = [leaves[i].spec if isinstance(leaves[i], KerasTensor) else leaves[i] for i in positions]
    lay = Layout.of([layer])
    key = _spec_cache_key(layer, lay, leaves, positions, treedef, specs)
    if key is not None and key in _SPEC_CACHE:
        return _SPEC_CACHE[key]

    def run(variables: Any, tensors: Sequence[Any]) -> Any:
        filled = list(leaves)
        for i, t in zip(positions, tensors, strict=True):
            filled[i] = t
        a, k = jax.tree_util.tree_unflatten(treedef, filled)
        frame = Frame(
            variables["params"],
            variables["state"],
            keys=lay.keys,
            training=False,
            rng=jax.random.key(0),
        )
        return frame.call(layer, layer.name, a, k)

    out = _spec.concrete(jax.eval_shape(run, lay.abstract(), _spec.abstract(specs)))
    if key is not None:
        if len(_SPEC_CACHE) >= _SPEC_CACHE_SIZE:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[key] = out
    return out


#: Output specs of built-in layers' symbolic calls, by what determines them: the
#: class, the configuration without the name, the weights' shapes, the input specs and
#: any constant arguments. A deep network repeats a few layer configurations many
#: times (a residual block's Dense / Add / LayerNormalization); each is traced once.
_SPEC_CACHE: dict[Any, Any] = {}
_SPEC_CACHE_SIZE = 4096
_SCALARS = (bool, int, float, str, type(None))
#: Layers that wrap a user's function: their configuration names it, not what it does.
_FUNCTION_LAYERS = ("Lambda", "JaxLayer")


def _spec_cache_key(
    layer: Layer,
    lay: Layout,
    leaves: Sequence[Any],
    positions: Sequence[int],
    treedef: Any,
    specs: Sequence[TensorSpec],
) -> Any:
    """The cache key of a symbolic call, or None when it must be traced: a layer (or a
    sublayer) whose class is not one of kerax's own (a user's ``call`` may depend on
    anything), a preprocessing layer (vocabularies and adapted state live outside the
    configuration), ``Lambda`` and ``JaxLayer`` (their configuration names a user's
    function), or arguments that are not plain constants."""
    import json

    layers, stack = [], [layer]
    while stack:  # the layer and every sublayer, built or not (unbuilt ones hold no weights)
        each = stack.pop()
        layers.append(each)
        stack.extend(each._sublayers())
    for each in layers:
        module = type(each).__module__
        if (
            not each.built  # a trace would build it: it must run
            or not module.startswith("kerax.layers.")
            or module.startswith("kerax.layers.preprocessing")
            or type(each).__name__ in _FUNCTION_LAYERS
        ):
            return None
    constants = []
    for i, leaf in enumerate(leaves):
        if i in positions:
            continue
        if not isinstance(leaf, _SCALARS):
            return None
        constants.append((type(leaf).__name__, leaf))
    try:
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        text = json.dumps(config, sort_keys=True)
    except (TypeError, ValueError, NotImplementedError):
        return None
    weights = tuple(
        (s.name, s.shape, str(s.dtype), s.trainable)
        for each in lay.layers
        for s in each._weight_specs
    )
    return (type(layer), text, treedef, tuple(constants), tuple(specs), weights)


def _is_input(x: Any) -> bool:
    return isinstance(x, KerasTensor | TensorSpec)


def call_symbolic(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Records ``layer(*args, **kwargs)`` on symbolic tensors and returns its outputs."""
    kwargs = dict(kwargs)
    training = kwargs.pop("training", None)
    first = args[0] if args else next(iter(kwargs.values()))
    first_specs = [
        t.spec
        for t in jax.tree_util.tree_leaves(first, is_leaf=is_tensor)
        if isinstance(t, KerasTensor)
    ]
    was_built = layer.built
    snapshot = layer._snapshot()
    try:
        layer._check_input_spec(first_specs)
        if not was_built:
            layer._build_guarded(_shapes(first))
        if getattr(layer, "host_only", False):
            out_specs = _host_call_specs(layer, args, kwargs)
        else:
            call_args, call_kwargs = _host_mapped(layer, args, kwargs)
            _refuse_strings(layer, call_args, call_kwargs)
            out_specs = infer_output_specs(layer, call_args, call_kwargs)
        from kerax.layers import _overrides

        if _overrides.user_defines(type(layer), "compute_output_shape"):
            out_specs = _declared_specs(layer, first, out_specs)
    except Exception as err:
        if not was_built:
            layer._restore(snapshot)
        if isinstance(err, GraphError) or layer.name in str(err):
            raise
        received = _spec.format_shapes(first_specs)
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}) cannot be called on inputs of '
            f"shape {received}: {err}"
        ) from err
    node = Node(layer, args, kwargs, training, out_specs)
    layer._inbound_nodes.append(node)
    return node.outputs


def _host_call_specs(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TensorSpec:
    """The output spec of a host-only layer (``TextVectorization``, ``StringLookup``),
    from its ``compute_output_shape`` and ``output_dtype()``: its ``apply`` cannot be
    traced on strings.

    Such a layer runs where data enters the device (see "Host-only layers" in
    ``kerax/graph/README.md``), so it must take a model ``Input`` directly.

    Raises:
        GraphError: If the layer is called on anything but one model ``Input``, or maps
            indices back to strings (``invert=True``), which no compiled model returns.
    """
    from kerax.layers.input_layer import InputLayer

    kind = f'{type(layer).__name__} "{layer.name}"'
    tensors = [
        x for x in jax.tree_util.tree_leaves((args, kwargs), is_leaf=is_tensor) if is_tensor(x)
    ]
    others = [x for x in jax.tree_util.tree_leaves((args, kwargs)) if not is_tensor(x)]
    if len(tensors) != 1 or others:
        raise GraphError(
            f"{kind} takes exactly one tensor, a model Input, and no other argument; it was "
            f"called on {len(tensors)} tensor(s) and {len(others)} other argument(s)."
        )
    (tensor,) = tensors
    producer = tensor.node.layer if tensor.node is not None else None
    if not isinstance(producer, InputLayer):
        source = (
            f'the output of {type(producer).__name__} "{producer.name}"'
            if producer is not None
            else "a tensor with no producing layer"
        )
        raise GraphError(
            f"{kind} maps raw data on the host, before the data reaches the device, so it "
            f"must be called on a model Input directly (e.g. `{layer.name}(kerax.Input("
            f'shape=(1,), dtype="string"))`); it was called on {source} '
            f"({tensor.name}). Put it first in the model, or apply it to the data before "
            "the model (`layer(data)`)."
        )
    if getattr(layer, "invert", False):
        raise GraphError(
            f"{kind} has invert=True: it maps indices back to strings, which a compiled "
            "model cannot return. Call it on the model's predictions instead "
            "(`layer(model.predict(x))`)."
        )
    shape = layer.compute_output_shape(tensor.shape)  # type: ignore[attr-defined]
    return TensorSpec(tuple(shape), layer.output_dtype())  # type: ignore[attr-defined]


def _host_mapped(
    layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments a nested model whose own graph maps its (only) input on the host
    traces on: the spec of its host-only layer's output in place of the raw input, as
    the compiled program receives it. Other layers' arguments are returned as given."""
    from kerax.graph import host

    inner = host._nested_graph(layer)
    steps = host.host_prefix(inner) if inner is not None else ()
    if not steps or len(inner.inputs) != 1:  # type: ignore[union-attr]
        return args, kwargs  # a model of several inputs is refused when lowered
    host = steps[0].layer  # the raw input reaches it unchanged, however deep it sits
    raw = inner.input_specs[0].shape  # type: ignore[union-attr]
    mapped = TensorSpec(tuple(host.compute_output_shape(raw)), host.output_dtype())
    return jax.tree_util.tree_map(
        lambda x: mapped if is_tensor(x) else x, (args, kwargs), is_leaf=is_tensor
    )


def _refuse_strings(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Raises GraphError if a layer that runs on the device is given string tensors."""
    leaves = jax.tree_util.tree_leaves((args, kwargs), is_leaf=_is_input)
    text = [x for x in leaves if _is_input(x) and getattr(x, "dtype", None) == "string"]
    if text:
        name = getattr(text[0], "name", "a string tensor")
        raise GraphError(
            f'Layer "{layer.name}" ({type(layer).__name__}) cannot take the string tensor '
            f"{name}: strings never reach the compiled model. Map them first with a "
            "host-only layer called on the Input (TextVectorization, StringLookup)."
        )


def _declared_specs(layer: Layer, first: Any, traced: Any) -> Any:
    """The output specs a user's ``compute_output_shape`` declares (Keras uses it for
    symbolic calls), with the dtypes the trace found."""
    declared = layer.compute_output_shape(_shapes(first))
    leaves, treedef = jax.tree_util.tree_flatten(traced, is_leaf=_is_spec)
    shapes = jax.tree_util.tree_leaves(
        declared,
        is_leaf=lambda s: (
            isinstance(s, tuple | list) and all(d is None or isinstance(d, int) for d in s)
        ),
    )
    if len(shapes) != len(leaves):
        raise ValueError(
            f"Layer '{layer.name}': compute_output_shape returned {len(shapes)} shape(s) for "
            f"{len(leaves)} output(s) of `call`."
        )
    return jax.tree_util.tree_unflatten(
        treedef, [TensorSpec(tuple(s), t.dtype) for s, t in zip(shapes, leaves, strict=True)]
    )


def input_tensor(spec: TensorSpec, layer: Layer) -> KerasTensor:
    """The tensor an ``InputLayer`` produces (a node with no parents)."""
    node = Node(layer, (), {}, None, spec)
    layer._inbound_nodes.append(node)
    out = node.outputs
    out.name = layer.name
    return out
