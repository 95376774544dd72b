"""Tracing a user's endpoint with the tracked weights as explicit arguments.

A kerax layer reads its weights from its value cell; during ``fit`` the cell reads
through to the live train state (``layer._live``). An endpoint is traced the same way:
while ``jax.export`` traces it, each tracked layer's cell reads through to the traced
weight arguments, so the program takes the weights as inputs instead of baking them in
as constants, and whatever ``fn`` does with the layers (``model(x)``, ``model.call``,
a sub-model, a single layer) sees them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import jax


def is_spec(x: Any) -> bool:
    """Whether ``x`` describes one input: it has a ``shape`` and a ``dtype``."""
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, type)


def layers_of(resource: Any) -> list[Any]:
    """The weight-owning layers of a kerax layer or model, nested ones included."""
    from kerax.graph.layout import Layout
    from kerax.layers import Layer

    if not isinstance(resource, Layer):
        raise TypeError(
            "ExportArchive.track() takes a kerax Layer or Model; received "
            f"{type(resource).__name__}. (TensorFlow resources such as lookup tables do not "
            "exist in kerax; its lookup layers are tracked with the model that holds them.)"
        )
    if not getattr(resource, "built", True):
        raise ValueError(
            f"ExportArchive.track(): layer '{resource.name}' is not built yet, so it has no "
            "weights to export. Call it on an input first."
        )
    return list(Layout.of([resource]).layers)


class _Traced:
    """A value cell binding: each layer reads its traced weight arguments."""

    def __init__(self, values: dict[int, dict[str, dict[str, Any]]]) -> None:
        self._values = values

    def read(self, layer: Any) -> dict[str, dict[str, Any]]:
        return self._values[id(layer)]

    def write(self, layer: Any, collection: str, name: str, value: Any) -> None:
        # A state update made while serving (Keras's is_static=True): seen by the rest
        # of this call, not kept.
        values = self._values[id(layer)]
        self._values[id(layer)] = {**values, collection: {**values[collection], name: value}}


@contextlib.contextmanager
def bind_values(
    layers: Sequence[Any], weights: Sequence[Sequence[Any]], templates: Sequence[Any]
) -> Iterator[None]:
    """Makes ``weights[i]`` (the leaves of ``templates[i]``) the values ``layers[i]``
    reads until the block ends; the layers' previous bindings come back after it."""
    values = {
        id(layer): jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(t), list(w))
        for layer, w, t in zip(layers, weights, templates)
    }
    cell = _Traced(values)
    previous = [layer._live for layer in layers]
    try:
        for layer in layers:
            layer._live = cell
        yield
    finally:
        for layer, live in zip(layers, previous):
            layer._live = live
