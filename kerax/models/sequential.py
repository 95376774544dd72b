"""``Sequential``: a stack of layers, lowered through the same graph IR as ``Model``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kerax import _naming
from kerax.graph import symbolic
from kerax.graph.spec import TensorSpec
from kerax.graph.trace import trace
from kerax.layers._base import Layer
from kerax.layers.input_layer import Input, InputLayer
from kerax.models.functional import Model
from kerax.training import checks as _checks
from kerax.training.trainer import Trainer


class Sequential(Model):
    """A linear stack of layers.

    The graph is built as soon as the input shape is known: from an ``Input`` (or
    ``InputLayer``) given first, from ``input_shape=`` / ``input_dim=`` on the first
    layer, or, deferred, from the first data it is called, fit or evaluated on.

    Args:
        layers: Layers to add, in order.
        name: The model's name.

    Example:
        >>> model = kerax.Sequential()
        >>> model.add(kerax.layers.Dense(2, input_dim=1))
        >>> model.output_shape
        (None, 2)
    """

    def __init__(
        self,
        layers: Sequence[Any] | None = None,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        Layer.__init__(
            self, name=name or _naming.unique_name("sequential"), trainable=trainable, **kwargs
        )
        Trainer.__init__(self)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._tensors: list[symbolic.KerasTensor] = []
        self._input_struct = self._output_struct = None
        self._set_graph(None)
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ stacking
    def add(self, layer: Any) -> None:
        """Appends a layer (or sets the input, given an ``Input`` tensor / ``InputLayer``).

        Raises:
            TypeError: If ``layer`` is not a layer.
            ValueError: If its name is already used, or it cannot take the current output;
                the model is left unchanged.
        """
        if isinstance(layer, symbolic.KerasTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    f"An Input can only be the first element of Sequential '{self.name}'."
                )
            self._input_layer = layer
            self._tensors = [layer.output_tensor]
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add() expects a layer; received {type(layer).__name__}: {layer!r}."
            )
        if any(other.name == layer.name for other in self._stack):
            raise ValueError(
                f"All layers added to Sequential '{self.name}' must have unique names; "
                f"the name '{layer.name}' is already used."
            )
        if not self._tensors and not self._stack and layer._input_shape_arg is not None:
            spec = TensorSpec((layer._batch_size_arg, *layer._input_shape_arg), "float32")
            self._tensors = [Input(batch_shape=spec.shape, dtype=spec.dtype)]
        if self._tensors:
            self._tensors.append(layer(self._tensors[-1]))  # raises before anything changes
        self._stack.append(layer)
        self._refresh()

    def pop(self) -> Layer:
        """Removes and returns the last layer.

        Raises:
            IndexError: If there is no layer to remove.
        """
        if not self._stack:
            raise IndexError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._stack.pop()
        if len(self._tensors) > 1:
            produced = self._tensors.pop()
            layer._inbound_nodes = [n for n in layer._inbound_nodes if n is not produced.node]
        self._refresh()
        return layer

    def _refresh(self) -> None:
        if len(self._tensors) > 1:
            self._input_struct, self._output_struct = self._tensors[0], self._tensors[-1]
            self._set_graph(trace(self._tensors[0], self._tensors[-1], self.name))
        else:
            self._input_struct = self._output_struct = None
            self._set_graph(None)
        if self.compiled:
            self._resolve_compile()

    def build(self, input_shape: Any = None) -> None:
        """Builds the graph for inputs of ``input_shape`` (batch dimension included)."""
        if self._graph is not None:
            return
        if input_shape is None:
            raise ValueError(f"Sequential '{self.name}' needs an input shape to be built.")
        self._rebuild(Input(batch_shape=(None, *tuple(input_shape)[1:])))

    def _ensure_graph(self, x: Any) -> None:
        """Builds a deferred Sequential from the first data it sees.

        Raises:
            ValueError: If ``x`` is not one array of numbers (a Sequential has one
                input); the model stays unbuilt.
        """
        if self._graph is not None or x is None:
            return
        first = self._only_input(x)
        try:
            first = (
                first if hasattr(first, "shape") and hasattr(first, "dtype") else np.asarray(first)
            )
        except (ValueError, TypeError) as err:
            raise ValueError(
                f'Sequential "{self.name}" could not make an array of the data it was first '
                f"given ({type(first).__name__}: {err}), so it cannot be built from it."
            ) from None
        kind = _checks.dtype_category(first.dtype)
        host_first = bool(self._stack) and getattr(self._stack[0], "host_only", False)
        if kind == "text" and host_first and np.ndim(first) >= 1:
            # Raw strings into a first host-only layer (TextVectorization, StringLookup):
            # a string Input, as Keras's exported text models take.
            self._rebuild(Input(batch_shape=(None, *np.shape(first)[1:]), dtype="string"))
            return
        if kind not in ("bool", "int", "float") or np.ndim(first) == 0:
            what = {"text": "text", "complex": "complex numbers"}.get(kind, "Python objects")
            what = "a scalar" if kind in ("bool", "int", "float") else f"an array of {what}"
            raise ValueError(
                f'Sequential "{self.name}" has no input shape yet and cannot be built from '
                f"{what} (shape {tuple(np.shape(first))}, dtype {first.dtype}): it takes "
                "numbers with a batch axis first. Pass such an array, or give the model an "
                "Input(shape=...)."
            )
        spec = TensorSpec.from_value(first)
        self._rebuild(Input(batch_shape=(None, *spec.shape[1:]), dtype=spec.dtype))

    def _only_input(self, x: Any) -> Any:
        """The one input array in ``x`` (an array, a one-item list or dict, or lists)."""
        items: list[Any] | None = None
        if isinstance(x, Mapping):
            items = list(x.values())
        elif isinstance(x, list | tuple) and any(
            hasattr(v, "shape") and hasattr(v, "dtype") for v in x
        ):
            items = list(x)
        if items is None:
            return x
        if len(items) != 1:
            shapes = [tuple(np.shape(v)) for v in items]
            raise ValueError(
                f'Sequential "{self.name}" takes one input, but it received '
                f"{len(items)} arrays with shapes {shapes}. Pass a single array."
            )
        return items[0]

    def _rebuild(self, input_tensor: symbolic.KerasTensor) -> None:
        stack = list(self._stack)
        self._stack, self._tensors = [], [input_tensor]
        try:
            for layer in stack:
                self.add(layer)
        except Exception:
            self._tensors, self._stack = [], stack
            raise

    def _call_eager(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._ensure_graph(args[0] if args else kwargs.get("inputs"))
        return Model._call_eager(self, args, kwargs)

    def _sublayers(self) -> list[Layer]:
        return list(self._stack)

    @property
    def layers(self) -> list[Layer]:
        """The stacked layers (without the InputLayer, as in Keras 3)."""
        return list(self._stack)

    def _check_input_spec(self, inputs: Sequence[TensorSpec]) -> None:
        if self._graph is not None:
            Model._check_input_spec(self, inputs)

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        layers = [serialize_layer(layer) for layer in self._stack]
        if self._input_layer is not None:
            layers.insert(0, serialize_layer(self._input_layer))
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Sequential:
        """Rebuilds a Sequential from ``get_config()`` (fresh weights)."""
        from kerax.saving.serialization import deserialize_layer

        layers = [deserialize_layer(entry, custom_objects) for entry in config["layers"]]
        return cls(layers, name=config.get("name"))
