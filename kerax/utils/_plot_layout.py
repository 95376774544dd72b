"""Coordinates for ``plot_model``: from a diagram to a :class:`Scene` of placed shapes.

The ranks and their orders come from :mod:`kerax.utils._plot_rank`. Here positions
along each rank are the least-squares fit of each box to its neighbours under the
minimum spacing (pool-adjacent-violators), a few sweeps over the ranks; boxes outside
a nested model are then pushed clear of its cluster. Edges run through their
waypoints, several ends on one side of a box are spread over it, and the drawing is
turned and mirrored for ``LR``, ``BT`` and ``RL``.

Coordinates are first ``(along, across)`` a rank, turned into ``(x, y)`` at the end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from kerax.utils._plot_diagram import Diagram
from kerax.utils._plot_rank import Node, Ranked, common_prefix, is_waypoint, rank_and_order
from kerax.utils._plot_scene import (
    CHAR_W,
    CLUSTER_LABEL_H,
    CLUSTER_PAD,
    Key,
    PlacedBox,
    PlacedCluster,
    PlacedEdge,
    Point,
    Scene,
)

RANKDIRS = ("TB", "LR", "BT", "RL")

_NODE_GAP = 24.0
_WAYPOINT_GAP = 10.0
_RANK_GAP = 40.0
_MARGIN = 12.0
_LOOP = 18.0
_SPREAD = 14.0
_PLACE_SWEEPS = 8
_CLEARANCE_SWEEPS = 3


@dataclasses.dataclass(frozen=True, slots=True)
class _Sizes:
    """Extents of every box and waypoint along and across its rank."""

    along: dict[Node, float]
    across: dict[Node, float]
    horizontal: bool


def layout(diagram: Diagram, rankdir: str) -> Scene:
    """Places the boxes, edges and clusters of ``diagram``.

    Args:
        diagram: What to draw.
        rankdir: One of :data:`RANKDIRS`.

    Returns:
        The scene, with its top-left corner at the origin and a margin all around.
    """
    boxes = diagram.boxes
    nodes: list[Key] = list(boxes)
    loops = [a for a, b in diagram.edges if a == b]
    plain = [(a, b) for a, b in diagram.edges if a != b]
    ranked = rank_and_order(nodes, plain, {n: boxes[n].cluster for n in nodes})
    horizontal = rankdir in ("LR", "RL")
    along: dict[Node, float] = {n: 0.0 for n in ranked.rank}
    across: dict[Node, float] = dict(along)
    for n, b in boxes.items():
        along[n], across[n] = (b.height, b.width) if horizontal else (b.width, b.height)
    sizes = _Sizes(along, across, horizontal)

    pos = _positions(ranked, sizes, set(loops), diagram.clusters)
    gap = _RANK_GAP + max((len(k) for k in diagram.clusters), default=0) * (
        CLUSTER_LABEL_H + CLUSTER_PAD
    )
    band = [max((across[n] for n in rk), default=0.0) for rk in ranked.order]
    centre, v = [], 0.0
    for depth in band:
        centre.append(v + depth / 2)
        v += depth + gap
    routes = _routes(ranked, sizes, pos, centre, band)

    def to_xy(u: float, w: float) -> Point:
        return (w, u) if horizontal else (u, w)

    placed_boxes = []
    for n in nodes:
        x, y = to_xy(pos[n], centre[ranked.rank[n]])
        b = boxes[n]
        placed_boxes.append(PlacedBox(b, x - b.width / 2, y - b.height / 2, b.width, b.height))
    placed_edges = []
    for (a, b), pts, f in zip(plain, routes, ranked.flipped):
        xy = [to_xy(u, w) for u, w in pts]
        placed_edges.append(PlacedEdge(a, b, tuple(xy[::-1] if f else xy)))
    for n in loops:
        u, w, h = pos[n], centre[ranked.rank[n]], across[n]
        side = u + along[n] / 2
        pts = [(side, w - h / 4), (side + _LOOP, w - h / 4), (side + _LOOP, w + h / 4)]
        pts.append((side, w + h / 4))
        placed_edges.append(PlacedEdge(n, n, tuple(to_xy(p, q) for p, q in pts)))
    placed_clusters = _frames(diagram, placed_boxes)
    return _normalise(
        Scene(0.0, 0.0, tuple(placed_boxes), tuple(placed_edges), placed_clusters), rankdir
    )


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


def _positions(
    ranked: Ranked, sizes: _Sizes, loops: set[Key], clusters: dict[Key, str]
) -> dict[Node, float]:
    """The centre of every box and waypoint along its rank."""
    order, cluster, rank = ranked.order, ranked.cluster, ranked.rank
    size = {n: a + (2 * _LOOP if n in loops else 0.0) for n, a in sizes.along.items()}

    def separation(a: Node, b: Node) -> float:
        gap = _WAYPOINT_GAP if is_waypoint(a) or is_waypoint(b) else _NODE_GAP
        common = len(common_prefix(cluster[a], cluster[b]))
        borders = len(cluster[a]) + len(cluster[b]) - 2 * common
        pad = CLUSTER_PAD + 6 + (CLUSTER_LABEL_H if sizes.horizontal else 0)
        return (size[a] + size[b]) / 2 + gap + borders * pad

    pos: dict[Node, float] = {}
    for rk in order:
        x = 0.0
        for i, n in enumerate(rk):
            if i:
                x += separation(rk[i - 1], n)
            pos[n] = x

    def weight(a: Node, b: Node) -> float:
        # Long edges pull harder, so their waypoints line up into straight runs.
        return (1.0, 2.0, 8.0)[is_waypoint(a) + is_waypoint(b)]

    def place(r: int, use_pred: bool, use_succ: bool) -> None:
        desired = []
        for n in order[r]:
            near = (ranked.pred[n] if use_pred else []) + (ranked.succ[n] if use_succ else [])
            if near:
                total = sum(weight(n, m) for m in near)
                desired.append(sum(weight(n, m) * pos[m] for m in near) / total)
            else:
                desired.append(pos[n])
        seps = [separation(a, b) for a, b in zip(order[r][:-1], order[r][1:])]
        for n, x in zip(order[r], _pav(desired, seps)):
            pos[n] = x

    for _ in range(_PLACE_SWEEPS):
        for r in range(1, len(order)):
            place(r, True, False)
        for r in range(len(order) - 2, -1, -1):
            place(r, False, True)
    for r in range(len(order)):
        place(r, True, True)

    # Keep every other box out of a nested model's cluster, on the ranks it spans.
    for _ in range(_CLEARANCE_SWEEPS):
        for ckey in sorted(clusters, key=len, reverse=True):
            members = {n for n in pos if cluster[n][: len(ckey)] == ckey}
            if not members:
                continue
            pad = CLUSTER_PAD * (1 + max(len(cluster[n]) for n in members) - len(ckey))
            lo = min(pos[n] - size[n] / 2 for n in members) - pad - _WAYPOINT_GAP
            hi = max(pos[n] + size[n] / 2 for n in members) + pad + _WAYPOINT_GAP
            if sizes.horizontal:
                lo -= CLUSTER_LABEL_H
            spans = [rank[n] for n in members]
            for r in range(min(spans), max(spans) + 1):
                rk = order[r]
                inside = [i for i, n in enumerate(rk) if n in members]
                if inside:
                    first, last = inside[0], inside[-1]
                else:
                    first = sum(1 for n in rk if pos[n] < (lo + hi) / 2)
                    last = first - 1
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
    return pos


def _routes(
    ranked: Ranked,
    sizes: _Sizes,
    pos: dict[Node, float],
    centre: list[float],
    band: list[float],
) -> list[list[Point]]:
    """Each chain's polyline in ``(along, across)`` coordinates."""
    rank, along, across = ranked.rank, sizes.along, sizes.across
    routes: list[list[Point]] = []
    for chain in ranked.chains:
        pts: list[Point] = []
        for i, n in enumerate(chain):
            c = centre[rank[n]]
            if is_waypoint(n):
                pts += [(pos[n], c - band[rank[n]] / 2), (pos[n], c + band[rank[n]] / 2)]
            else:
                pts.append((pos[n], c + across[n] / 2 if i == 0 else c - across[n] / 2))
        routes.append(pts)
    # Spread the ends of several edges over the side of a box.
    ends: dict[tuple[Node, bool], list[tuple[float, int, int]]] = {}
    for e, chain in enumerate(ranked.chains):
        ends.setdefault((chain[0], True), []).append((routes[e][1][0], e, 0))
        ends.setdefault((chain[-1], False), []).append((routes[e][-2][0], e, -1))
    for (n, _), items in ends.items():
        if len(items) < 2:
            continue
        items.sort()
        spread = min(_SPREAD, along[n] * 0.7 / (len(items) - 1))
        for k, (_, e, at) in enumerate(items):
            u, w = routes[e][at]
            routes[e][at] = (u + (k - (len(items) - 1) / 2) * spread, w)
    # A short edge between two boxes that face each other is drawn straight.
    for chain, pts in zip(ranked.chains, routes):
        if len(pts) != 2:
            continue
        a, b = chain
        lo = max(pos[a] - along[a] / 2, pos[b] - along[b] / 2) + 6
        hi = min(pos[a] + along[a] / 2, pos[b] + along[b] / 2) - 6
        if lo <= hi and len(ends[(a, True)]) == 1 and len(ends[(b, False)]) == 1:
            u = min(max((pts[0][0] + pts[1][0]) / 2, lo), hi)
            pts[0], pts[1] = (u, pts[0][1]), (u, pts[1][1])
    return routes


