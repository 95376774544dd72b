"""The layer base class: Keras's object API over a pure ``apply``.

A layer is configuration plus two pure functions:

* ``build(input_shape)`` declares weights with ``add_weight`` (shapes only, no values);
  it runs once, at the first call, as in Keras.
* ``apply(ctx, *inputs, **kwargs)`` computes outputs from the values in ``ctx``
  (a :class:`~kerax.graph.frame.Context`): ``ctx.params``, ``ctx.state``,
  ``ctx.training``, ``ctx.rng()``, ``ctx.set_state``, ``ctx.add_loss``, and
  ``ctx.call(sublayer, ...)``. Built-in layers implement ``apply`` directly.

Keras-style subclasses implement ``call(inputs, training=None, mask=None)`` and read
``self.w``; the default ``apply`` runs such a ``call`` with ``self.w`` bound to the
traced value (the compat path). Either way the layer takes part in the pure
``init`` / ``apply`` of every model that contains it.

The object itself mutates only on the facade side: at build, when a call records a
node (the guide's node API), and in its single value cell, ``_values``, which holds the
current weights that every model containing the layer shares.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import _naming
from kerax import initializers as _initializers
from kerax import random as _random
from kerax.graph import frame as _frame
from kerax.graph.spec import TensorSpec, canonical_dtype
from kerax.variables import Variable, WeightSpec


class InputSpec:
    """Constraints a layer puts on the rank and sizes of its input.

    Args:
        ndim: Exact rank expected.
        min_ndim: Minimum rank expected.
        max_ndim: Maximum rank expected.
        axes: ``{axis: size}`` sizes expected on given axes.
    """

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        max_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ) -> None:
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def check(self, layer_name: str, index: int, spec: TensorSpec) -> None:
        """Raises ValueError if ``spec`` violates this constraint."""
        problem = None
        if self.ndim is not None and spec.ndim != self.ndim:
            problem = f"expected ndim={self.ndim}, found ndim={spec.ndim}"
        elif self.min_ndim is not None and spec.ndim < self.min_ndim:
            problem = f"expected min_ndim={self.min_ndim}, found ndim={spec.ndim}"
        elif self.max_ndim is not None and spec.ndim > self.max_ndim:
            problem = f"expected max_ndim={self.max_ndim}, found ndim={spec.ndim}"
        else:
            for axis, size in self.axes.items():
                got = spec.shape[axis] if -spec.ndim <= axis < spec.ndim else None
                if got is not None and got != size:
                    problem = f"expected axis {axis} of input shape to have value {size}"
        if problem:
            raise ValueError(
                f'Input {index} of layer "{layer_name}" is incompatible with the layer: '
                f"{problem}. Full shape received: {spec.shape}"
            )


class Layer:
    """Base class of all kerax layers (and of :class:`kerax.Model`).

    Args:
        name: Unique name; defaults to the snake-cased class name with a counter.
        dtype: Dtype of the weights and of the computation (default ``"float32"``).
        trainable: Whether the weights are updated by training.
        activity_regularizer: Optional penalty on the outputs, added to the loss.
        input_shape: For the first layer of a ``Sequential``: the input shape, batch
            dimension excluded. ``input_dim=n`` is short for ``input_shape=(n,)``.
        batch_size: With ``input_shape``, a fixed batch size.
    """

    #: Whether the layer passes an incoming mask through unchanged.
    supports_masking: bool = False
    #: Whether floating inputs are cast to ``compute_dtype`` before ``apply``.
    autocast: bool = True
    #: Whether many steps of this layer may run in one compiled loop on CPU (XLA runs
    #: convolutions in a loop body far slower than at top level there).
    loop_friendly: bool = True

    def __init__(
        self,
        *,
        name: str | None = None,
        dtype: Any = None,
        trainable: bool = True,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        from kerax import mixed_precision, regularizers

        input_dim = kwargs.pop("input_dim", None)
        input_shape = kwargs.pop("input_shape", None)
        batch_size = kwargs.pop("batch_size", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}."
            )
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            batch_size, input_shape = batch_input_shape[0], tuple(batch_input_shape[1:])
        object.__setattr__(self, "_tracked_layers", [])
        self.name = name or _naming.unique_name(_naming.to_snake_case(type(self).__name__))
        policy = mixed_precision.resolve(dtype)
        self.dtype_policy = policy
        #: Dtype of the weights (Keras's ``layer.dtype``).
        self.dtype = policy.variable_dtype
        #: Dtype of the computation: inputs and weights are cast to it when applied.
        self.compute_dtype = policy.compute_dtype
        self._trainable = trainable
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self._batch_size_arg = batch_size
        self.built = False
        self.input_spec: InputSpec | Sequence[InputSpec] | None = None
        self._weight_specs: list[WeightSpec] = []
        self._handles: dict[str, Variable] = {}
        self._values: dict[str, dict[str, jax.Array]] | None = None
        self._live: Any = None  # set while a model's ``fit`` holds the current values
        self._inbound_nodes: list[Any] = []

    # ------------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            tracked = self.__dict__.get("_tracked_layers")
            if tracked is not None:
                for layer in _layers_in(value):
                    if layer is not self and not any(layer is t for t in tracked):
                        tracked.append(layer)
        object.__setattr__(self, name, value)

    def _sublayers(self) -> list[Layer]:
        """The layers whose variables this layer's ``apply`` uses, besides its own."""
        return list(self._tracked_layers)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        name: str | None = None,
        shape: Sequence[int] = (),
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        **_: Any,
    ) -> Variable:
        """Declares a weight; its value is created later, by ``init``.

        Args:
            name: Name, unique within this layer (default ``variable_<n>``).
            shape: Concrete shape.
            initializer: Name, instance or callable; default ``glorot_uniform`` for
                floating weights and ``zeros`` otherwise.
            dtype: Storage dtype; defaults to the layer's dtype.
            trainable: Trainable weights get gradients; others live in ``state``.
            regularizer: Optional ``fn(weight) -> scalar`` penalty.
            constraint: Optional ``fn(weight) -> weight`` applied after each update.

        Returns:
            The :class:`~kerax.variables.Variable` handle.
        """
        from kerax import regularizers

        name = name or f"variable_{len(self._weight_specs)}"
        if any(s.name == name for s in self._weight_specs):
            raise ValueError(f"Layer '{self.name}' already has a weight named '{name}'.")
        dtype = canonical_dtype(dtype or self.dtype)
        if initializer is None:
            floating = np.issubdtype(np.dtype(dtype), np.floating)
            initializer = "glorot_uniform" if floating else "zeros"
        shape = tuple(int(d) for d in shape)
        spec = WeightSpec(
            name=name,
            shape=shape,
            dtype=dtype,
            initializer=_initializers.get(initializer),
            trainable=trainable,
            regularizer=regularizers.get(regularizer),
            constraint=constraint,
        )
        self._weight_specs.append(spec)
        handle = Variable(self, spec)
        self._handles[name] = handle
        return handle

    def build(self, input_shape: Any) -> None:
        """Declares the weights for inputs of ``input_shape``. Default: none."""

    def init(self, key: jax.Array) -> dict[str, dict[str, jax.Array]]:
        """Creates this layer's own weights: ``{"params": {...}, "state": {...}}``."""
        out: dict[str, dict[str, jax.Array]] = {"params": {}, "state": {}}
        for i, spec in enumerate(self._weight_specs):
            value = _initializers.initialize(
                spec.initializer, jax.random.fold_in(key, i), spec.shape, spec.dtype
            )
            out[spec.collection][spec.name] = value
        return out

    def _own_weights(self) -> list[Variable]:
        trainable = [self._handles[s.name] for s in self._weight_specs if s.trainable]
        frozen = [self._handles[s.name] for s in self._weight_specs if not s.trainable]
        return trainable + frozen

    def _sublayers_in_weight_order(self) -> list[Layer]:
        """The sublayers in the order Keras lists their weights: for a model with a
        graph, Keras's layer order (by depth, see ``layout.keras_layer_order``), which
        can differ from the order of first use; otherwise the tracking order."""
        graph = self.__dict__.get("_graph")
        if graph is None:
            return self._sublayers()
        from kerax.graph import layout as _layout

        ordered = _layout.keras_layer_order(graph)
        return ordered + [s for s in self._sublayers() if not any(s is o for o in ordered)]

    @property
    def weights(self) -> list[Variable]:
        """All weights, in Keras's order: own trainable, own non-trainable, sublayers'."""
        out: list[Variable] = []
        seen: set[int] = set()
        subs = self._sublayers_in_weight_order()
        for w in self._own_weights() + [w for s in subs for w in s.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if not w.trainable]

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """The current weight values as NumPy arrays, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets all weights from arrays in ``weights`` order.

        Raises:
            ValueError: On a count or shape mismatch; then no weight is changed.
        """
        handles = self.weights
        if len(weights) != len(handles):
            raise ValueError(
                f"Layer '{self.name}' expects {len(handles)} weight arrays, "
                f"received {len(weights)}."
            )
        for h, w in zip(handles, weights, strict=True):
            if tuple(np.shape(w)) != h.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{h.path}' has shape {h.shape}, "
                    f"received an array of shape {tuple(np.shape(w))}."
                )
        for h, w in zip(handles, weights, strict=True):
            h.assign(w)

    def count_params(self) -> int:
        """The number of scalars in all weights (built layers only)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count. "
                "Call it on an input first."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # The value cell: the one current value of this layer's own weights.
    def _current_values(self) -> dict[str, dict[str, jax.Array]]:
        if self._live is not None:
            return self._live.read(self)
        if self._values is None:
            self._values = self.init(_random.next_key())
        return self._values

    def _assign_value(self, spec: WeightSpec, value: jax.Array) -> None:
        if self._live is not None:
            self._live.write(self, spec.collection, spec.name, value)
            return
        values = self._current_values()
        collection = dict(values[spec.collection])
        collection[spec.name] = value
        self._values = {**values, spec.collection: collection}

    # ------------------------------------------------------------------ calling
    def apply(self, ctx: _frame.Context, *args: Any, **kwargs: Any) -> Any:
        """The pure forward pass. The default runs a Keras-style ``call``."""
        params = _call_parameters(type(self).call)
        if "training" in params and "training" not in kwargs:
            kwargs["training"] = ctx.training
        if "mask" not in params:
            kwargs.pop("mask", None)
        token = _frame.ACTIVE.set(ctx)
        try:
            return self.call(*args, **kwargs)
        finally:
            _frame.ACTIVE.reset(token)

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Keras-style forward pass for subclasses that do not implement ``apply``."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} implements neither `call` nor `apply`."
        )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask; by default, the input mask if ``supports_masking``."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for ``input_shape``, inferred by tracing ``apply``."""
        from kerax.graph import symbolic

        specs = jax.tree_util.tree_map(
            lambda s: TensorSpec(s, self.dtype), input_shape, is_leaf=_is_shape
        )
        out = symbolic.infer_output_specs(self, (specs,), {})
        return jax.tree_util.tree_map(lambda s: s.shape, out)

    def add_loss(self, loss: Any) -> None:
        """Adds ``loss`` to the training loss (inside a Keras-style ``call``)."""
        ctx = _frame.ACTIVE.get()
        if ctx is None:
            raise RuntimeError("`add_loss` can only be used inside the layer's `call`.")
        ctx.add_loss(loss)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from kerax.graph import symbolic

        if symbolic.any_symbolic((args, kwargs)):
            return symbolic.call_symbolic(self, args, kwargs)
        return self._call_eager(args, kwargs)

    def _call_eager(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        from kerax.graph import layout as _layout

        training = kwargs.pop("training", None)
        args, kwargs = jax.tree_util.tree_map(_to_array, (args, kwargs))
        active = _frame.ACTIVE.get()
        if active is not None:
            # A Keras-style ``call`` calling a sublayer: stay inside the pure frame.
            return active.call(self, *args, training=training, **kwargs)
        first = args[0] if args else next(iter(kwargs.values()), None)
        self._check_input_spec([TensorSpec.from_value(x) for x in jax.tree_util.tree_leaves(first)])
        self._ensure_built(args, kwargs)
        lay = _layout.Layout.of([self])
        variables = lay.current()
        frame = _frame.Frame(
            variables["params"],
            variables["state"],
            keys=lay.keys,
            training=bool(training),
            rng=_random.next_key() if training else None,
        )
        out = frame.call(self, self.name, args, kwargs)
        if frame.updates:
            lay.store({"params": variables["params"], "state": frame.new_state()})
        return out

    def _ensure_built(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Builds from the shapes of the first argument, all or nothing."""
        if self.built:
            return
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = jax.tree_util.tree_map(lambda x: TensorSpec.from_value(x).shape, first)
        self._build_guarded(shapes)

    def _snapshot(self) -> tuple[dict[str, Any], list[Any], list[Any]]:
        """What a failed build or call must restore: the attributes, and the contents of
        the lists they mutate in place (weight specs, tracked sublayers)."""
        return dict(self.__dict__), list(self._weight_specs), list(self._tracked_layers)

    def _restore(self, snapshot: tuple[dict[str, Any], list[Any], list[Any]]) -> None:
        attrs, specs, tracked = snapshot
        self.__dict__.clear()
        self.__dict__.update(attrs)
        self._weight_specs[:] = specs
        self._tracked_layers[:] = tracked

    def _build_guarded(self, input_shape: Any) -> None:
        snapshot = self._snapshot()
        try:
            self.build(_as_keras_shape(input_shape))
            self.built = True
        except Exception:
            self._restore(snapshot)
            raise

    def _check_input_spec(self, inputs: Sequence[TensorSpec]) -> None:
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, Sequence) else [self.input_spec]
        for i, (constraint, spec) in enumerate(zip(specs, inputs, strict=False)):
            if constraint is not None:
                constraint.check(self.name, i, spec)

    # ------------------------------------------------------------------ node API
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

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-friendly, as in Keras."""
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype_policy.name,
        }
        if self._input_shape_arg is not None:
            config["batch_input_shape"] = (self._batch_size_arg, *self._input_shape_arg)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Re-creates a layer from ``get_config()`` (or from a Keras 3 layer config)."""
        from kerax.saving.serialization import KERAS_ONLY_KEYS

        return cls(**{k: v for k, v in config.items() if k not in KERAS_ONLY_KEYS})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _layers_in(value: Any) -> Iterator[Layer]:
    if isinstance(value, Layer):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            if isinstance(v, Layer):
                yield v
    elif isinstance(value, dict):
        for v in value.values():
            if isinstance(v, Layer):
                yield v


def walk(roots: Sequence[Layer]) -> list[Layer]:
    """The roots and all their sublayers, depth first, each layer once."""
    out: list[Layer] = []
    seen: set[int] = set()

    def visit(layer: Layer) -> None:
        if id(layer) in seen:
            return
        seen.add(id(layer))
        out.append(layer)
        for sub in layer._sublayers():
            visit(sub)

    for root in roots:
        visit(root)
    return out


_PARAMS_CACHE: dict[Any, frozenset[str]] = {}


def _call_parameters(fn: Any) -> frozenset[str]:
    if fn not in _PARAMS_CACHE:
        _PARAMS_CACHE[fn] = frozenset(inspect.signature(fn).parameters)
    return _PARAMS_CACHE[fn]


def _is_shape(x: Any) -> bool:
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


def _as_keras_shape(shape: Any) -> Any:
    if _is_shape(shape):
        return tuple(shape)
    if isinstance(shape, dict):
        return {k: _as_keras_shape(v) for k, v in shape.items()}
    if isinstance(shape, list | tuple):
        return [_as_keras_shape(s) for s in shape]
    return shape


def _to_array(x: Any) -> Any:
    if isinstance(x, np.ndarray | np.generic):
        return jnp.asarray(x)
    return x
