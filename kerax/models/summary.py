"""``model.summary()``: the layer table Keras prints."""

from __future__ import annotations

from typing import Any

import numpy as np


def _shape_text(tree: Any) -> str:
    if isinstance(tree, tuple) and all(d is None or isinstance(d, int) for d in tree):
        return str(tree)
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k}: {_shape_text(v)}" for k, v in tree.items()) + "}"
    if isinstance(tree, list | tuple):
        return "[" + ", ".join(_shape_text(t) for t in tree) + "]"
    return str(tree)


def _fmt_count(n: int) -> str:
    size = n * 4
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{n:,} ({size:.2f} {unit})"
        size /= 1024
    return f"{n:,}"


def format_summary(model: Any, line_length: int = 98) -> str:
    """Keras's summary table: layer (type), output shape, parameter count, connections."""
    graph = model.graph
    multi_input = len(graph.inputs) > 1 or any(
        sum(1 for a in node.refs()) > 1 for node in graph.nodes
    )
    cols = [0.33, 0.26, 0.13, 0.28] if multi_input else [0.45, 0.35, 0.20]
    widths = [int(line_length * c) for c in cols]
    headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"][: len(widths)]

    def row(fields: list[str]) -> str:
        return "".join(
            f.ljust(w)[:w] if i < len(fields) - 1 else f
            for i, (f, w) in enumerate(zip(fields, widths))
        )

    lines = [f'Model: "{model.name}"', "━" * line_length, row(headers), "━" * line_length]
    counted: set[int] = set()
    for layer in model.layers:
        nodes = [n for n in graph.nodes if n.layer == layer.name]
        shapes = [
            _shape_text(
                list(s.shape for s in n.outputs)[0]
                if len(n.outputs) == 1
                else [s.shape for s in n.outputs]
            )
            for n in nodes
        ]
        if not nodes:
            idx = graph.input_names.index(layer.name) if layer.name in graph.input_names else 0
            shapes = [_shape_text(graph.input_specs[idx].shape)]
        params = sum(int(np.prod(w.shape)) for w in layer.weights)
        counted.add(id(layer))
        fields = [
            f"{layer.name} ({type(layer).__name__})",
            shapes[0] if shapes else "",
            f"{params:,}",
        ]
        if multi_input:
            conns = []
            for n in nodes[:1]:
                conns = [f"{r.layer}[{r.node}][{r.index}]" for r in n.refs()]
            fields.append(", ".join(conns) if conns else "-")
        lines.append(row(fields))
        lines.append("")
    lines[-1] = "━" * line_length
    total = sum(int(np.prod(w.shape)) for w in model.weights)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    lines.append(f" Total params: {_fmt_count(total)}")
    lines.append(f" Trainable params: {_fmt_count(trainable)}")
    lines.append(f" Non-trainable params: {_fmt_count(total - trainable)}")
    return "\n".join(lines)
