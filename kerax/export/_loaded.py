"""Reading an :class:`~kerax.export.ExportArchive` back, with JAX and NumPy only."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from kerax.saving.export import load_arrays, read_exported


class LoadedEndpoint:
    """One endpoint of a reloaded archive: call it with the arguments its signature
    names (arrays, or the lists / dicts the endpoint was traced with).

    Attributes:
        name: The endpoint's name.
        inputs: Shape (``None`` for symbolic dimensions) and dtype of each input.
        outputs: Shape and dtype of each output (symbolic dimensions by name).
    """

    def __init__(self, name: str, exported: Any, weights: list[np.ndarray], info: dict) -> None:
        self.name = name
        self._exported = exported
        self._weights = weights
        self.inputs = info["inputs"]
        self.outputs = info["outputs"]

    def __call__(self, *args: Any) -> Any:
        """Runs the endpoint; returns what the traced function returned."""
        return self._exported.call(self._weights, *args)

    def __repr__(self) -> str:
        return f"<LoadedEndpoint {self.name}: {len(self.inputs)} input(s)>"


class LoadedArchive:
    """A directory written by ``ExportArchive.write_out``, loaded.

    Each endpoint is an attribute (``archive.serve(x)``), and so is each variable
    collection (a list of NumPy arrays).

    Attributes:
        endpoints: ``{name: LoadedEndpoint}``.
        variables: Every tracked weight, as NumPy arrays, in the order of the tracked
            layers' ``weights``.
        trainable_variables: The trainable ones among them.
        non_trainable_variables: The others.
    """

    def __init__(self, manifest: dict[str, Any], arrays: list[np.ndarray], path: str) -> None:
        self.variables = [arrays[i] for i in manifest["variables"]]
        self.trainable_variables = [a for a, t in zip(self.variables, manifest["trainable"]) if t]
        self.non_trainable_variables = [
            a for a, t in zip(self.variables, manifest["trainable"]) if not t
        ]
        self.endpoints: dict[str, LoadedEndpoint] = {}
        for name, info in manifest["endpoints"].items():
            exported = read_exported(os.path.join(path, info["file"]))
            weights = [[arrays[i] for i in slots] for slots in info["weights"]]
            self.endpoints[name] = LoadedEndpoint(name, exported, weights, info)
            setattr(self, name, self.endpoints[name])
        for name, slots in manifest["collections"].items():
            setattr(self, name, [arrays[i] for i in slots])

    def __repr__(self) -> str:
        return f"<LoadedArchive endpoints={sorted(self.endpoints)}>"


def load_archive(path: str | os.PathLike[str]) -> LoadedArchive:
    """Loads a directory written by :meth:`ExportArchive.write_out`.

    Keras reloads its (SavedModel) archive with ``tf.saved_model.load``; this is the
    kerax counterpart, needing only JAX and NumPy (no model code).

    Raises:
        FileNotFoundError: If ``path`` is not an ExportArchive directory.
    """
    from kerax.export._archive import FORMAT

    path = os.fspath(path)
    manifest_path = os.path.join(path, "archive.json")
    if not os.path.exists(manifest_path):
        hint = (
            " It is a model.export() directory: load it with kerax.saving.load_exported()."
            if os.path.exists(os.path.join(path, "apply.jaxexport"))
            else ""
        )
        raise FileNotFoundError(f"{path!r} is not an ExportArchive: no archive.json.{hint}")
    with open(manifest_path) as f:
        manifest = json.load(f)
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{manifest_path!r} is not a kerax ExportArchive manifest.")
    return LoadedArchive(manifest, load_arrays(os.path.join(path, "variables.npz")), path)
