"""Ranks and orders of ``plot_model``'s layout, in the layered style of graphviz's ``dot``.

1. Cycles that sharing can create between boxes (a layer called before and after
   another) are broken by reversing the back edges found by a depth-first search;
   the writers still draw those arrows pointing the right way.
2. Each box gets a rank: its depth in the graph, the longest path from the inputs.
   An input that feeds only deeper layers moves down next to its first consumer, as
   ``dot`` places it.
3. Edges spanning several ranks get invisible waypoints, one per rank crossed.
4. Within each rank, boxes are ordered by alternating barycentre sweeps (down and up),
   keeping the order with the fewest edge crossings. The boxes of a nested model stay
   together in every rank.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kerax.utils._plot_scene import Key

Node = tuple[Any, ...]
"""A box's :data:`Key`, or a waypoint ``("__waypoint__", edge, rank)``."""

_SWEEPS = 12


def is_waypoint(node: Node) -> bool:
    return node[0] == "__waypoint__"


@dataclasses.dataclass(frozen=True, slots=True)
class Ranked:
    """The boxes and waypoints sorted into ranks.

    Attributes:
        rank: The rank of every box and waypoint.
        cluster: The cluster path of every box and waypoint (a waypoint belongs to the
            innermost cluster holding both ends of its edge).
        succ: Each node's neighbours on the next rank.
        pred: Each node's neighbours on the previous rank.
        chains: For each edge between two different boxes, in ``edges`` order, the
            nodes it passes, from the end on the lower rank.
        flipped: Per chain, whether the edge was reversed to break a cycle.
        order: The nodes of each rank, left to right (top to bottom for ``LR``).
    """

    rank: dict[Node, int]
    cluster: dict[Node, Key]
    succ: dict[Node, list[Node]]
    pred: dict[Node, list[Node]]
    chains: list[list[Node]]
    flipped: list[bool]
    order: list[list[Node]]


def rank_and_order(
    nodes: list[Key], edges: list[tuple[Key, Key]], cluster_of: dict[Key, Key]
) -> Ranked:
    """Ranks ``nodes`` along ``edges`` (self-loops excluded) and orders each rank."""
    succ: dict[Node, list[Node]] = {n: [] for n in nodes}
    pred: dict[Node, list[Node]] = {n: [] for n in nodes}
    for a, b in edges:
        succ[a].append(b)
        pred[b].append(a)
    back = _back_edges(nodes, succ, pred)
    flipped = [(a, b) in back for a, b in edges]
    directed = [((b, a) if f else (a, b)) for (a, b), f in zip(edges, flipped)]
    rank: dict[Node, int] = dict(_ranks(nodes, list(dict.fromkeys(directed))))

    index = {n: i for i, n in enumerate(nodes)}
    cluster: dict[Node, Key] = dict(cluster_of)
    seed: dict[Node, float] = dict(index)
    lsucc: dict[Node, list[Node]] = {n: [] for n in nodes}
    lpred: dict[Node, list[Node]] = {n: [] for n in nodes}
    chains: list[list[Node]] = []
    for e, (a, b) in enumerate(directed):
        chain: list[Node] = [a]
        for r in range(rank[a] + 1, rank[b]):
            dummy = ("__waypoint__", e, r)
            rank[dummy] = r
            cluster[dummy] = common_prefix(cluster[a], cluster[b])
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
    order: list[list[Node]] = [[] for _ in range(n_ranks)]
    for n in sorted(rank, key=lambda k: seed[k]):
        order[rank[n]].append(n)
    order = [_grouped_sort(rk, {n: seed[n] for n in rk}, cluster) for rk in order]
    order = _fewest_crossings(order, lsucc, lpred, cluster)
    return Ranked(rank, cluster, lsucc, lpred, chains, flipped, order)


def common_prefix(a: Key, b: Key) -> Key:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _back_edges(
    nodes: list[Key], succ: dict[Node, list[Node]], pred: dict[Node, list[Node]]
) -> set[tuple[Node, Node]]:
    """Edges closing a cycle, found by an iterative depth-first search from the sources."""
    state = dict.fromkeys(nodes, 0)
    back: set[tuple[Node, Node]] = set()
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


def _ranks(nodes: list[Key], edges: list[tuple[Node, Node]]) -> dict[Key, int]:
    succ: dict[Node, list[Node]] = {n: [] for n in nodes}
    indeg = dict.fromkeys(nodes, 0)
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    rank = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if indeg[n] == 0]
    sources = set(ready)
    while ready:
        node = ready.pop(0)
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


def _grouped_sort(
    items: list[Node], key: dict[Node, float], cluster: dict[Node, Key], depth: int = 0
) -> list[Node]:
    """Sorts ``items`` by ``key`` while keeping members of one cluster adjacent."""
    groups: dict[Any, list[Node]] = {}
    for item in items:
        path = cluster[item]
        group = ("cluster", path[depth]) if len(path) > depth else ("node", item)
        groups.setdefault(group, []).append(item)
    # sorted is stable: ties keep the current order.
    ordered = sorted(groups.items(), key=lambda kv: sum(key[i] for i in kv[1]) / len(kv[1]))
    out: list[Node] = []
    for (kind, _), members in ordered:
        if kind == "cluster" and len(members) > 1:
            out.extend(_grouped_sort(members, key, cluster, depth + 1))
        else:
            out.extend(members)
    return out


def _crossings(order: list[list[Node]], succ: dict[Node, list[Node]]) -> int:
    total = 0
    for r in range(len(order) - 1):
        pos = {n: i for i, n in enumerate(order[r + 1])}
        ends = sorted((i, pos[b]) for i, a in enumerate(order[r]) for b in succ[a] if b in pos)
        for i in range(len(ends)):
            for j in range(i + 1, len(ends)):
                if ends[i][0] < ends[j][0] and ends[i][1] > ends[j][1]:
                    total += 1
    return total


def _fewest_crossings(
    order: list[list[Node]],
    succ: dict[Node, list[Node]],
    pred: dict[Node, list[Node]],
    cluster: dict[Node, Key],
) -> list[list[Node]]:
    """Barycentre sweeps, alternately down and up; returns the best order seen."""
    order = [list(rk) for rk in order]
    best, best_crossings = [list(rk) for rk in order], _crossings(order, succ)
    for step in range(_SWEEPS):
        if best_crossings == 0:
            break
        down = step % 2 == 0
        ranks = range(1, len(order)) if down else range(len(order) - 2, -1, -1)
        for r in ranks:
            fixed = {n: i for i, n in enumerate(order[r - 1 if down else r + 1])}
            key = {}
            for i, n in enumerate(order[r]):
                near = [fixed[m] for m in (pred[n] if down else succ[n]) if m in fixed]
                key[n] = sum(near) / len(near) if near else float(i)
            order[r] = _grouped_sort(order[r], key, cluster)
        crossings = _crossings(order, succ)
        if crossings < best_crossings:
            best, best_crossings = [list(rk) for rk in order], crossings
    return best
