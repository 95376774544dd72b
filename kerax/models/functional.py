"""``Model``: the Keras object API over a frozen graph and its pure lowering."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

import jax

from kerax import _naming
from kerax import random as _random
from kerax.graph import frame as _frame
from kerax.graph import ir, symbolic
from kerax.graph.layout import Variables
from kerax.graph.lower import Lowered, lower, run_graph
from kerax.graph.spec import TensorSpec
from kerax.graph.trace import trace
from kerax.layers import _auto_config, _overrides
from kerax.layers._base import Layer, record_losses
from kerax.models import subclassed as _subclassed
from kerax.models.keras_steps import KerasSteps
from kerax.models.stateless import Stateless
from kerax.training import checks as _checks
from kerax.training import data as _data
from kerax.training.trainer import Trainer


class Model(KerasSteps, Stateless, Trainer, Layer):
    """A functional model: the graph between ``inputs`` and ``outputs``.

    A model is also a layer: call it on symbolic tensors to nest it in a bigger graph
    (its weights are shared, not copied), or on arrays to run it.

    Args:
        inputs: The input tensor(s) from ``Input``: one, a list, or a dict.
        outputs: The output tensor(s): one, a list, or a dict.
        name: The model's name.

    Example:
        >>> inputs = kerax.Input(shape=(784,))
        >>> x = kerax.layers.Dense(64, activation="relu")(inputs)
        >>> outputs = kerax.layers.Dense(10, activation="softmax")(x)
        >>> model = kerax.Model(inputs=inputs, outputs=outputs)

    The pure functions are public: ``model.lowered.init(key)`` and
    ``model.lowered.apply(variables, x, training=False, rng=None)``;
    ``model.get_variables()`` returns the current variables in that layout.
    """

    autocast = False  # its layers cast for themselves

    def __init__(
        self,
        inputs: Any = None,
        outputs: Any = None,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        if inputs is None and outputs is None and _overrides.user_defines(type(self), "call"):
            # A model written as a class: its graph comes with its first inputs.
            Layer.__init__(
                self,
                name=name or _naming.unique_name(_naming.to_snake_case(type(self).__name__)),
                trainable=trainable,
                **kwargs,
            )
            self._subclassed = True
            self._input_struct = self._output_struct = None
            self._set_graph(None)
            Trainer.__init__(self)
            return
        if inputs is None or outputs is None:
            raise TypeError(
                "Model needs `inputs` and `outputs`: `Model(inputs=inputs, outputs=outputs)`, "
                "subclass it with a `call` method, or use `Sequential` to stack layers."
            )
        self._subclassed = False
        Layer.__init__(
            self, name=name or _naming.unique_name("functional"), trainable=trainable, **kwargs
        )
        self._set_graph(trace(inputs, outputs, self.name))
        self._input_struct = inputs
        self._output_struct = outputs
        Trainer.__init__(self)

    def _set_graph(self, graph: ir.Graph | None) -> None:
        self._graph = graph
        self.built = graph is not None
        self.__dict__.pop("lowered", None)
        self._apply_cache: dict[bool, Any] = {}

    # ------------------------------------------------------------------ structure
    # ------------------------------------------------------------------ subclassed models
    def build(self, input_shape: Any = None) -> None:
        """Builds a subclassed model for inputs of ``input_shape`` (batch axis included);
        a functional model is built already."""
        if getattr(self, "_subclassed", False) and self._graph is None and input_shape is not None:
            if not getattr(self, "_building_graph", False):
                self._build_subclassed(_subclassed.specs_of_shape(input_shape))

    def _ensure_graph(self, x: Any) -> None:
        if not getattr(self, "_subclassed", False) or self._graph is not None or x is None:
            return
        self._build_subclassed(_subclassed.specs_of_data(x))

    def _build_subclassed(self, specs: Any) -> None:
        """Runs the user's ``build`` (if any) once, then traces the graph over ``specs``."""
        shapes = jax.tree_util.tree_map(lambda s: s.shape, specs, is_leaf=_is_spec)
        self._building_graph = True
        try:
            if not self.built:
                self._build_guarded(shapes)
            if self._graph is None:
                _subclassed.build_graph(self, specs)
        finally:
            self._building_graph = False

    @property
    def graph(self) -> ir.Graph:
        """The frozen IR of this model."""
        if self._graph is None:
            raise ValueError(
                f"Model '{self.name}' has not been built yet: it has no known input shape."
            )
        return self._graph

    @functools.cached_property
    def lowered(self) -> Lowered:
        """The pure ``init`` / ``apply`` of this model's graph."""
        return lower(self.graph)

    def _sublayers(self) -> list[Layer]:
        if getattr(self, "_subclassed", False):
            return list(self._tracked_layers)
        return list(self._graph.layers) if self._graph is not None else []

    @property
    def layers(self) -> list[Layer]:
        """The model's layers, in Keras's order: a functional model's by depth from the
        outputs, Input layers included; a subclassed model's in assignment order."""
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in ``layers``.

        Raises:
            ValueError: If no layer has that name or index.
        """
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Model '{self.name}' has {len(layers)} layers; received index={index}."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[la.name for la in layers]}."
        )

    @property
    def inputs(self) -> list[symbolic.KerasTensor]:
        return list(jax.tree_util.tree_leaves(self._input_struct, is_leaf=symbolic.is_tensor))

    @property
    def outputs(self) -> list[symbolic.KerasTensor]:
        return list(jax.tree_util.tree_leaves(self._output_struct, is_leaf=symbolic.is_tensor))

    @property
    def input_names(self) -> list[str]:
        return self.graph.input_names

    @property
    def output_names(self) -> list[str]:
        return self.graph.output_names

    # The guide's node API on a model: node 0 is the model's own definition.
    @property
    def input(self) -> Any:
        return self._input_struct

    @property
    def output(self) -> Any:
        return self._output_struct

    @property
    def input_shape(self) -> Any:
        return symbolic._shapes(self._input_struct)

    @property
    def output_shape(self) -> Any:
        return symbolic._shapes(self._output_struct)

    def _node_at(self, node_index: int, kind: str) -> Any:
        if node_index == 0:
            return _OwnNode(self)
        return Layer._node_at(self, node_index - 1, kind)

    # ------------------------------------------------------------------ calling
    def apply(self, ctx: Any, inputs: Any, mask: Any = None) -> Any:
        graph = self.graph
        flat = graph.flatten_inputs(inputs)
        masks = None
        if mask is not None:
            masks = jax.tree_util.tree_leaves(mask, is_leaf=lambda m: m is None)
            masks = masks if len(masks) == len(flat) else None
        outs, _ = run_graph(
            graph, ctx.frame, flat, prefix=ctx.path, training=ctx.training, input_masks=masks
        )
        return graph.unflatten_outputs(outs)

    def _check_input_spec(self, inputs: Sequence[TensorSpec]) -> None:
        if self._graph is None and getattr(self, "_subclassed", False):
            return  # built from these inputs next
        _checks.check_input_specs(self.graph, inputs)

    def _call_eager(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _frame.ACTIVE.get() is not None:
            return Layer._call_eager(self, args, kwargs)
        self._ensure_graph(_subclassed.first_input(args, kwargs))
        inputs = args[0] if args else kwargs.pop("inputs")
        training = kwargs.pop("training", None)
        training = None if training is None else bool(training)
        # The same check (and reshape of a trailing unit axis) as predict: before tracing.
        flat = _data.flatten_x(self.graph, inputs)
        if training:
            outputs, state = self._jitted_apply(True)(
                self.get_variables(), flat, _random.next_key()
            )
            self.lowered.layout.store({"params": self.get_variables()["params"], "state": state})
            return outputs
        # A key even in inference: layers may draw there (a SeedGenerator in a custom
        # layer's call), and Keras's generators advance at every call.
        # ``model(x)`` without a mode is inference where no call recorded one (Keras).
        outputs, _ = self._jitted_apply(training)(self.get_variables(), flat, _random.next_key())
        return outputs

    def _jitted_apply(self, training: bool | None) -> Any:
        """``(variables, x, rng) -> (outputs, state)``, jitted; the losses the layers
        added are kept for ``layer.losses`` (their owners are known at trace time)."""
        if training not in self._apply_cache:
            lowered, owners = self.lowered, []

            def run(v, x, rng=None):
                frame = lowered.frame(v, training=training, rng=rng)
                outputs, state, _ = lowered.run(frame, x)
                owners[:] = frame.loss_owners
                return outputs, state, list(frame.losses)

            jitted = jax.jit(run)

            def call(v, x, rng=None):
                outputs, state, losses = jitted(v, x, rng)
                record_losses(self, owners, losses)
                return outputs, state

            self._apply_cache[training] = call
        return self._apply_cache[training]

    # ------------------------------------------------------------------ variables
    def get_variables(self) -> Variables:
        """The current variables as a pytree in ``lowered``'s layout (no copy)."""
        return self.lowered.layout.current()

    def set_variables(self, variables: Variables) -> None:
        """Makes ``variables`` (in ``lowered``'s layout) the current values of the layers.

        Every other model containing the same layers sees the new values.
        """
        self.lowered.layout.store(variables)

    def summary(
        self,
        line_length: int | None = None,
        positions: Sequence[float] | None = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Sequence[str] | None = None,
    ) -> None:
        """Prints Keras 3's table of the layers, output shapes and parameter counts
        (arguments as Keras's; see :func:`kerax.models.summary.print_summary`)."""
        from kerax.models.summary import print_summary

        print_summary(
            self, line_length, positions, print_fn, expand_nested, show_trainable, layer_range
        )

    def get_config(self) -> dict[str, Any]:
        """The Keras 3 functional config (layers, their calls, inputs and outputs) for a
        functional model, or a subclass whose constructor takes ``(inputs, outputs)``.

        A model written as a class (or a functional subclass with its own constructor)
        gets Keras's automatic config: its base config and the plain values its
        constructor was called with; a class whose constructor takes other values must
        write its own ``get_config``.
        """
        if not getattr(self, "_subclassed", False) and _functional_like(type(self)):
            return self.graph.to_config()
        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype_policy.name,
        }
        if type(self).get_config is Model.get_config:
            auto = self.__dict__.get("_auto_config")
            if auto is None:
                raise _auto_config.missing_config_error(self)
            config.update(auto)
        return config

    def get_build_config(self) -> dict[str, Any] | None:
        """A subclassed model's input shape, so that a loaded copy is built before its
        weights are read (functional models are built by their config)."""
        if not getattr(self, "_subclassed", False) or self._graph is None:
            return None
        shapes = [list(t.shape) for t in self.inputs]
        return {"input_shape": shapes[0] if len(shapes) == 1 else shapes}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Model:
        """Rebuilds a model from ``get_config()`` (fresh layers, fresh weights).

        Args:
            config: As returned by ``get_config``.
            custom_objects: ``{class name: class}`` for user-defined layers.
        """
        from kerax.saving.functional import graph_from_config

        functional = all(k in config for k in ("name", "layers", "input_layers", "output_layers"))
        if functional and (cls is Model or _functional_like(cls)):
            name, inputs, outputs = graph_from_config(config, custom_objects)
            return cls(inputs, outputs, name=name)
        try:
            return cls(**config)
        except TypeError as err:
            raise TypeError(
                f"Cannot re-create {cls.__name__} from its config: {err}. The config must "
                f"hold the arguments of {cls.__name__}.__init__ (what `get_config` "
                "returns), or the class must define `from_config(cls, config)`. "
                f"Received config={config}."
            ) from err

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        """Writes the weights to a ``.weights.h5`` file in Keras 3's layout."""
        import os

        from kerax.saving.weights_h5 import save_weights

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
        save_weights(self, filepath)

    def load_weights(self, filepath: str, skip_mismatch: bool = False) -> None:
        """Loads weights from a ``.weights.h5`` file (kerax's or Keras 3's).

        Raises:
            ValueError: If the file does not fit the model; no weight is changed then.
        """
        from kerax.saving.weights_h5 import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def save(self, filepath: str, overwrite: bool = True) -> None:
        """Writes the model (architecture, weights, compile arguments) to a ``.keras``
        file in Keras 3's zip layout; ``kerax.models.load_model`` reads it back."""
        import os

        from kerax.saving.keras_file import save_model

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists and overwrite=False.")
        save_model(self, filepath)

    def export(self, filepath: str, format: str = "jax") -> None:  # noqa: A002 - Keras's name
        """Serializes the inference function with ``jax.export`` (StableHLO with a
        symbolic batch) and the current weights to directory ``filepath``;
        ``kerax.saving.load_exported(filepath)`` serves it without this model's code.

        Raises:
            ValueError: For a ``format`` other than ``"jax"``.
        """
        from kerax.saving.export import export_model

        if format != "jax":
            raise ValueError(
                f"kerax exports with jax.export only: format='jax'; received {format!r}."
            )
        export_model(self, filepath)

    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture as JSON (``kerax.models.model_from_json`` reads it)."""
        import json

        from kerax.saving.serialization import serialize_layer

        return json.dumps(serialize_layer(self), **kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, layers={len(self.layers)}>"


def _functional_like(cls: type) -> bool:
    """Whether ``cls``'s constructor takes a functional model's arguments (Keras's
    rule): ``(inputs, outputs, name=...)``, or ``(*args, **kwargs)``."""
    spec = inspect.getfullargspec(cls.__init__)
    if spec.args[1:] in (["inputs", "outputs", "name"], ["inputs", "outputs", "name", "trainable"]):
        return True
    return spec.varargs is not None and spec.varkw is not None


def _is_spec(x: Any) -> bool:
    return isinstance(x, TensorSpec)


class _OwnNode:
    """Node 0 of a model in the guide's node API: its own inputs and outputs."""

    def __init__(self, model: Model) -> None:
        self.input_tensors = model._input_struct
        self.output_tensors = model._output_struct
        self.input_shapes = model.input_shape
        self.output_shapes = model.output_shape
