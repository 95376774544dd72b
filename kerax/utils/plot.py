"""``plot_model``: draws a model's graph as SVG or PNG, without graphviz.

The drawing follows Keras's ``plot_model`` (one box per layer, one arrow per
producer/consumer pair, a shared layer drawn once with several arrows) and lays the
graph out itself, in the layered style of graphviz's ``dot``:

1. Cycles that sharing can create between boxes (a layer called before and after
   another) are broken by reversing the back edges found by a depth-first search;
   those arrows still point the right way when drawn.
2. Each box gets a rank: its depth in the graph, the longest path from the inputs.
   An input that feeds only deeper layers moves down next to its first consumer, as
   ``dot`` places it.
3. Edges spanning several ranks get invisible waypoints, one per rank crossed.
4. Within each rank, boxes are ordered by alternating barycentre sweeps (down and up),
   keeping the order with the fewest edge crossings. The boxes of a nested model
   stay together in every rank.
5. Positions along a rank are the least-squares fit of each box to its neighbours,
   under the minimum spacing (pool-adjacent-violators), a few sweeps over the ranks.

Text is a fixed-width font: SVG asks for a monospace font, PNG uses the built-in
bitmap font of :mod:`kerax.utils._font`, rasterized by :mod:`kerax.utils._raster`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import jax

from kerax.utils import _font, _raster

__all__ = ["PlotResult", "plot_model"]

# Layout units: one unit is one pixel of the bitmap font at scale 1.
_CHAR_W = _font.CELL_W
_LINE_H = _font.LINE_H
_PAD_X = 8
_PAD_Y = 5
_TITLE_H = _LINE_H + 2 * _PAD_Y
_MIN_BOX_W = 48
_NODE_GAP = 24
_DUMMY_GAP = 10
_RANK_GAP = 40
_CLUSTER_PAD = 10
_CLUSTER_LABEL_H = _LINE_H + 4
_MARGIN = 12
_ARROW_LEN = 8.0
_ARROW_HALF = 3.5
_LOOP = 18
_SVG_SCALE = 1.5

_BOX_FILL = "#ffffff"
_TITLE_FILL = "#dce6f2"
_INPUT_FILL = "#e2f0d9"
_BORDER = "#34495e"
_TEXT = "#17202a"
_DETAIL = "#4a5560"
_EDGE = "#2c3e50"
_CLUSTER_FILL = "#f3f5f8"
_CLUSTER_BORDER = "#8a96a3"

_RANKDIRS = ("TB", "LR", "BT", "RL")
_FORMATS = ("png", "svg")


@dataclasses.dataclass(frozen=True)
class PlotResult:
    """What :func:`plot_model` returns: the file written and its bytes.

    In a notebook it displays itself (``_repr_png_`` or ``_repr_svg_``), as the
    ``IPython.display.Image`` returned by Keras does; elsewhere it can be used as a
    path (``os.fspath(result)``).

    Attributes:
        path: The file written.
        format: ``"png"`` or ``"svg"``.
        data: The file's bytes.
        width: Image width in pixels (PNG) or in CSS pixels (SVG).
        height: Image height, likewise.
    """

    path: str
    format: str
    data: bytes
    width: int
    height: int

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_svg_(self) -> str | None:
        return self.data.decode("utf-8") if self.format == "svg" else None

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        return self.path


def plot_model(
    model: Any,
    to_file: str | os.PathLike[str] = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
) -> PlotResult:
    """Draws a model's graph to a PNG or SVG file.

    Each layer is a box titled ``name (ClassName)``; an arrow joins each layer to each
    layer consuming its output. A layer called several times (shared) is one box with
    several arrows. No graphviz is needed: the layout and the rendering are kerax's own.

    Args:
        model: A built ``Model`` or ``Sequential``.
        to_file: Where to write; the extension picks the format, ``.png`` (also the
            default without an extension) or ``.svg``.
        show_shapes: Adds each layer's input and output shapes (``multiple`` for a
            shared layer whose calls differ).
        show_dtype: Adds the output dtype.
        show_layer_names: Titles boxes ``name (ClassName)`` instead of ``ClassName``.
        rankdir: ``"TB"`` (top to bottom), ``"LR"`` (left to right), or ``"BT"`` /
            ``"RL"`` for the reversed directions.
        expand_nested: Draws a nested model as a labelled cluster of its own layers
            instead of one box.
        dpi: Resolution of the PNG: the drawing is scaled by ``round(dpi / 96)``
            (at least 1) and the resolution is recorded in the file. The SVG is
            vector and ignores it.
        show_layer_activations: Adds the activation of layers that have one.
        show_trainable: Adds ``Trainable: Y`` or ``Trainable: N``.

    Returns:
        A :class:`PlotResult` holding the path and the bytes written; it renders
        itself in notebooks.

    Raises:
        ValueError: For an extension other than ``.png`` / ``.svg``, an unknown
            ``rankdir``, or a model that is not built yet.
    """
    path = os.fspath(to_file)
    extension = os.path.splitext(path)[1].lower().lstrip(".") or "png"
    if extension not in _FORMATS:
        raise ValueError(
            f"plot_model writes PNG or SVG files; received to_file={path!r} "
            f"(extension '.{extension}'). kerax draws the graph itself, without graphviz, "
            "so only '.png' and '.svg' are supported."
        )
    direction = str(rankdir).upper()
    if direction not in _RANKDIRS:
        raise ValueError(
            f"Unknown rankdir {rankdir!r}: use 'TB' (top to bottom) or 'LR' (left to "
            "right), or 'BT' / 'RL'."
        )
    if not hasattr(model, "graph"):
        raise ValueError(
            f"plot_model expects a functional Model or a Sequential; received "
            f"{type(model).__name__}."
        )
    options = _Options(
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        expand_nested=expand_nested,
    )
    diagram = _Diagram()
    _collect(model, (), diagram, options)
    scene = _layout(diagram, direction)
    if extension == "svg":
        text = render_svg(scene)
        data = text.encode("utf-8")
        width, height = round(scene.width * _SVG_SCALE), round(scene.height * _SVG_SCALE)
    else:
        scale = max(1, round(dpi / 96))
        canvas = render_canvas(scene, scale)
        data = canvas.to_png(dpi=dpi)
        width, height = canvas.width, canvas.height
    with open(path, "wb") as f:
        f.write(data)
    return PlotResult(path=path, format=extension, data=data, width=width, height=height)


# ---------------------------------------------------------------- the diagram


@dataclasses.dataclass(frozen=True)
class _Options:
    show_shapes: bool
    show_dtype: bool
    show_layer_names: bool
    show_layer_activations: bool
    show_trainable: bool
    expand_nested: bool


@dataclasses.dataclass
class _Box:
    key: tuple[str, ...]
    title: str
    details: list[str]
    cluster: tuple[str, ...]
    is_input: bool

    @property
    def width(self) -> float:
        widest = max(len(line) for line in [self.title, *self.details])
        return max(_MIN_BOX_W, widest * _CHAR_W - 1 + 2 * _PAD_X)

    @property
    def height(self) -> float:
        if not self.details:
            return _TITLE_H
        return _TITLE_H + len(self.details) * _LINE_H + 2 * _PAD_Y - 2


@dataclasses.dataclass
class _Diagram:
    """Boxes, deduplicated edges between them, and the nested-model clusters."""

    boxes: dict[tuple[str, ...], _Box] = dataclasses.field(default_factory=dict)
    edges: list[tuple[tuple[str, ...], tuple[str, ...]]] = dataclasses.field(default_factory=list)
    clusters: dict[tuple[str, ...], str] = dataclasses.field(default_factory=dict)

    def add_edge(self, src: tuple[str, ...], dst: tuple[str, ...]) -> None:
        if (src, dst) not in self.edges:
            self.edges.append((src, dst))


def _shape_text(specs: Sequence[Any]) -> str:
    def one(shape: tuple[int | None, ...]) -> str:
        return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"

    if len(specs) == 1:
        return one(specs[0].shape)
    return "[" + ", ".join(one(s.shape) for s in specs) + "]"


def _agreed(texts: list[str]) -> str:
    if not texts:
        return "?"
    return texts[0] if all(t == texts[0] for t in texts) else "multiple"


def _activation_name(fn: Any) -> str:
    from kerax import activations

    name = activations.serialize(fn)
    if isinstance(name, str):
        return name
    return str(getattr(fn, "name", None) or getattr(fn, "__name__", None) or fn)


def _title(layer: Any, options: _Options) -> str:
    class_name = type(layer).__name__
    return f"{layer.name} ({class_name})" if options.show_layer_names else class_name


def _details(
    layer: Any,
    calls: list[tuple[list[Any], list[Any]]],
    is_input: bool,
    options: _Options,
) -> list[str]:
    lines = []
    if options.show_shapes:
        if not is_input:
            lines.append("Input shape: " + _agreed([_shape_text(i) for i, _ in calls if i]))
        lines.append("Output shape: " + _agreed([_shape_text(o) for _, o in calls if o]))
    if options.show_dtype:
        dtypes = [", ".join(dict.fromkeys(s.dtype for s in o)) for _, o in calls if o]
        lines.append("Output dtype: " + _agreed(dtypes))
    if options.show_layer_activations and getattr(layer, "activation", None) is not None:
        lines.append("Activation: " + _activation_name(layer.activation))
    if options.show_trainable:
        lines.append("Trainable: " + ("Y" if getattr(layer, "trainable", True) else "N"))
    return lines


def _collect(
    model: Any, prefix: tuple[str, ...], diagram: _Diagram, options: _Options
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Adds the boxes and edges of ``model``'s graph under ``prefix``.

    Returns:
        The box keys receiving each flat model input, and those producing each flat
        model output (for wiring an expanded nested model into its parent).
    """
    from kerax.graph.ir import Ref
    from kerax.layers.input_layer import InputLayer
    from kerax.models.functional import Model

    graph = model.graph
    specs: dict[Any, Any] = dict(zip(graph.inputs, graph.input_specs))
    calls: dict[str, list[tuple[list[Any], list[Any]]]] = {}
    for node in graph.nodes:
        for i, spec in enumerate(node.outputs):
            specs[Ref(node.layer, node.index, i)] = spec
        inputs = [specs[ref] for ref in node.refs()]
        calls.setdefault(node.layer, []).append((inputs, list(node.outputs)))
    for ref, spec in zip(graph.inputs, graph.input_specs):
        calls.setdefault(ref.layer, []).append(([], [spec]))

    expanded: dict[str, tuple[list[tuple[str, ...]], list[tuple[str, ...]]]] = {}
    for layer in graph.layers:
        key = (*prefix, layer.name)
        if (
            options.expand_nested
            and isinstance(layer, Model)
            and getattr(layer, "_graph", None) is not None
        ):
            diagram.clusters[key] = _title(layer, options)
            expanded[layer.name] = _collect(layer, key, diagram, options)
            continue
        is_input = isinstance(layer, InputLayer)
        diagram.boxes[key] = _Box(
            key=key,
            title=_title(layer, options),
            details=_details(layer, calls.get(layer.name, []), is_input, options),
            cluster=prefix,
            is_input=is_input,
        )

    def source(ref: Any) -> list[tuple[str, ...]]:
        if ref.layer in expanded:
            outs = expanded[ref.layer][1]
            return [outs[ref.index]] if ref.index < len(outs) else list(outs)
        return [(*prefix, ref.layer)]

    layers = graph.layer_map
    for node in graph.nodes:
        if node.layer in expanded:
            pairs = _nested_inputs(node, layers[node.layer], expanded[node.layer][0])
        else:
            pairs = [(ref, (*prefix, node.layer)) for ref in node.refs()]
        for ref, dst in pairs:
            for src in source(ref):
                diagram.add_edge(src, dst)
    input_keys = [key for ref in graph.inputs for key in source(ref)]
    output_keys = [key for ref in graph.outputs for key in source(ref)]
    return input_keys, output_keys