def _frames(diagram: Diagram, placed: list[PlacedBox]) -> tuple[PlacedCluster, ...]:
    """The frame of each expanded nested model around its boxes, outermost first."""
    frames = []
    for key, label in diagram.clusters.items():
        members = [p for p in placed if p.box.cluster[: len(key)] == key]
        if not members:
            continue
        pad = CLUSTER_PAD * (1 + max(len(m.box.cluster) for m in members) - len(key))
        x0 = min(m.x for m in members) - pad
        x1 = max(m.x + m.w for m in members) + pad
        y0 = min(m.y for m in members) - pad - CLUSTER_LABEL_H
        y1 = max(m.y + m.h for m in members) + pad
        x1 = max(x1, x0 + len(label) * CHAR_W + 2 * CLUSTER_PAD)
        frames.append(PlacedCluster(label, len(key), x0, y0, x1, y1))
    return tuple(sorted(frames, key=lambda c: c.depth))


def _normalise(scene: Scene, rankdir: str) -> Scene:
    """Moves the drawing to the origin with a margin, mirrored for ``BT`` and ``RL``."""
    xs = [v for p in scene.boxes for v in (p.x, p.x + p.w)]
    ys = [v for p in scene.boxes for v in (p.y, p.y + p.h)]
    xs += [v for c in scene.clusters for v in (c.x0, c.x1)]
    ys += [v for c in scene.clusters for v in (c.y0, c.y1)]
    xs += [x for e in scene.edges for x, _ in e.points]
    ys += [y for e in scene.edges for _, y in e.points]
    x_lo, y_lo = min(xs, default=0.0), min(ys, default=0.0)
    width = max(xs, default=0.0) - x_lo + 2 * _MARGIN
    height = max(ys, default=0.0) - y_lo + 2 * _MARGIN
    flip_x, flip_y = rankdir == "RL", rankdir == "BT"
    # Mirrored, a cluster's label strip would end up at its bottom: the frame moves up
    # by the strip, and everything down if that crossed the margin.
    lift = CLUSTER_LABEL_H if flip_y else 0.0
    top = min((height - (c.y1 - y_lo + _MARGIN) - lift for c in scene.clusters), default=_MARGIN)
    shift = max(0.0, _MARGIN - top)

    def fx(x: float) -> float:
        x = x - x_lo + _MARGIN
        return width - x if flip_x else x

    def fy(y: float) -> float:
        y = y - y_lo + _MARGIN
        return (height - y if flip_y else y) + shift

    def span(a: float, b: float, f: Callable[[float], float]) -> tuple[float, float]:
        lo, hi = sorted((f(a), f(b)))
        return lo, hi

    boxes = []
    for p in scene.boxes:
        (x0, _), (y0, _) = span(p.x, p.x + p.w, fx), span(p.y, p.y + p.h, fy)
        boxes.append(dataclasses.replace(p, x=x0, y=y0))
    edges = [
        dataclasses.replace(e, points=tuple((fx(x), fy(y)) for x, y in e.points))
        for e in scene.edges
    ]
    clusters = []
    for c in scene.clusters:
        (x0, x1), (y0, y1) = span(c.x0, c.x1, fx), span(c.y0, c.y1, fy)
        clusters.append(dataclasses.replace(c, x0=x0, x1=x1, y0=y0 - lift, y1=y1 - lift))
    return Scene(width, height + shift, tuple(boxes), tuple(edges), tuple(clusters))
