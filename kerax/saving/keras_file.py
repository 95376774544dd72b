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
from kerax.saving.object_registration import CustomObjectScope, is_user_object
from kerax.saving.serialization import deserialize_layer, serialize_layer
from kerax.saving.serialization_lib import (
    SafeModeScope,
    deserialize,
    resolve_class,
    serialize_keras_object,
)
from kerax.saving.weights_h5 import describe_file


def save_model(model: Any, filepath: str | os.PathLike[str]) -> None:
    """Writes ``model`` (architecture and weights) to a ``.keras`` file."""
    import kerax

    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"The filename must end in `.keras`; received filepath={filepath!r}.")
    config = serialize_layer(model)
    if getattr(model, "compiled", False):
        config["compile_config"] = compile_config(model)
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
        assets = _save_layer_state(model, weights, tmp)
        archive = os.path.join(tmp, "model.keras")
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("metadata.json", json.dumps(metadata))
            zf.writestr("config.json", json.dumps(config))
            zf.write(weights, "model.weights.h5")
            for arcname, path in assets:
                zf.write(path, arcname)
        os.replace(archive, filepath)


def load_model(
    filepath: str | os.PathLike[str],
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,  # noqa: A002 - Keras's argument name
    safe_mode: bool = True,
) -> Any:
    """Reads a model written by ``model.save(...)`` (kerax's or Keras 3's).

    Args:
        filepath: A ``.keras`` file, or a Keras 2 ``.h5`` model file.
        custom_objects: ``{name: class or function}`` for your layers, activations,
            losses, ... that are not registered with ``register_keras_serializable``.
        compile: Whether to compile the model as it was saved (optimizer state too).
        safe_mode: When True (the default), refuse to run Python lambdas stored in the
            file (a ``Lambda`` layer's function); pass False only for files you trust.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not a ``.keras`` archive, lacks a part, or names a
            class or function that neither kerax nor you define; the message names the
            file and the entry.
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No model file at {filepath!r}.")
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects or {}):
        return _load_model(filepath, custom_objects, compile)


def _load_model(filepath: str, custom_objects: dict[str, Any] | None, compile: bool) -> Any:  # noqa: A002
    if filepath.endswith(".weights.h5"):
        raise ValueError(
            f"{filepath!r} holds weights only, not a model: build the model and call "
            "model.load_weights(...) with it."
        )
    if filepath.endswith((".h5", ".hdf5")):
        from kerax.saving.legacy_h5 import load_legacy_model

        return load_legacy_model(filepath, custom_objects)
    try:
        zf = zipfile.ZipFile(filepath)
    except zipfile.BadZipFile as err:
        raise ValueError(
            f"Cannot read {filepath!r}: not a .keras zip archive ({describe_file(filepath)})."
        ) from err
    with zf:
        names = set(zf.namelist())
        missing = {"config.json", "model.weights.h5"} - names
        if missing:
            raise ValueError(
                f"{filepath!r} is not a complete .keras file: it lacks {sorted(missing)}."
            )
        try:
            config = json.loads(zf.read("config.json"))
        except (ValueError, UnicodeDecodeError) as err:
            raise ValueError(f"{filepath!r}: config.json is not valid JSON: {err}") from err
        weights = zf.read("model.weights.h5")
        assets = {n: zf.read(n) for n in names if n.startswith("assets/")}
    if not isinstance(config, dict):
        raise ValueError(f"{filepath!r}: config.json must hold an object; received {config!r}.")
    try:
        model = deserialize_layer(config, custom_objects)
    except ValueError as err:
        raise ValueError(f"Cannot load {filepath!r}: {err}") from err
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.weights.h5")
        with open(path, "wb") as f:
            f.write(weights)
        try:
            weights_h5.load_weights(model, path)
        except ValueError as err:
            raise ValueError(f"{filepath!r}: {err}") from err
    _load_layer_state(model, weights, assets)
    if compile and config.get("compile_config"):
        try:
            args = _compile_args(config["compile_config"], custom_objects)
            model.compile(**args)
        except ValueError as err:
            raise ValueError(f"Cannot load {filepath!r}: {err}") from err
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


def compile_config(model: Any) -> dict[str, Any]:
    """The model's compile arguments as Keras writes them: losses and metrics given as
    objects or functions are written as their configs, not by name only."""
    config = model._compile_config()
    loss, _, metrics, weighted_metrics = model._compile_args
    for key, value in (
        ("loss", loss),
        ("metrics", metrics),
        ("weighted_metrics", weighted_metrics),
    ):
        try:
            config[key] = serialize_keras_object(value)
        except TypeError as err:
            raise TypeError(f"Cannot save the model's compile argument {key}: {err}") from err
    return config


def _compile_args(config: dict[str, Any], custom_objects: dict[str, Any] | None) -> dict[str, Any]:
    args = {k: v for k, v in config.items() if v is not None}
    optimizer = args.get("optimizer")
    if isinstance(optimizer, dict):
        where = "compile_config, 'optimizer'"
        cls = resolve_class(optimizer, "optimizer", custom_objects, where)
        if is_user_object(cls) or (custom_objects and cls in custom_objects.values()):
            args["optimizer"] = deserialize(optimizer, "optimizer", custom_objects, where)
    for key, kind in (("loss", "loss"), ("metrics", "metric"), ("weighted_metrics", "metric")):
        if key in args:
            args[key] = deserialize(args[key], kind, custom_objects, f"compile_config, {key!r}")
    return args


def _save_layer_state(model: Any, weights_path: str, tmp: str) -> list[tuple[str, str]]:
    """What layers keep besides their weights, in Keras's places: the files a layer's
    ``save_assets(dir)`` writes go to ``assets/<layer path>/`` in the archive (returned
    as ``(archive name, file)`` pairs), and the named arrays of ``_h5_extra_vars()`` (a
    lookup layer's idf weights) to ``<layer path>/vars/<name>`` in the weights file."""
    assets: list[tuple[str, str]] = []
    extras: list[tuple[str, dict[str, Any]]] = []
    for path, layer in weights_h5.walk(model):
        if hasattr(layer, "save_assets"):
            directory = os.path.join(tmp, "assets", *path.split("/"))
            os.makedirs(directory, exist_ok=True)
            layer.save_assets(directory)
            for name in sorted(os.listdir(directory)):
                file = os.path.join(directory, name)
                if os.path.isfile(file):
                    assets.append(("/".join(p for p in ("assets", path, name) if p), file))
        arrays = layer._h5_extra_vars() if hasattr(layer, "_h5_extra_vars") else None
        if arrays:
            extras.append((path, arrays))
    if extras:
        with weights_h5._h5py().File(weights_path, "a") as f:
            for path, arrays in extras:
                group = f.require_group(f"{path}/vars" if path else "vars")
                for name, value in arrays.items():
                    group.create_dataset(name, data=value)
    return assets


def _load_layer_state(model: Any, weights: bytes, assets: dict[str, bytes]) -> None:
    """Gives layers back what :func:`_save_layer_state` stored (``load_assets(dir)``,
    ``_load_h5_extra_vars(arrays)``), the arrays first, as Keras does."""
    layers = [
        (path, layer)
        for path, layer in weights_h5.walk(model)
        if hasattr(layer, "load_assets") or hasattr(layer, "_load_h5_extra_vars")
    ]
    if not layers:
        return
    with tempfile.TemporaryDirectory() as tmp:
        weights_path = os.path.join(tmp, "model.weights.h5")
        with open(weights_path, "wb") as f:
            f.write(weights)
        with weights_h5._h5py().File(weights_path, "r") as f:
            for path, layer in layers:
                if not hasattr(layer, "_load_h5_extra_vars"):
                    continue
                group = f.get(f"{path}/vars" if path else "vars")
                if group is not None:
                    layer._load_h5_extra_vars({k: group[k][()] for k in group if not k.isdigit()})
        for path, layer in layers:
            if not hasattr(layer, "load_assets"):
                continue
            prefix = "/".join(p for p in ("assets", path) if p) + "/"
            directory = os.path.join(tmp, "assets", *path.split("/"))
            os.makedirs(directory, exist_ok=True)
            for name, data in assets.items():
                rest = name[len(prefix) :]
                if name.startswith(prefix) and rest and "/" not in rest:
                    with open(os.path.join(directory, rest), "wb") as out:
                        out.write(data)
            layer.load_assets(directory)