def _nested_inputs(
    node: Any, nested: Any, input_keys: list[tuple[str, ...]]
) -> list[tuple[Any, tuple[str, ...]]]:
    """Pairs each edge into a call of an expanded model with the input box it feeds."""
    from kerax.graph.ir import Ref

    refs = node.refs()
    try:
        args, kwargs = jax.tree_util.tree_unflatten(node.args_tree, list(node.args))
        inputs = args[0] if args else kwargs["inputs"]
        flat = nested.graph.flatten_inputs(inputs)
        pairs = []
        for value, key in zip(flat, input_keys, strict=True):
            leaves = jax.tree_util.tree_leaves(value, is_leaf=lambda x: isinstance(x, Ref))
            pairs.extend((leaf, key) for leaf in leaves if isinstance(leaf, Ref))
        if pairs:
            return pairs
    except (ValueError, KeyError, IndexError, TypeError):
        pass
    if len(refs) == len(input_keys):
        return list(zip(refs, input_keys))
    return [(ref, key) for ref in refs for key in input_keys]


# ---------------------------------------------------------------- layout


@dataclasses.dataclass
class _PlacedBox:
    box: _Box
    x: float
    y: float
    w: float
    h: float


@dataclasses.dataclass
class _PlacedEdge:
    src: tuple[str, ...]
    dst: tuple[str, ...]
    points: list[tuple[float, float]]


