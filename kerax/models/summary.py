"""``model.summary()``: Keras 3's layer table, drawn with box characters.

The layout follows Keras 3 (which draws it with ``rich``): the columns' widths come from
``line_length`` and ``positions``, cells wrap at spaces (a word longer than its column
is cut), parameter counts are right-aligned, and the table ends with the parameter
totals and their sizes in bytes.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: (top, header row, below header, row, between rows, bottom): left, fill, joint, right.
_BOX = {
    "top": "┏━┳┓",
    "head": "┃ ┃┃",
    "head_rule": "┡━╇┩",
    "row": "│ ││",
    "rule": "├─┼┤",
    "bottom": "└─┴┘",
}


def _count(weights: Sequence[Any]) -> int:
    return sum(math.prod(w.shape) for w in {id(w): w for w in weights}.values())


def _bytes(weights: Sequence[Any]) -> float:
    """The memory of ``weights`` (each counted once), from their dtypes."""
    unique = {id(w): w for w in weights}.values()
    return float(sum(math.prod(w.shape) * np.dtype(w.dtype).itemsize for w in unique))


def readable_size(size: float) -> str:
    """``"1.01 KB"``: bytes in the largest unit that keeps the number at least 1."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _shape(shape: Any) -> str:
    if isinstance(shape, tuple | list) and all(d is None or isinstance(d, int) for d in shape):
        return "(" + ", ".join(str(d) for d in shape) + ")"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, list | tuple):
        inner = ", ".join(_shape(s) for s in shape)
        return f"[{inner}]" if isinstance(shape, list) else f"({inner})"
    return str(shape)


def _type_name(layer: Any) -> str:
    from kerax.models.functional import Model
    from kerax.models.sequential import Sequential

    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "Functional"
    return type(layer).__name__


# ---------------------------------------------------------------------------- layout


