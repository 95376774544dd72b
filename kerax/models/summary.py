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


def _type_name(layer: Any) -> str:
    from kerax.models.functional import Model
    from kerax.models.sequential import Sequential

    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "Functional"
    return type(layer).__name__


def _wrap(text: str, width: int) -> list[str]:
    width = max(width - 1, 1)  # keep a space before the next column
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def format_summary(model: Any, line_length: int = 98) -> str:
    """Keras's summary table: layer (type), output shape, parameter count, connections."""
    graph = model.graph
    multi_input = len(graph.inputs) > 1 or any(len(node.refs()) > 1 for node in graph.nodes)
    cols = [0.33, 0.26, 0.13, 0.28] if multi_input else [0.45, 0.35, 0.20]
    widths = [int(line_length * c) for c in cols]
    headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"][: len(widths)]

    def rows(fields: list[list[str]]) -> list[str]:
        cells = [[piece for text in f for piece in _wrap(text, w)] for f, w in zip(fields, widths)]
        height = max(len(c) for c in cells)
        return [
            "".join((c[r] if r < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip()
            for r in range(height)
        ]

    rule = "━" * line_length
    lines = [f'Model: "{model.name}"', rule, *rows([[h] for h in headers]), rule]
    input_layers = [ref.layer for ref in graph.inputs]
    for layer in model.layers:
        nodes = [n for n in graph.nodes if n.layer == layer.name]
        if nodes:
            first = nodes[0].outputs
            shape = _shape_text(first[0].shape if len(first) == 1 else [s.shape for s in first])
        elif layer.name in input_layers:
            shape = _shape_text(graph.input_specs[input_layers.index(layer.name)].shape)
        else:
            shape = ""
        params = sum(int(np.prod(w.shape)) for w in layer.weights)
        fields = [[f"{layer.name} ({_type_name(layer)})"], [shape], [f"{params:,}"]]
        if multi_input:
            conns = [f"{r.layer}[{r.node}][{r.index}]" for n in nodes for r in n.refs()]
            fields.append(conns or ["-"])
        lines.extend(rows(fields))
        lines.append("")
    lines[-1] = rule
    total = sum(int(np.prod(w.shape)) for w in model.weights)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    lines.append(f" Total params: {_fmt_count(total)}")
    lines.append(f" Trainable params: {_fmt_count(trainable)}")
    lines.append(f" Non-trainable params: {_fmt_count(total - trainable)}")
    return "\n".join(lines)