@dataclasses.dataclass
class _PlacedCluster:
    label: str
    depth: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclasses.dataclass
class Scene:
    """A laid-out diagram in layout units (1 unit = 1 px at 96 dpi)."""

    width: float
    height: float
    boxes: list[_PlacedBox]
    edges: list[_PlacedEdge]
    clusters: list[_PlacedCluster]


Key = tuple[Any, ...]


def _back_edges(nodes: list[Key], succ: dict[Key, list[Key]], pred: dict[Key, list[Key]]) -> set:
    """Edges closing a cycle, found by an iterative depth-first search from the sources."""
    state = dict.fromkeys(nodes, 0)
    back: set[tuple[Key, Key]] = set()
    roots = [n for n in nodes if not pred[n]] + [n for n in nodes if pred[n]]
    for root in roots:
        if state[root]:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if state[child] == 0:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))
                    break
                if state[child] == 1:
                    back.add((node, child))
            else:
                state[node] = 2
                stack.pop()
    return back


def _ranks(nodes: list[Key], edges: list[tuple[Key, Key]]) -> dict[Key, int]:
    succ: dict[Key, list[Key]] = {n: [] for n in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    rank = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if indeg[n] == 0]
    sources = set(ready)
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in succ[node]:
            rank[child] = max(rank[child], rank[node] + 1)
            indeg[child] -= 1
            if indeg[child] == 0:
                ready.append(child)
    for node in sources:
        if succ[node]:
            rank[node] = min(rank[c] for c in succ[node]) - 1
    low = min(rank.values(), default=0)
    return {n: r - low for n, r in rank.items()}


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _grouped_sort(
    items: list[Key], key: dict[Key, float], cluster: dict[Key, tuple[str, ...]], depth: int = 0
) -> list[Key]:
    """Sorts ``items`` by ``key`` while keeping members of one cluster adjacent."""
    groups: dict[Any, list[Key]] = {}
    for item in items:
        path = cluster[item]
        group = ("cluster", path[depth]) if len(path) > depth else ("node", item)
        groups.setdefault(group, []).append(item)
    ordered = sorted(
        groups.items(), key=lambda kv: sum(key[i] for i in kv[1]) / len(kv[1])
    )  # stable: ties keep the current order
    out: list[Key] = []
    for (kind, _), members in ordered:
        if kind == "cluster" and len(members) > 1:
            out.extend(_grouped_sort(members, key, cluster, depth + 1))
        else:
            out.extend(members)
    return out


