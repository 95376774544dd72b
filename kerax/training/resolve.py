"""Compile resolution: Keras's ``compile`` arguments as loss and metric objects.

``compile`` may run before the model is built (a Sequential without an Input), so the
arguments are kept as given and resolved against the outputs once they are known, and
``"accuracy"`` is resolved again once the labels' shapes are known (integer labels mean
sparse categorical accuracy, whatever the loss). Everything here returns new objects
and stores nothing: a compile that fails leaves the previous one in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax import optimizers as _optimizers
from kerax.training.compile_utils import CompiledLoss, CompiledMetrics

#: ``(loss, loss_weights, metrics, weighted_metrics)`` as passed to ``compile``.
CompileArgs = tuple[Any, Any, Any, Any]


def resolve(
    graph: Any, args: CompileArgs, y_true_shapes: Sequence[Any] | None = None
) -> tuple[CompiledLoss | None, CompiledMetrics]:
    """The losses and metrics of ``args`` for the graph's outputs."""
    loss, loss_weights, metrics, weighted_metrics = args
    names = graph.output_names
    compiled_loss = CompiledLoss.build(loss, loss_weights, names) if loss is not None else None
    compiled_metrics = CompiledMetrics.build(
        metrics,
        weighted_metrics,
        names,
        graph.output_specs,
        compiled_loss or CompiledLoss(list(names), [None] * len(names), [1.0] * len(names)),
        y_true_shapes,
    )
    return compiled_loss, compiled_metrics


def label_shapes(ys: Sequence[Any]) -> tuple[Any, ...]:
    """The targets' shapes with a free batch dimension (None for missing targets)."""
    return tuple(None if y is None else (None, *np.shape(y)[1:]) for y in ys)


def refined_metrics(
    graph: Any, args: CompileArgs, current: CompiledMetrics, shapes: tuple[Any, ...]
) -> CompiledMetrics | None:
    """The metrics resolved again for labels of ``shapes``, if that changes a choice
    (``"accuracy"`` becoming sparse categorical accuracy); else None."""
    if args[2] is None and args[3] is None:
        return None
    _, refined = resolve(graph, args, shapes)
    kinds = lambda m: [(e[0], type(e[2])) for e in m.entries]  # noqa: E731
    return refined if kinds(refined) != kinds(current) else None


def compile_config(args: CompileArgs, optimizer: Any) -> dict[str, Any]:
    """The compile arguments that can be written to a file (names, not objects)."""
    loss, loss_weights, metrics, weighted_metrics = args

    def plain(value: Any) -> Any:
        if value is None or isinstance(value, str | int | float):
            return value
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return getattr(value, "name", None)

    return {
        "optimizer": _optimizers.serialize(optimizer)
        if isinstance(optimizer, _optimizers.Optimizer)
        else None,
        "loss": plain(loss),
        "loss_weights": plain(loss_weights),
        "metrics": plain(metrics),
        "weighted_metrics": plain(weighted_metrics),
    }
