"""The nested weight trees of :class:`kerax.saving.KerasFileEditor`: lookup, printing,
comparison, writing, and the tree a kerax model expects."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerax.saving import weights_h5

OPT_GROUP = "kerax_optimizer_state"


def holders(tree: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Every dict of the tree that has an entry ``name``."""
    found = [tree] if name in tree else []
    for value in tree.values():
        if isinstance(value, dict):
            found.extend(holders(value, name))
    return found


def tree_lines(tree: dict[str, Any], prefix: str, lines: list[str], first: list[bool]) -> None:
    """Appends the tree's lines as Keras's editor draws them: ``> `` opens the very first
    line, then ``├─`` / ``└─`` connectors under ``│`` rails."""
    for i, (key, value) in enumerate(tree.items()):
        last = i == len(tree) - 1
        if first[0]:
            first[0] = False
            connector = "> "
        else:
            connector = "└─ " if last else "├─ "
        if isinstance(value, dict):
            lines.append(f"{prefix}{connector}{key}")
            tree_lines(value, prefix + ("    " if last else "│   "), lines, first)
        elif hasattr(value, "shape"):
            lines.append(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")
        else:
            lines.append(f"{prefix}{connector}{key}: {value}")


def compare(
    target: dict[str, Any],
    reference: dict[str, Any],
    path: str,
    target_name: str,
    ref_name: str,
    checked: set[str],
) -> tuple[int, int]:
    """Walks ``reference``, printing what ``target`` lacks or holds in another shape."""
    errors = matches = 0
    for key, ref in reference.items():
        inner = f"{path}/{key}"
        if inner in checked:
            continue
        if key not in target:
            errors += 1
            checked.add(inner)
            kind = "Object" if isinstance(ref, dict) else "Weight"
            print(f"...{kind} {inner} present in {ref_name}, missing from {target_name}")
            if isinstance(ref, dict):
                print(f"    In {ref_name}, {inner} contains the following keys: {list(ref)}")
        elif isinstance(ref, dict) != isinstance(target[key], dict):
            errors += 1
            checked.add(inner)
            kinds = {True: "an object", False: "a weight"}
            print(
                f"...{inner} is {kinds[isinstance(ref, dict)]} in {ref_name} but "
                f"{kinds[isinstance(target[key], dict)]} in {target_name}"
            )
        elif isinstance(ref, dict):
            sub_errors, sub_matches = compare(
                target[key], ref, inner, target_name, ref_name, checked
            )
            errors += sub_errors
            matches += sub_matches
        elif tuple(target[key].shape) != tuple(ref.shape):
            errors += 1
            checked.add(inner)
            print(f"...Weight shape mismatch for {inner}")
            print(f"    In {ref_name}: shape={tuple(ref.shape)}")
            print(f"    In {target_name}: shape={tuple(target[key].shape)}")
        else:
            matches += 1
    return errors, matches


def write(f: Any, tree: dict[str, Any], path: str) -> None:
    leaves = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if leaves:
        group = f.require_group(f"{path}/vars" if path else "vars")
        for name, value in leaves.items():
            value = np.asarray(value)
            dataset = group.create_dataset(name, data=value)
            if value.dtype.name == "bfloat16":
                dataset.attrs["dtype"] = "bfloat16"  # as Keras marks it
    for name, value in tree.items():
        if isinstance(value, dict) and value:
            write(f, value, f"{path}/{name}" if path else name)


def weight_spec(model: Any, with_optimizer: bool = False) -> dict[str, Any]:
    """The weights ``model`` reads from a weights file, as the editor's nested dict of
    ``jax.ShapeDtypeStruct`` entries. With ``with_optimizer``, a compiled model's
    optimizer state too (kerax keeps it in ``.keras`` files only, under its own group)."""
    import jax

    spec: dict[str, Any] = {}
    for path, layer in weights_h5.walk(model):
        for group_name, handles in weights_h5._groups(layer):
            if not handles:
                continue
            parts = [p for p in weights_h5._join(path, group_name).split("/") if p]
            if parts and parts[-1] == "vars":
                parts = parts[:-1]
            node = spec
            for part in parts:
                node = node.setdefault(part, {})
            for i, handle in enumerate(handles):
                node[str(i)] = jax.ShapeDtypeStruct(tuple(handle.shape), handle.dtype)
    live = getattr(model, "_live_opt_state", None)
    compiled = with_optimizer and callable(live) and getattr(model, "compiled", False)
    state = live() if compiled else None
    if state is not None:
        leaves = jax.tree_util.tree_leaves(state)
        spec[OPT_GROUP] = {
            str(i): jax.ShapeDtypeStruct(np.shape(leaf), np.asarray(leaf).dtype)
            for i, leaf in enumerate(leaves)
        }
    return spec
