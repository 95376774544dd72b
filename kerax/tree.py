"""``kerax.tree``: Keras's functions on nested structures, on ``jax.tree_util``.

As in Keras, the nested containers are lists, tuples (named tuples included) and dicts
(whose entries are visited in sorted key order); everything else, ``None`` included,
is a leaf, even where JAX registers it as a pytree node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]

_tu = jax.tree_util


class MAP_TO_NONE:  # noqa: N801 - Keras's name
    """Returned by a :func:`traverse` function: replace this node with ``None``."""


def _is_leaf(x: Any) -> bool:
    return not isinstance(x, (list, tuple, dict))


def _is_leaf_none_empty(x: Any) -> bool:
    return x is not None and _is_leaf(x)


def _children(x: Any) -> list[tuple[Any, Any]]:
    """``(key, child)`` of a nested container, dicts in sorted key order."""
    if isinstance(x, dict):
        return [(k, x[k]) for k in sorted(x)]
    return list(enumerate(x))


def _rebuild(like: Any, values: dict[Any, Any]) -> Any:
    """A container of ``like``'s type holding ``values`` (key -> value)."""
    if isinstance(like, dict):
        return type(like)((k, values[k]) for k in like)
    items = [values[i] for i in range(len(like))]
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*items)
    return type(like)(items)


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, a tuple or a dict."""
    return not _is_leaf(structure)


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure``, in order (dict entries by sorted key)."""
    return _tu.tree_leaves(structure, is_leaf=_is_leaf)


def flatten_with_path(structure: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """``(path, leaf)`` for each leaf; a path is the tuple of keys and indices (a named
    tuple's too) from the root to the leaf."""
    out: list[tuple[tuple[Any, ...], Any]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if not is_nested(node):
            out.append((path, node))
            return
        for key, child in _children(node):
            walk(child, (*path, key))

    walk(structure, ())
    return out


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """``flat_sequence``'s items in ``structure``'s shape (the inverse of
    :func:`flatten`).

    Raises:
        ValueError: When the number of items is not the number of leaves.
    """
    treedef = _tu.tree_structure(structure, is_leaf=_is_leaf)
    flat = list(flat_sequence)
    if len(flat) != treedef.num_leaves:
        raise ValueError(
            f"pack_sequence_as: the structure has {treedef.num_leaves} leaves but the flat "
            f"sequence has {len(flat)} items."
        )
    return treedef.unflatten(flat)


def assert_same_structure(a: Any, b: Any, check_types: bool | None = None) -> None:
    """Raises ValueError unless ``a`` and ``b`` nest the same containers the same way.

    Args:
        a: A structure.
        b: Another.
        check_types: Deprecated in Keras and ignored there; container types are always
            compared. Only ``None`` or ``True`` are accepted.
    """
    if check_types is False:
        raise ValueError(
            "assert_same_structure: check_types=False is not supported (Keras deprecated "
            "it); container types are always compared."
        )
    sa = _tu.tree_structure(a, is_leaf=_is_leaf)
    sb = _tu.tree_structure(b, is_leaf=_is_leaf)
    if sa != sb:
        raise ValueError(f"The two structures don't match: {sa} vs. {sb}.")


def assert_same_paths(a: Any, b: Any) -> None:
    """Raises ValueError unless ``a`` and ``b`` have leaves at the same paths (their
    container types may differ)."""
    pa = {p for p, _ in flatten_with_path(a)}
    pb = {p for p, _ in flatten_with_path(b)}
    if pa != pb:
        raise ValueError(
            f"The two structures don't have the same paths: only in the first "
            f"{sorted(pa - pb, key=repr)}, only in the second {sorted(pb - pa, key=repr)}."
        )


def map_structure(func: Callable[..., Any], *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` applied to the leaves of ``structures`` (all the same structure), in a
    structure of that shape.

    Args:
        func: Called with one leaf of each structure.
        *structures: At least one structure.
        none_is_leaf: If False, ``None`` is an empty container, kept as is.

    Raises:
        ValueError: When no structure is given or their structures differ.
    """
    if not structures:
        raise ValueError("map_structure: at least one structure is needed.")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    is_leaf = _is_leaf if none_is_leaf else _is_leaf_none_empty
    return _tu.tree_map(func, *structures, is_leaf=is_leaf)


def map_structure_up_to(shallow_structure: Any, func: Callable[..., Any], *structures: Any) -> Any:
    """Like :func:`map_structure`, but ``func`` receives the sub-structures of
    ``structures`` found at the leaves of ``shallow_structure``.

    Raises:
        ValueError: When a structure lacks an entry of ``shallow_structure``.
    """

    def up_to(shallow: Any, values: tuple[Any, ...]) -> Any:
        if not is_nested(shallow):
            return func(*values)
        out = {}
        for key, child in _children(shallow):
            try:
                picked = tuple(v[key] for v in values)
            except (KeyError, IndexError, TypeError) as err:
                raise ValueError(
                    f"map_structure_up_to: a structure has no entry {key!r} where the "
                    f"shallow structure has one ({shallow!r})."
                ) from err
            out[key] = up_to(child, picked)
        return _rebuild(shallow, out)

    return up_to(shallow_structure, structures)


def lists_to_tuples(structure: Any) -> Any:
    """``structure`` with every list, at any depth, made a tuple."""
    if not is_nested(structure):
        return structure
    out = _rebuild(structure, {k: lists_to_tuples(v) for k, v in _children(structure)})
    return tuple(out) if isinstance(out, list) else out


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(d, (int, type(None))) for d in x)


def map_shape_structure(func: Callable[..., Any], structure: Any) -> Any:
    """``func`` applied to each shape in ``structure``: a shape (a list or tuple of ints
    and ``None``) is a leaf, not a container."""
    if _is_shape(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, {k: map_shape_structure(func, v) for k, v in _children(structure)})


def traverse(func: Callable[[Any], Any], structure: Any, top_down: bool = True) -> Any:
    """Calls ``func`` on every node of ``structure``, containers included.

    Top-down, a node for which ``func`` returns something other than ``None`` is
    replaced by that value and not entered; ``None`` keeps the node and visits its
    children. Bottom-up, ``func`` sees each container after its children were
    traversed, and ``None`` keeps the (rebuilt) node. Returning :class:`MAP_TO_NONE`
    replaces the node with ``None``.
    """

    def result(node: Any, returned: Any) -> Any:
        if returned is MAP_TO_NONE or isinstance(returned, MAP_TO_NONE):
            return None
        return node if returned is None else returned

    def visit(node: Any) -> Any:
        if top_down:
            returned = func(node)
            if returned is not None:
                return result(node, returned)
            if not is_nested(node):
                return node
            return _rebuild(node, {k: visit(v) for k, v in _children(node)})
        if is_nested(node):
            node = _rebuild(node, {k: visit(v) for k, v in _children(node)})
        return result(node, func(node))

    return visit(structure)
