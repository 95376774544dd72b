"""Models written as classes: ``class M(kerax.Model)`` with layers made in ``__init__``
and a Keras-style ``call``.

Such a model has no graph until it knows its inputs. Its first call on arrays, a
``build(input_shape)``, its first ``fit`` / ``evaluate`` / ``predict`` data, or a call on
symbolic tensors gives it one (:func:`build_graph`): an ``Input`` per input array and a
single node, :class:`CallNode`, whose pure ``apply`` runs the model's ``call`` inside the
frame. From there on it is lowered, compiled and trained exactly like a functional
model: ``call`` is traced once per program (Python control flow on ``training``, on
shapes and on constructor arguments is resolved at trace time), never run per step.

The layers the model reaches are the ones assigned to its attributes (directly, in
lists or dicts, or inside nested models): ``model.layers`` lists them in assignment
order, and the variable layout reaches them through the model itself, so the model's
own weights (``self.add_weight`` in its ``build``) and its sublayers' have one key each,
as in a functional model. Nested in a bigger graph, the model is an ordinary layer
whose ``apply`` runs ``call``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from kerax.graph.spec import TensorSpec
from kerax.graph.trace import trace
from kerax.layers._base import Layer


class CallNode(Layer):
    """The one node of a subclassed model's graph: runs the model's ``call``.

    Its only sublayer is the model, so the layout reaches the model's own weights and,
    through it, every layer the model tracks.
    """

    def __init__(self, model: Layer) -> None:
        super().__init__(name=f"call_{model.name}")  # ends in the model's own counter
        object.__setattr__(self, "_model", model)
        self.built = True

    def _sublayers(self) -> list[Layer]:
        return [self._model]

    def apply(self, ctx: Any, inputs: Any, mask: Any = None) -> Any:
        kwargs = {} if mask is None else {"mask": mask}
        return ctx.call(self._model, inputs, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


def specs_of_data(x: Any) -> Any:
    """The input structure of a first batch of data: TensorSpecs with a free batch axis."""

    def spec(a: Any) -> TensorSpec:
        if not (hasattr(a, "shape") and hasattr(a, "dtype")):
            a = np.asarray(a)
        s = TensorSpec.from_value(a)
        if not s.shape:
            raise ValueError(
                "A subclassed model is built from its first data, which must be arrays "
                f"with a batch axis; received a scalar of dtype {s.dtype}."
            )
        return TensorSpec((None, *s.shape[1:]), s.dtype)

    if isinstance(x, Mapping):
        return {k: spec(v) for k, v in x.items()}
    if isinstance(x, list | tuple) and x and all(hasattr(v, "shape") for v in x):
        return [spec(v) for v in x]
    return spec(x)


def specs_of_shape(input_shape: Any) -> Any:
    """``build(input_shape)``'s argument as TensorSpecs (float32, as Keras builds)."""

    def is_shape(s: Any) -> bool:
        return isinstance(s, tuple | list) and all(d is None or isinstance(d, int) for d in s)

    if is_shape(input_shape):
        return TensorSpec((None, *tuple(input_shape)[1:]), "float32")
    if isinstance(input_shape, Mapping):
        return {k: specs_of_shape(v) for k, v in input_shape.items()}
    return [specs_of_shape(s) for s in input_shape]


def build_graph(model: Any, specs: Any) -> None:
    """Gives ``model`` its graph for inputs of ``specs`` (a TensorSpec structure)."""
    from kerax.layers.input_layer import Input

    def make(spec: TensorSpec, name: str | None) -> Any:
        return Input(batch_shape=spec.shape, dtype=spec.dtype, name=name)

    if isinstance(specs, Mapping):
        inputs: Any = {k: make(s, k) for k, s in specs.items()}
    elif isinstance(specs, list):
        inputs = [make(s, None) for s in specs]
    else:
        inputs = make(specs, None)
    node = CallNode(model)
    outputs = node(inputs)
    model._set_graph(trace(inputs, outputs, model.name))
    model._input_struct, model._output_struct = inputs, outputs
    if model.compiled:  # compiled before it knew its outputs: resolve the losses now
        model._resolve_compile()


def first_input(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """The inputs argument of a call."""
    if args:
        return args[0]
    return kwargs.get("inputs", next(iter(kwargs.values()), None))


def is_symbolic(x: Any) -> bool:
    from kerax.graph import symbolic

    return symbolic.any_symbolic(x)


def leaves(x: Any) -> list[Any]:
    return jax.tree_util.tree_leaves(x)