def _crossings(order: list[list[Key]], succ: dict[Key, list[Key]]) -> int:
    total = 0
    for r in range(len(order) - 1):
        pos = {n: i for i, n in enumerate(order[r + 1])}
        ends = sorted((i, pos[b]) for i, a in enumerate(order[r]) for b in succ[a] if b in pos)
        for i in range(len(ends)):
            for j in range(i + 1, len(ends)):
                if ends[i][0] < ends[j][0] and ends[i][1] > ends[j][1]:
                    total += 1
    return total


def _pav(desired: list[float], seps: list[float]) -> list[float]:
    """Least-squares positions close to ``desired`` with ``x[i+1] - x[i] >= seps[i]``."""
    offsets = [0.0]
    for s in seps:
        offsets.append(offsets[-1] + s)
    blocks: list[list[float]] = []
    for d, o in zip(desired, offsets):
        blocks.append([d - o, 1.0, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight
            blocks[-1][2] += count
    fitted: list[float] = []
    for total, weight, count in blocks:
        fitted.extend([total / weight] * int(count))
    return [f + o for f, o in zip(fitted, offsets)]


def _layout(diagram: _Diagram, rankdir: str) -> Scene:
    boxes = diagram.boxes
    nodes: list[Key] = list(boxes)
    horizontal = rankdir in ("LR", "RL")
    along = {n: (boxes[n].height if horizontal else boxes[n].width) for n in nodes}
    across = {n: (boxes[n].width if horizontal else boxes[n].height) for n in nodes}
    cluster = {n: boxes[n].cluster for n in nodes}
    index = {n: i for i, n in enumerate(nodes)}

    loops = {a for a, b in diagram.edges if a == b}
    plain = [(a, b) for a, b in diagram.edges if a != b]
    succ: dict[Key, list[Key]] = {n: [] for n in nodes}
    pred: dict[Key, list[Key]] = {n: [] for n in nodes}
    for a, b in plain:
        succ[a].append(b)
        pred[b].append(a)
    back = _back_edges(nodes, succ, pred)
    flipped = [(a, b) in back for a, b in plain]
    directed = [((b, a) if f else (a, b)) for (a, b), f in zip(plain, flipped)]
    rank = _ranks(nodes, list(dict.fromkeys(directed)))

    # Waypoints for edges longer than one rank.
    lsucc: dict[Key, list[Key]] = {n: [] for n in nodes}
    lpred: dict[Key, list[Key]] = {n: [] for n in nodes}
    chains: list[list[Key]] = []
    seed = dict(index)
    for e, (a, b) in enumerate(directed):
        chain = [a]
        for r in range(rank[a] + 1, rank[b]):
            dummy = ("__waypoint__", e, r)
            rank[dummy] = r
            along[dummy] = 0.0
            across[dummy] = 0.0
            cluster[dummy] = _common(cluster[a], cluster[b])
            seed[dummy] = index[a] + 0.5
            lsucc[dummy], lpred[dummy] = [], []
            chain.append(dummy)
        chain.append(b)
        for u, v in zip(chain[:-1], chain[1:]):
            if v not in lsucc[u]:
                lsucc[u].append(v)
                lpred[v].append(u)
        chains.append(chain)

    n_ranks = max(rank.values(), default=0) + 1
    order: list[list[Key]] = [[] for _ in range(n_ranks)]
    for n in sorted(rank, key=lambda k: seed[k]):
        order[rank[n]].append(n)

    # Crossing reduction: barycentre sweeps, keeping the best order seen.
    def sweep(down: bool) -> None:
        ranks = range(1, n_ranks) if down else range(n_ranks - 2, -1, -1)
        for r in ranks:
            fixed = {n: i for i, n in enumerate(order[r - 1 if down else r + 1])}
            key = {}
            for i, n in enumerate(order[r]):
                near = [fixed[m] for m in (lpred[n] if down else lsucc[n]) if m in fixed]
                key[n] = sum(near) / len(near) if near else float(i)
            order[r] = _grouped_sort(order[r], key, cluster)

    order = [_grouped_sort(rk, {n: seed[n] for n in rk}, cluster) for rk in order]
    best = [list(rk) for rk in order]
    best_crossings = _crossings(order, lsucc)
    for step in range(12):
        if best_crossings == 0:
            break
        sweep(down=step % 2 == 0)
        crossings = _crossings(order, lsucc)
        if crossings < best_crossings:
            best, best_crossings = [list(rk) for rk in order], crossings
    order = best

    # Positions along each rank.
    size = {n: along[n] + (2 * _LOOP if n in loops else 0) for n in along}

    def separation(a: Key, b: Key) -> float:
        dummy = a[0] == "__waypoint__" or b[0] == "__waypoint__"
        gap = _DUMMY_GAP if dummy else _NODE_GAP
        common = len(_common(cluster[a], cluster[b]))
        borders = len(cluster[a]) + len(cluster[b]) - 2 * common
        pad = _CLUSTER_PAD + 6 + (_CLUSTER_LABEL_H if horizontal else 0)
        return (size[a] + size[b]) / 2 + gap + borders * pad

    pos: dict[Key, float] = {}
    for rk in order:
        x = 0.0
        for i, n in enumerate(rk):
            if i:
                x += separation(rk[i - 1], n)
            pos[n] = x

    def weight(a: Key, b: Key) -> float:
        dummies = (a[0] == "__waypoint__") + (b[0] == "__waypoint__")
        return (1.0, 2.0, 8.0)[dummies]

    def place(r: int, use_pred: bool, use_succ: bool) -> None:
        rk = order[r]
        desired = []
        for n in rk:
            near = (lpred[n] if use_pred else []) + (lsucc[n] if use_succ else [])
            if near:
                total = sum(weight(n, m) for m in near)
                desired.append(sum(weight(n, m) * pos[m] for m in near) / total)
            else:
                desired.append(pos[n])
        seps = [separation(a, b) for a, b in zip(rk[:-1], rk[1:])]
        for n, x in zip(rk, _pav(desired, seps)):
            pos[n] = x

    for _ in range(8):
        for r in range(1, n_ranks):
            place(r, True, False)
        for r in range(n_ranks - 2, -1, -1):
            place(r, False, True)
    for r in range(n_ranks):
        place(r, True, True)

    # Keep every other box out of a nested model's cluster, on the ranks it spans.
    by_depth = sorted(diagram.clusters, key=len, reverse=True)
    for _ in range(3):
        for ckey in by_depth:
            members = {n for n in pos if cluster[n][: len(ckey)] == ckey}
            if not members:
                continue
            pad = _CLUSTER_PAD * (1 + max(len(cluster[n]) for n in members) - len(ckey))
            lo = min(pos[n] - size[n] / 2 for n in members) - pad - _DUMMY_GAP
            hi = max(pos[n] + size[n] / 2 for n in members) + pad + _DUMMY_GAP
            if horizontal:
                lo -= _CLUSTER_LABEL_H
            spans = [rank[n] for n in members]
            for r in range(min(spans), max(spans) + 1):
                rk = order[r]
                inside = [i for i, n in enumerate(rk) if n in members]
                if inside:
                    first, last = inside[0], inside[-1]
                else:
                    mid = (lo + hi) / 2
                    first = last = sum(1 for n in rk if pos[n] < mid)
                    last -= 1
                limit = lo
                for j in range(first - 1, -1, -1):
                    n = rk[j]
                    pos[n] = min(pos[n], limit - size[n] / 2)
                    if j:
                        limit = pos[n] - separation(rk[j - 1], n) + size[rk[j - 1]] / 2
                limit = hi
                for j in range(last + 1, len(rk)):
                    n = rk[j]
                    pos[n] = max(pos[n], limit + size[n] / 2)
                    if j + 1 < len(rk):
                        limit = pos[n] + separation(n, rk[j + 1]) - size[rk[j + 1]] / 2

    # Depth of each rank band and its centre line.
    cluster_depth = max((len(k) for k in diagram.clusters), default=0)
    rank_gap = _RANK_GAP + cluster_depth * (_CLUSTER_LABEL_H + _CLUSTER_PAD)
    band = [max((across[n] for n in rk), default=0.0) for rk in order]
    centre = []
    v = 0.0
    for r in range(n_ranks):
        centre.append(v + band[r] / 2)
        v += band[r] + rank_gap

    # Edge routes in (along, across) coordinates.
    routes: list[list[tuple[float, float]]] = []
    for chain in chains:
        pts: list[tuple[float, float]] = []
        for i, n in enumerate(chain):
            c = centre[rank[n]]
            if n[0] == "__waypoint__":
                pts += [(pos[n], c - band[rank[n]] / 2), (pos[n], c + band[rank[n]] / 2)]
            elif i == 0:
                pts.append((pos[n], c + across[n] / 2))
            else:
                pts.append((pos[n], c - across[n] / 2))
        routes.append(pts)
    # Spread the ends of several edges over the side of a box.
    ends: dict[tuple[Key, bool], list[tuple[float, int, int]]] = {}
    for e, chain in enumerate(chains):
        ends.setdefault((chain[0], True), []).append((routes[e][1][0], e, 0))
        ends.setdefault((chain[-1], False), []).append((routes[e][-2][0], e, -1))
    for (n, _), items in ends.items():
        if len(items) < 2:
            continue
        items.sort()
        spread = min(14.0, along[n] * 0.7 / (len(items) - 1))
        for k, (_, e, at) in enumerate(items):
            u, w = routes[e][at]
            routes[e][at] = (u + (k - (len(items) - 1) / 2) * spread, w)
    # A short edge between two boxes that face each other is drawn straight.
    for chain, pts in zip(chains, routes):
        if len(pts) != 2:
            continue
        a, b = chain
        lo = max(pos[a] - along[a] / 2, pos[b] - along[b] / 2) + 6
        hi = min(pos[a] + along[a] / 2, pos[b] + along[b] / 2) - 6
        if lo <= hi and len(ends[(a, True)]) == 1 and len(ends[(b, False)]) == 1:
            u = min(max((pts[0][0] + pts[1][0]) / 2, lo), hi)
            pts[0], pts[1] = (u, pts[0][1]), (u, pts[1][1])

    # To image coordinates.
    def to_xy(u: float, w: float) -> tuple[float, float]:
        return (w, u) if horizontal else (u, w)

    placed_boxes = []
    for n in nodes:
        x, y = to_xy(pos[n], centre[rank[n]])
        b = boxes[n]
        placed_boxes.append(_PlacedBox(b, x - b.width / 2, y - b.height / 2, b.width, b.height))
    placed_edges = []
    for (a, b), pts, f in zip(plain, routes, flipped):
        xy = [to_xy(u, w) for u, w in pts]
        placed_edges.append(_PlacedEdge(a, b, xy[::-1] if f else xy))
    for n in loops:
        u, w, h = pos[n], centre[rank[n]], across[n]
        side = u + along[n] / 2
        pts = [(side, w - h / 4), (side + _LOOP, w - h / 4), (side + _LOOP, w + h / 4)]
        pts.append((side, w + h / 4))
        placed_edges.append(_PlacedEdge(n, n, [to_xy(p, q) for p, q in pts]))

    by_key = {p.box.key: p for p in placed_boxes}
    placed_clusters = []
    for key, label in diagram.clusters.items():
        members = [by_key[n] for n in nodes if boxes[n].cluster[: len(key)] == key]
        if not members:
            continue
        inner = len(key)
        depth_pad = _CLUSTER_PAD * (1 + max(len(m.box.cluster) for m in members) - inner)
        x0 = min(m.x for m in members) - depth_pad
        x1 = max(m.x + m.w for m in members) + depth_pad
        y0 = min(m.y for m in members) - depth_pad - _CLUSTER_LABEL_H
        y1 = max(m.y + m.h for m in members) + depth_pad
        x1 = max(x1, x0 + len(label) * _CHAR_W + 2 * _CLUSTER_PAD)
        placed_clusters.append(_PlacedCluster(label, inner, x0, y0, x1, y1))
    placed_clusters.sort(key=lambda c: c.depth)

    # Normalise: margins, and the reversed directions.
    xs = [p.x for p in placed_boxes] + [p.x + p.w for p in placed_boxes]
    ys = [p.y for p in placed_boxes] + [p.y + p.h for p in placed_boxes]
    for c in placed_clusters:
        xs += [c.x0, c.x1]
        ys += [c.y0, c.y1]
    for e in placed_edges:
        xs += [p[0] for p in e.points]
        ys += [p[1] for p in e.points]
    x_lo, y_lo = min(xs, default=0.0), min(ys, default=0.0)
    width = max(xs, default=0.0) - x_lo + 2 * _MARGIN
    height = max(ys, default=0.0) - y_lo + 2 * _MARGIN
    flip_x, flip_y = rankdir == "RL", rankdir == "BT"

    def fx(x: float) -> float:
        x = x - x_lo + _MARGIN
        return width - x if flip_x else x

    def fy(y: float) -> float:
        y = y - y_lo + _MARGIN
        return height - y if flip_y else y

    for p in placed_boxes:
        x0, x1 = sorted((fx(p.x), fx(p.x + p.w)))
        y0, y1 = sorted((fy(p.y), fy(p.y + p.h)))
        p.x, p.y = x0, y0
    for e in placed_edges:
        e.points = [(fx(x), fy(y)) for x, y in e.points]
    for c in placed_clusters:
        x0, x1 = sorted((fx(c.x0), fx(c.x1)))
        y0, y1 = sorted((fy(c.y0), fy(c.y1)))
        if flip_y:  # keep the label strip at the top of the cluster
            y0, y1 = y0 - _CLUSTER_LABEL_H, y1 - _CLUSTER_LABEL_H
        c.x0, c.x1, c.y0, c.y1 = x0, x1, y0, y1
    if flip_y and placed_clusters:
        shift = max(0.0, _MARGIN - min(c.y0 for c in placed_clusters))
        if shift:
            height += shift
            for p in placed_boxes:
                p.y += shift
            for e in placed_edges:
                e.points = [(x, y + shift) for x, y in e.points]
            for c in placed_clusters:
                c.y0, c.y1 = c.y0 + shift, c.y1 + shift
    return Scene(width, height, placed_boxes, placed_edges, placed_clusters)


# ---------------------------------------------------------------- rendering


def _line_tops(p: _PlacedBox) -> list[tuple[float, str, bool]]:
    """``(top, text, is_title)`` for each text line of a placed box."""
    lines = [(p.y + _PAD_Y, p.box.title, True)]
    top = p.y + _TITLE_H + _PAD_Y - 1
    for text in p.box.details:
        lines.append((top, text, False))
        top += _LINE_H
    return lines


def _arrow(points: list[tuple[float, float]]) -> tuple[list[tuple[float, float]], Any]:
    """Shortens the last segment to the arrow's base; returns it and the head triangle."""
    (xa, ya), (xb, yb) = points[-2], points[-1]
    dx, dy = xb - xa, yb - ya
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    ux, uy = dx / length, dy / length
    bx, by = xb - ux * _ARROW_LEN, yb - uy * _ARROW_LEN
    head = (
        (xb, yb),
        (bx - uy * _ARROW_HALF, by + ux * _ARROW_HALF),
        (bx + uy * _ARROW_HALF, by - ux * _ARROW_HALF),
    )
    return [*points[:-1], (bx, by)], head


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def render_svg(scene: Scene) -> str:
    """The scene as an SVG document (UTF-8 text)."""
    w, h = scene.width, scene.height
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{round(w * _SVG_SCALE)}" '
        f'height="{round(h * _SVG_SCALE)}" viewBox="0 0 {_num(w)} {_num(h)}" '
        'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="10">',
        f'<rect class="background" width="{_num(w)}" height="{_num(h)}" fill="#ffffff"/>',
    ]
    for c in scene.clusters:
        out.append(f'<g class="cluster"><title>{escape(c.label)}</title>')
        out.append(
            f'<rect x="{_num(c.x0)}" y="{_num(c.y0)}" width="{_num(c.x1 - c.x0)}" '
            f'height="{_num(c.y1 - c.y0)}" rx="4" fill="{_CLUSTER_FILL}" '
            f'stroke="{_CLUSTER_BORDER}" stroke-dasharray="4 3"/>'
        )
        out.append(
            f'<text x="{_num(c.x0 + _CLUSTER_PAD)}" y="{_num(c.y0 + 4 + 8)}" '
            f'fill="{_DETAIL}" font-weight="bold">{escape(c.label)}</text></g>'
        )
    for p in scene.boxes:
        name = "/".join(p.box.key)
        fill = _INPUT_FILL if p.box.is_input else _TITLE_FILL
        out.append(f'<g class="node" id={quoteattr("node-" + name)}><title>{escape(name)}</title>')
        out.append(
            f'<rect class="box" x="{_num(p.x)}" y="{_num(p.y)}" width="{_num(p.w)}" '
            f'height="{_num(p.h)}" fill="{_BOX_FILL}"/>'
        )
        out.append(
            f'<rect x="{_num(p.x)}" y="{_num(p.y)}" width="{_num(p.w)}" '
            f'height="{_num(_TITLE_H)}" fill="{fill}"/>'
        )
        if p.box.details:
            yy = _num(p.y + _TITLE_H)
            out.append(
                f'<line x1="{_num(p.x)}" y1="{yy}" x2="{_num(p.x + p.w)}" y2="{yy}" '
                f'stroke="{_BORDER}" stroke-width="0.6"/>'
            )
        out.append(
            f'<rect x="{_num(p.x)}" y="{_num(p.y)}" width="{_num(p.w)}" '
            f'height="{_num(p.h)}" fill="none" stroke="{_BORDER}"/>'
        )
        cx = _num(p.x + p.w / 2)
        for top, text, is_title in _line_tops(p):
            style = f'fill="{_TEXT}" font-weight="bold"' if is_title else f'fill="{_DETAIL}"'
            out.append(
                f'<text x="{cx}" y="{_num(top + 8)}" text-anchor="middle" {style}>'
                f"{escape(text)}</text>"
            )
        out.append("</g>")
    for e in scene.edges:
        line, head = _arrow(e.points)
        d = " ".join(
            f"{'M' if i == 0 else 'L'}{_num(x)},{_num(y)}" for i, (x, y) in enumerate(line)
        )
        tri = " ".join(f"{_num(x)},{_num(y)}" for x, y in head)
        label = f"{'/'.join(e.src)}->{'/'.join(e.dst)}"
        out.append(
            f'<g class="edge"><title>{escape(label)}</title>'
            f'<path d="{d}" fill="none" stroke="{_EDGE}" stroke-width="1.2"/>'
            f'<polygon points="{tri}" fill="{_EDGE}"/></g>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_canvas(scene: Scene, scale: int = 1) -> _raster.Canvas:
    """Rasterizes the scene, every layout unit becoming ``scale`` pixels."""
    s = scale
    canvas = _raster.Canvas(int(round(scene.width * s)) + 1, int(round(scene.height * s)) + 1)
    for c in scene.clusters:
        canvas.fill_rect(c.x0 * s, c.y0 * s, c.x1 * s, c.y1 * s, _CLUSTER_FILL)
        canvas.rect(c.x0 * s, c.y0 * s, c.x1 * s, c.y1 * s, _CLUSTER_BORDER, s, dash=4 * s)
        canvas.text((c.x0 + _CLUSTER_PAD) * s, (c.y0 + 4) * s, c.label, _DETAIL, s, bold=s > 1)
    for p in scene.boxes:
        x0, y0, x1, y1 = p.x * s, p.y * s, (p.x + p.w) * s, (p.y + p.h) * s
        canvas.fill_rect(x0, y0, x1, y1, _BOX_FILL)
        fill = _INPUT_FILL if p.box.is_input else _TITLE_FILL
        canvas.fill_rect(x0, y0, x1, (p.y + _TITLE_H) * s, fill)
        if p.box.details:
            canvas.fill_rect(x0, (p.y + _TITLE_H) * s, x1, (p.y + _TITLE_H) * s, _BORDER)
        canvas.rect(x0, y0, x1, y1, _BORDER, s)
        for top, text, is_title in _line_tops(p):
            left = p.x + (p.w - _font.text_width(text)) / 2
            color = _TEXT if is_title else _DETAIL
            canvas.text(left * s, top * s, text, color, s, bold=is_title and s > 1)
    for e in scene.edges:
        line, head = _arrow(e.points)
        canvas.polyline([(x * s, y * s) for x, y in line], _EDGE, s)
        canvas.triangle(*((x * s, y * s) for x, y in head), _EDGE)
    return canvas
