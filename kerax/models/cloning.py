"""``clone_model``: the same architecture with new layers and fresh weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from kerax.layers._base import Layer
from kerax.layers.input_layer import InputLayer
from kerax.models.functional import Model
from kerax.models.sequential import Sequential


def _default_clone(layer: Layer) -> Layer:
    """A new layer built from ``layer``'s config, with the layer's own functions and
    objects (a config holds a user function by name only)."""
    from kerax.layers.core import Lambda
    from kerax.saving.serialization import _kind_of

    if isinstance(layer, Model):
        return clone_model(layer)
    config = layer.get_config()
    for key in config:
        if _kind_of(key) and getattr(layer, key, None) is not None:
            config[key] = getattr(layer, key)
    if isinstance(layer, Lambda):
        config["function"] = layer.function
    return type(layer).from_config(config)


def _clone_function(
    clone_function: Callable[[Layer], Layer] | None, recursive: bool, call_function: Any
) -> Callable[[Layer], Layer]:
    def clone(layer: Layer) -> Layer:
        if recursive and isinstance(layer, Model):
            return clone_model(
                layer, clone_function=clone_function, call_function=call_function, recursive=True
            )
        new = (clone_function or _default_clone)(layer)
        if not isinstance(new, Layer):
            raise ValueError(
                f"clone_function must return a layer; for layer {layer.name!r} it returned {new!r}."
            )
        return new

    return clone


def _new_input(layer: InputLayer) -> InputLayer:
    return InputLayer.from_config(layer.get_config())


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Model:
    """A new model with the architecture of ``model``, new layers and fresh weights.

    Args:
        model: A functional ``Model`` or a ``Sequential``.
        input_tensors: Tensors (``kerax.Input(...)``) to build the clone on, in the
            structure of ``model.input``; default new inputs like the model's.
        clone_function: ``fn(layer) -> new layer``, called for every layer but the
            inputs; default a layer built from the layer's config.
        call_function: ``fn(layer, *args, **kwargs) -> outputs``, replays each call of
            a functional model (to wrap or skip layers); functional models only.
        recursive: Clone nested models with the same functions instead of passing them
            to ``clone_function``.

    Returns:
        The clone (weights not copied: use ``clone.set_weights(model.get_weights())``).

    Raises:
        ValueError: For an unknown keyword argument, a ``call_function`` with a
            ``Sequential``, or ``input_tensors`` that do not match ``model.input``.
    """
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs)}.")
    if not isinstance(model, Model):
        raise ValueError(f"clone_model expects a kerax Model; received {model!r}.")
    clone = _clone_function(clone_function, recursive, call_function)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "call_function is not supported with Sequential models (their layers are "
                "listed, not called, when the model is built); use a functional model."
            )
        return _clone_sequential(model, input_tensors, clone)
    if type(model) is not Model and (clone_function or call_function or input_tensors):
        raise ValueError(
            f"clone_model's clone_function, call_function and input_tensors need a "
            f"functional model; {type(model).__name__} is a subclass."
        )
    if type(model) is not Model:
        return type(model).from_config(model.get_config())
    return _clone_functional(model, input_tensors, clone, call_function)


def _clone_sequential(model: Sequential, input_tensors: Any, clone: Callable) -> Sequential:
    layers = [clone(layer) for layer in model.layers]
    if input_tensors is not None:
        flat = jax.tree_util.tree_leaves(input_tensors)
        if len(flat) != 1:
            raise ValueError(
                f"A Sequential clone takes one input tensor; received input_tensors={input_tensors!r}."
            )
        return Sequential([flat[0], *layers], name=model.name)
    if model._input_layer is not None:
        layers.insert(0, _new_input(model._input_layer))
    return Sequential(layers, name=model.name)


def _clone_functional(
    model: Model, input_tensors: Any, clone: Callable, call_function: Any
) -> Model:
    from kerax.saving.functional import graph_from_config

    config = model.get_config()
    originals = {layer.name: layer for layer in model.layers}
    given = None
    if input_tensors is not None:
        names = [ref[0] for ref in _input_refs(config["input_layers"])]
        reference = jax.tree_util.tree_structure(model.input)
        received = jax.tree_util.tree_structure(input_tensors)
        flat = jax.tree_util.tree_leaves(input_tensors)
        if received != reference and not (len(flat) == len(names) and len(names) > 1):
            raise ValueError(
                "input_tensors must have the structure of model.input: expected "
                f"{model.input!r}, received {input_tensors!r}."
            )
        given = dict(zip(names, flat))

    def make_layer(entry: dict[str, Any]) -> Layer:
        layer = originals[entry["name"]]
        if isinstance(layer, InputLayer):
            return _new_input(layer)
        return clone(layer)

    name, inputs, outputs = graph_from_config(
        config, make_layer=make_layer, call=call_function, given_inputs=given
    )
    return Model(inputs, outputs, name=name)


def _input_refs(spec: Any) -> list[list[Any]]:
    if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
        return [spec]
    if isinstance(spec, dict):
        return [r for v in spec.values() for r in _input_refs(v)]
    return [r for s in spec for r in _input_refs(s)]