def _wrap(text: str, width: int, align: str) -> list[str]:
    """The lines of a cell ``width`` characters wide, as ``rich`` lays out a table cell:
    breaks at spaces, a word longer than the line on a line of its own and cut with
    ``…``, each line aligned ``"left"``, ``"right"`` or ``"center"``."""
    lines: list[str] = []
    line = ""
    for word in re.findall(r"\s*\S+\s*", text) or [""]:
        if len(line) + len(word.rstrip()) <= width:
            line += word
        else:
            if line:
                lines.append(line)
            line = word
    lines.append(line)
    out = []
    for piece in lines:
        piece = piece.rstrip()
        if len(piece) > width:
            piece = piece[: width - 1] + "…"
        room = width - len(piece)
        if align == "right":
            piece = " " * room + piece
        elif align == "center":
            piece = " " * (room // 2) + piece + " " * (room - room // 2)
        else:
            piece += " " * room
        out.append(piece)
    return out


def _column_widths(line_length: int, positions: Sequence[float], count: int) -> list[int]:
    """The text width of the first ``count`` columns (padding and borders taken out);
    extra positions are ignored, as in Keras."""
    if all(p <= 1 for p in positions):
        ends = [int(p * line_length) for p in positions]
    else:
        ends = [int(p) for p in positions]
    widths = []
    for start, end in zip([0, *ends[:-1]], ends, strict=True):
        if end - start < 4:
            raise ValueError(
                f"summary: the line is too narrow for its columns: line_length={line_length}"
                f" and positions={list(positions)} give a column of {end - start} "
                "characters; at least 4 are needed."
            )
        widths.append(end - start + 2)  # one space of padding on each side
    widths = widths[:count]
    room = line_length - (len(widths) + 1)  # the borders
    excess = sum(widths) - room
    if excess > 0:  # take it out evenly, column by column, as rich does
        remaining, shares = excess, len(widths)
        for i, width in enumerate(widths):
            cut = min(width, round(remaining / shares))
            widths[i] = width - cut
            remaining, shares = remaining - cut, shares - 1
    elif excess < 0:  # fewer columns than positions: the spare room is shared out
        remaining, weight = -excess, sum(widths)
        for i, width in enumerate(widths):
            extra = math.ceil(width * remaining / weight)
            widths[i] = width + extra
            remaining, weight = remaining - extra, weight - width
    return [w - 2 for w in widths]


def _table(
    header: list[str], rows: list[list[str]], widths: list[int], aligns: list[str]
) -> list[str]:
    def rule(kind: str) -> str:
        left, fill, joint, end = _BOX[kind]
        return left + joint.join(fill * (w + 2) for w in widths) + end

    def lines(cells: list[str], kind: str) -> list[str]:
        left, _, joint, end = _BOX[kind]
        wrapped = [_wrap(t, w, a) for t, w, a in zip(cells, widths, aligns, strict=True)]
        height = max(len(c) for c in wrapped)
        for cell, w in zip(wrapped, widths, strict=True):
            blank = [" " * w] * (height - len(cell))
            # the header sits on the bottom line of its row, cells on the top one
            cell[:] = blank + cell if kind == "head" else cell + blank
        return [left + joint.join(f" {c[r]} " for c in wrapped) + end for r in range(height)]

    out = [rule("top"), *lines(header, "head"), rule("head_rule")]
    for i, row in enumerate(rows):
        if i:
            out.append(rule("rule"))
        out.extend(lines(row, "row"))
    out.append(rule("bottom"))
    return out


# ---------------------------------------------------------------------------- content


def _graph(model: Any) -> Any:
    """The model's graph, or None (an unbuilt ``Sequential``, a layer)."""
    if not getattr(model, "built", True):
        return None
    return getattr(model, "graph", None)


def _graph_nodes(model: Any) -> dict[str, list[Any]]:
    """Each layer's nodes in the model's graph (none for a model without one)."""
    graph = _graph(model)
    nodes: dict[str, list[Any]] = {}
    for node in getattr(graph, "nodes", ()):
        nodes.setdefault(node.layer, []).append(node)
    return nodes


def _sequential_like(model: Any) -> bool:
    """Keras's rule: no connections column when no depth of the graph holds two calls,
    no call takes two tensors and no layer is called twice."""
    from kerax.models.sequential import Sequential

    graph = _graph(model)
    if isinstance(model, Sequential) or graph is None:
        return True
    nodes = list(graph.nodes)
    if any(len(node.refs()) > 1 for node in nodes):
        return False
    if any(len(v) > 1 for v in _graph_nodes(model).values()):
        return False
    # Depth: the longest path to an output, inputs included (Keras counts them).
    depth: dict[tuple[str, int], int] = {}
    for ref in graph.outputs:
        depth[(ref.layer, ref.node)] = 0
    for node in reversed(nodes):
        here = depth.setdefault(node.id, 0)
        for ref in node.refs():
            key = (ref.layer, ref.node)
            depth[key] = max(depth.get(key, 0), here + 1)
    counts: dict[int, int] = {}
    for d in depth.values():
        counts[d] = counts.get(d, 0) + 1
    return all(n <= 1 for n in counts.values())


def _output_shape(layer: Any, nodes: list[Any], model: Any) -> str:
    graph = _graph(model)
    if nodes:
        outputs = nodes[-1].outputs  # Keras shows the layer's last call
        if len(outputs) == 1:
            return _shape(outputs[0].shape)
        return _shape([spec.shape for spec in outputs])
    if graph is not None:
        for ref, spec in zip(graph.inputs, graph.input_specs, strict=False):
            if ref.layer == layer.name:
                return _shape(spec.shape)
    called = layer.__dict__.get("_call_shapes")  # called inside a subclassed model's call
    if called:
        return _shape(called[0]) if len(called) == 1 else _shape(called)
    return "?"


def _params(layer: Any) -> str:
    if not getattr(layer, "built", True):
        return "0 (unbuilt)"
    return f"{_count(layer.weights):,}"


def _rows(
    model: Any, layers: list[Any], connected: bool, trainable: bool, expand: bool
) -> list[list[str]]:
    rows: list[list[str]] = []

    def add(layer: Any, level: int, owner: Any) -> None:
        prefix = "   " * level + "└ " if level else ""
        mine = _graph_nodes(owner).get(layer.name, [])
        row = [f"{prefix}{layer.name} ({_type_name(layer)})", _output_shape(layer, mine, owner)]
        row.append(_params(layer))
        if connected:  # calls in this model only: a nested model's layers show "-"
            calls = mine if level == 0 else []
            conns = [f"{r.layer}[{r.node}][{r.index}]" for n in calls for r in n.refs()]
            row.append(", ".join(conns) or "-")
        if trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(row)
        inner = getattr(layer, "layers", None)
        if expand and inner:
            for sub in inner:
                add(sub, level + 1, layer)

    for layer in layers:
        add(layer, 0, model)
    return rows


def _select(layers: list[Any], layer_range: Sequence[str] | None) -> list[Any]:
    if layer_range is None:
        return layers
    if len(layer_range) != 2 or not all(isinstance(p, str) for p in layer_range):
        raise ValueError(
            "summary: `layer_range` must be two strings (the first and last layer "
            f"names or patterns, both included); received {layer_range!r}."
        )
    names = [layer.name for layer in layers]
    first = [i for i, n in enumerate(names) if re.match(layer_range[0], n)]
    last = [i for i, n in enumerate(names) if re.match(layer_range[1], n)]
    if not first or not last:
        missing = layer_range[0] if not first else layer_range[1]
        raise ValueError(
            f"summary: no layer matches {missing!r} of `layer_range`; the layers are {names}."
        )
    return layers[first[0] : last[-1] + 1]


def format_summary(
    model: Any,
    line_length: int | None = None,
    positions: Sequence[float] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Sequence[str] | None = None,
) -> str:
    """Keras 3's summary of ``model`` as text (arguments as :func:`print_summary`)."""
    connected = not _sequential_like(model)
    if connected:
        default, header = 108, ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        positions = positions or [0.3, 0.56, 0.74, 1.0]
    else:
        default, header = 88, ["Layer (type)", "Output Shape", "Param #"]
        positions = positions or [0.45, 0.80, 1.0]
    positions = list(positions)
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
    default = min(default, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(line_length or default, positions, len(header))
    layers = _select(list(model.layers), layer_range)
    rows = _rows(model, layers, connected, show_trainable, expand_nested)
    aligns = ["left", "left", "right", "left"][: len(header) - show_trainable]
    aligns += ["center"] * show_trainable
    # Lines wider than the terminal are cut at its edge, as Keras's console does.
    columns = shutil.get_terminal_size().columns
    table = [line[:columns] for line in _table(header, rows, widths, aligns)]
    lines = [f'Model: "{model.name}"', *table]
    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    optimizer = _optimizer_variables(model)
    total = _count(trainable) + _count(frozen) + _count(optimizer)
    size = _bytes(trainable) + _bytes(frozen) + _bytes(optimizer)
    lines.append(f" Total params: {total:,} ({readable_size(size)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({readable_size(_bytes(trainable))})")
    lines.append(f" Non-trainable params: {_count(frozen):,} ({readable_size(_bytes(frozen))})")
    if optimizer:
        lines.append(
            f" Optimizer params: {_count(optimizer):,} ({readable_size(_bytes(optimizer))})"
        )
    return "\n".join(lines)


def _optimizer_variables(model: Any) -> list[Any]:
    """The compiled optimizer's variables once it has state (Keras lists them then)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(model, "_opt_state", None) is None:
        return []
    return list(getattr(optimizer, "variables", []) or [])


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Sequence[float] | None = None,
    print_fn: Callable[..., Any] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Sequence[str] | None = None,
) -> None:
    """Prints Keras 3's summary table of ``model``.

    Args:
        model: A functional model, a ``Sequential`` or a subclassed model.
        line_length: Width of the table; by default 88 characters (108 with a
            "Connected to" column), at most the terminal's width less 4.
        positions: Where the columns end, as fractions of ``line_length`` (or in
            characters); by default ``[0.45, 0.80, 1.0]`` (``[0.3, 0.56, 0.74, 1.0]``).
        print_fn: Called with the whole summary; ``print`` by default.
        expand_nested: Also list the layers of nested models, indented.
        show_trainable: Add a "Trainable" column (``Y``, ``N``, ``-`` without weights).
        layer_range: Two layer names or patterns: list only the layers from the first
            match of the first to the last match of the second.

    Raises:
        ValueError: If a column would be under 4 characters wide, or ``layer_range``
            is malformed or matches no layer.
    """
    (print_fn or print)(
        format_summary(model, line_length, positions, expand_nested, show_trainable, layer_range)
    )
