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

The class is assembled from one mixin per concept: ``_weights.LayerWeights``
(``add_weight``, ``weights`` in Keras's order, ``get_weights`` / ``set_weights``, the
value cell), ``_node_api.NodeAPI`` (``input``, ``output_shape``, ``get_output_at``, ...),
``_building.Building`` (``build``, input checks, output shapes), and
``_stateless.StatelessCall`` (``stateless_call``). This module keeps
construction, sublayer tracking, calling and config; ``InputSpec`` lives in
``_input_spec``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import _naming
from kerax import random as _random
from kerax.graph import frame as _frame
from kerax.graph.spec import TensorSpec
from kerax.layers import _auto_config, _overrides, _tracking
from kerax.layers._building import Building
from kerax.layers._input_spec import InputSpec
from kerax.layers._node_api import NodeAPI
from kerax.layers._stateless import StatelessCall
from kerax.layers._weights import LayerWeights
from kerax.variables import Variable, WeightSpec

__all__ = ["InputSpec", "Layer", "walk"]


class Layer(LayerWeights, NodeAPI, Building, StatelessCall):
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

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        if _overrides.is_user_class(cls):
            # Keras's automatic config of a user's class (see ``_auto_config``).
            obj.__dict__["_auto_config"] = _auto_config.capture(cls, args, kwargs)
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _overrides.prepare_subclass(cls)

    # ------------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and self.__dict__.get("_tracked_layers") is not None:
            for layer in _layers_in(value):
                self._track_layer(layer)
            self._adopt_variables(value)
            if _overrides.is_user_class(type(self)):
                value = _tracked_container(value, self._track_layer)
        object.__setattr__(self, name, value)

    def _track_layer(self, value: Any) -> None:
        """Adds a layer (or the layers of a list / dict) to this layer's sublayers."""
        self._adopt_variables(value)
        tracked = self._tracked_layers
        for layer in _layers_in(value):
            if layer is not self and not any(layer is t for t in tracked):
                tracked.append(layer)

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
        """Keras-style forward pass.

        On a built-in layer this runs the layer's own computation, so a subclass that
        overrides ``call`` can still use ``super().call(inputs)``.
        """
        return _overrides.builtin_call(self, inputs, *args, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask; by default, the input mask if ``supports_masking``."""
        return mask if self.supports_masking else None

    @property
    def losses(self) -> list[Any]:
        """The losses of this layer and its sublayers, as Keras lists them: those added
        (``add_loss``, activity penalties) during the last eager call, then the
        penalties of the weights that have a regularizer, at their current values."""
        added: list[Any] = []
        penalties: list[Any] = []
        for layer in walk([self]):
            added.extend(layer.__dict__.get("_eager_losses", []))
            if not layer.built:
                continue
            for spec in layer._weight_specs:
                if spec.regularizer is not None:
                    penalties.append(spec.regularizer(layer._handles[spec.name].value))
        return added + penalties

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
            # Drawn only if a layer draws (a SeedGenerator works in inference too).
            rng=_random.next_key,
        )
        out = frame.call(self, self.name, args, kwargs)
        record_losses(self, frame.loss_owners, frame.losses)
        if frame.updates or frame.param_overrides:
            # An eager call runs outside any step: what ``call`` assigned is kept, as a
            # Keras eager call keeps it (trainable weights included).
            lay.store({"params": frame.new_params(), "state": frame.new_state()})
        return out

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
        if type(self).get_config is Layer.get_config and _overrides.is_user_class(type(self)):
            auto = self.__dict__.get("_auto_config")
            if auto is None:
                raise _auto_config.missing_config_error(self)
            config.update(auto)
        return config

    def get_build_config(self) -> dict[str, Any] | None:
        """What ``build_from_config`` needs to build the layer again before its weights
        are loaded (Keras's ``build_config``): None when nothing is needed."""
        return None

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Builds the layer from ``get_build_config()``'s result."""
        shape = config.get("input_shape")
        if shape is not None and not self.built:
            self._build_guarded(shape)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Re-creates a layer from ``get_config()`` (or from a Keras 3 layer config)."""
        from kerax.saving.serialization import KERAS_ONLY_KEYS

        return cls(**{k: v for k, v in config.items() if k not in KERAS_ONLY_KEYS})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def record_losses(root: Layer, owners: Sequence[int], values: Sequence[Any]) -> None:
    """Keeps the losses an eager call of ``root`` added, by the layer that added each
    (what ``layer.losses`` reports until the next call)."""
    layers = walk([root])
    by_id = {id(layer): layer for layer in layers}
    for layer in layers:
        layer.__dict__["_eager_losses"] = []
    for owner, value in zip(owners, values, strict=True):
        if owner in by_id:
            by_id[owner].__dict__["_eager_losses"].append(value)


def _tracked_container(value: Any, track: Any) -> Any:
    """A list or dict that holds layers, or is empty (layers may be added to it later),
    as a tracking container (see ``_tracking``); anything else as it is."""
    if type(value) is list and (not value or any(isinstance(v, Layer) for v in value)):
        return _tracking.TrackedList(value, track)
    if type(value) is dict and (not value or any(isinstance(v, Layer) for v in value.values())):
        return _tracking.TrackedDict(value, track)
    return value


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


def _to_array(x: Any) -> Any:
    if isinstance(x, np.ndarray | np.generic):
        return jnp.asarray(x)
    return x
