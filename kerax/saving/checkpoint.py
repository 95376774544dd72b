"""Native checkpoints: the whole train state, restored exactly.

A checkpoint is a directory holding ``state.npz`` (every array of the train state:
params, layer state, optimizer state, metric states, step, RNG key data, loss scale)
and ``meta.json`` (the tree's structure as key paths, the dtypes, and user metadata
such as the epoch). Restoring rebuilds the same pytree with the same values, bit for
bit, so a resumed ``fit`` continues exactly where it stopped.

Writes are atomic: the directory is written under a temporary name and renamed over the
old one, so a crash mid-write leaves the last complete checkpoint in place.

Why not Orbax: on one host the train state is a few arrays, and a dependency-free writer
keeps kerax's runtime dependencies at jax, optax and numpy. Orbax earns its place for
state sharded across hosts (each host writing its shards, asynchronously); that belongs
with multi-host distribution and is not what this module does.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_FORMAT = 1


def _is_key(x: Any) -> bool:
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def _path_str(path: Any) -> str:
    return jax.tree_util.keystr(path)


def save_checkpoint(
    directory: str | os.PathLike[str], tree: Any, metadata: dict[str, Any] | None = None
) -> None:
    """Writes ``tree`` (any pytree of arrays, typed PRNG keys included) to ``directory``.

    Args:
        directory: The checkpoint directory (replaced atomically if it exists).
        tree: The pytree to save, e.g. a :class:`~kerax.training.TrainState`.
        metadata: JSON-able extras stored beside it (epoch, seeds...).
    """
    directory = os.fspath(directory)
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    arrays: dict[str, np.ndarray] = {}
    entries = []
    for i, (path, leaf) in enumerate(leaves):
        key = _is_key(leaf)
        value = np.asarray(jax.random.key_data(leaf) if key else leaf)
        arrays[f"a{i}"] = value
        entries.append(
            {
                "path": _path_str(path),
                "dtype": str(value.dtype),
                "prng_key": key,
                "impl": str(jax.random.key_impl(leaf)) if key else None,
            }
        )
    meta = {"format": _FORMAT, "leaves": entries, "metadata": metadata or {}}
    parent = os.path.dirname(os.path.abspath(directory)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".ckpt-", dir=parent)
    try:
        np.savez(os.path.join(tmp, "state.npz"), **arrays)
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            json.dump(meta, f)
        old = None
        if os.path.exists(directory):
            old = f"{tmp}-old"
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def read_metadata(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The user metadata of a checkpoint.

    Raises:
        FileNotFoundError: If there is no checkpoint there.
    """
    path = os.path.join(os.fspath(directory), "meta.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No checkpoint in {os.fspath(directory)!r}.")
    with open(path) as f:
        return json.load(f)["metadata"]


def restore_checkpoint(directory: str | os.PathLike[str], like: Any) -> Any:
    """Reads a checkpoint into the structure of ``like`` (a tree of the same shape).

    Raises:
        FileNotFoundError: If there is no checkpoint there.
        ValueError: If the checkpoint's structure, shapes or dtypes differ from
            ``like``'s (the message names the first difference), or it is corrupt.
    """
    directory = os.fspath(directory)
    meta_path = os.path.join(directory, "meta.json")
    if not os.path.exists(meta_path):
        raise FileNotFoundError(f"No checkpoint in {directory!r}.")
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        data = np.load(os.path.join(directory, "state.npz"))
        stored = [data[f"a{i}"] for i in range(len(meta["leaves"]))]
    except Exception as err:
        raise ValueError(f"Checkpoint {directory!r} is corrupt or truncated: {err}") from err
    leaves, treedef = jax.tree_util.tree_flatten_with_path(like)
    if len(leaves) != len(stored):
        raise ValueError(
            f"Checkpoint {directory!r} holds {len(stored)} arrays; the state to restore "
            f"has {len(leaves)}. Was it written by a different model or optimizer?"
        )
    out = []
    for (path, leaf), entry, value in zip(leaves, meta["leaves"], stored):
        where = _path_str(path)
        if entry["path"] != where:
            raise ValueError(
                f"Checkpoint {directory!r} does not match the state: it has {entry['path']} "
                f"where the state has {where}."
            )
        if entry["prng_key"]:
            value = jax.random.wrap_key_data(jnp.asarray(value), impl=jax.random.key_impl(leaf))
        else:
            expected = np.shape(leaf)
            if tuple(value.shape) != tuple(expected):
                raise ValueError(
                    f"Checkpoint {directory!r}: {where} has shape {tuple(value.shape)}, the "
                    f"state expects {tuple(expected)}."
                )
            value = jnp.asarray(value)
        out.append(value)
    return jax.tree_util.tree_unflatten(treedef, out)
