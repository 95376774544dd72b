"""Whole models in Keras 3's ``.keras`` zip layout.

A ``.keras`` file is a zip archive holding ``config.json`` (the model's architecture,
as ``serialize_layer`` writes it), ``metadata.json`` (versions, date) and
``model.weights.h5`` (the weights, in the layout of ``.weights.h5`` files). The archive
is written to a temporary file and renamed, so a crash never leaves a partial file.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
import zipfile
from typing import Any

from kerax.saving import weights_h5
from kerax.saving.serialization import deserialize_layer, serialize_layer


def save_model(model: Any, filepath: str | os.PathLike[str]) -> None:
    """Writes ``model`` (architecture and weights) to a ``.keras`` file."""
    import kerax

    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"The filename must end in `.keras`; received filepath={filepath!r}.")
    config = serialize_layer(model)
    if getattr(model, "compiled", False):
        config["compile_config"] = model._compile_config()
    metadata = {
        "keras_version": "3.0.0",
        "kerax_version": kerax.__version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    directory = os.path.dirname(os.path.abspath(filepath))
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        weights = os.path.join(tmp, "model.weights.h5")
        weights_h5.save_weights(model, weights)
        _save_optimizer_state(model, weights)
        archive = os.path.join(tmp, "model.keras")
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("metadata.json", json.dumps(metadata))
            zf.writestr("config.json", json.dumps(config))
            zf.write(weights, "model.weights.h5")
        os.replace(archive, filepath)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,  # noqa: A002 - Keras's argument name
) -> Any:
    """Reads a model written by ``model.save(...)``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not a ``.keras`` archive or lacks a part.
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No model file at {filepath!r}.")
    if filepath.endswith((".h5", ".hdf5")):
        from kerax.saving.legacy_h5 import load_legacy_model

        return load_legacy_model(filepath, custom_objects)
    try:
        zf = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile as err:
        raise ValueError(
            f"Cannot read {filepath!r}: not a .keras zip archive (corrupt or truncated?)."
        ) from err
    with zf:
        names = set(zf.namelist())
        missing = {"config.json", "model.weights.h5"} - names
        if missing:
            raise ValueError(
                f"{filepath!r} is not a complete .keras file: it lacks {sorted(missing)}."
            )
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    model = deserialize_layer(config, custom_objects)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.weights.h5")
        with open(path, "wb") as f:
            f.write(weights)
        try:
            weights_h5.load_weights(model, path)
        except ValueError as err:
            raise ValueError(f"{filepath!r}: {err}") from err
    if compile and config.get("compile_config"):
        model.compile(**_compile_args(config["compile_config"]))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.weights.h5")
            with open(path, "wb") as f:
                f.write(weights)
            _load_optimizer_state(model, path, filepath)
    return model


_OPT_GROUP = "kerax_optimizer_state"


def _save_optimizer_state(model: Any, path: str) -> None:
    """Adds the optimizer state (optax's pytree, flattened) to the weights file, under a
    group Keras does not read, so that training resumes where it stopped."""
    opt_state = model._live_opt_state() if getattr(model, "compiled", False) else None
    if opt_state is None:
        return
    import h5py
    import jax
    import numpy as np

    leaves = jax.tree_util.tree_leaves(opt_state)
    with h5py.File(path, "a") as f:
        group = f.create_group(_OPT_GROUP)
        for i, leaf in enumerate(leaves):
            group.create_dataset(str(i), data=np.asarray(leaf))


def _load_optimizer_state(model: Any, path: str, filepath: str) -> None:
    import h5py
    import jax
    import jax.numpy as jnp

    with h5py.File(path, "r") as f:
        if _OPT_GROUP not in f:
            return
        group = f[_OPT_GROUP]
        stored = [group[str(i)][()] for i in range(len(group))]
    from kerax.training import live

    like = live.start(model).opt_state
    leaves, treedef = jax.tree_util.tree_flatten(like)
    if len(leaves) != len(stored) or any(
        tuple(a.shape) != tuple(b.shape) for a, b in zip(leaves, stored)
    ):
        raise ValueError(
            f"{filepath!r}: the saved optimizer state does not fit the model's optimizer "
            f"({len(stored)} arrays saved, {len(leaves)} expected). Load with compile=False "
            "and compile again to start a fresh optimizer."
        )
    model._opt_state = jax.tree_util.tree_unflatten(
        treedef, [jnp.asarray(v, a.dtype) for a, v in zip(leaves, stored)]
    )


def _compile_args(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if v is not None}
