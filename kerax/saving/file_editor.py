"""``KerasFileEditor``: inspect and edit the weights of ``.keras`` / ``.weights.h5`` files.

The editor reads a file's weights into a nested dict that follows the file's object
tree (``{"layers": {"dense": {"0": kernel, "1": bias}}}``: each object's ``vars`` group
is folded into the object's own entry), lets you rename, delete and add objects and
weights, and writes the result as a ``.weights.h5`` file in Keras 3's layout, ready for
``model.load_weights`` in kerax or Keras.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from kerax.saving import _weight_tree, weights_h5

_RULE = "─" * 21


class KerasFileEditor:
    """Inspects, edits and re-saves the weights of a Keras file.

    Useful to adapt a weights file to a changed architecture: rename the objects whose
    path changed, delete the weights of removed layers, add those of new ones, then
    :meth:`save` and load the result. Opening a file prints its path (and, for a
    ``.keras`` file, the Keras version and date it was saved with).

    An object's own weights and its sub-objects are both read: nested models and
    recurrent layers (whose weights sit on ``cell``) appear whole, where Keras 3.15's
    editor leaves out objects whose own ``vars`` group is empty.

    Args:
        filepath: Path to a local ``.keras`` or ``.weights.h5`` file.

    Attributes:
        filepath: The path opened.
        weights_dict: The weights, as nested dicts of NumPy arrays keyed by object and
            weight names (``"0"``, ``"1"``, ...). The edit methods change it in place.
        object_metadata: ``{"/layers/dense": {"name": "my_dense"}, ...}``: the
            attributes stored on each object's group (Keras stores the layer's name).
        config: The model config of a ``.keras`` file (``None`` for weights files).
        metadata: The metadata of a ``.keras`` file (``None`` for weights files).

    Example:

    ```python
    editor = KerasFileEditor("model.weights.h5")
    editor.summary()
    editor.delete_object("layers/dense_2")
    editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
    editor.save("edited.weights.h5")
    ```
    """

    def __init__(self, filepath: str | os.PathLike[str]) -> None:
        filepath = os.fspath(filepath)
        self.filepath = filepath
        self.config: dict[str, Any] | None = None
        self.metadata: dict[str, Any] | None = None
        if not filepath.endswith((".keras", ".weights.h5")):
            raise ValueError(
                "Invalid filename: expected a `.keras` or `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        if not os.path.isfile(filepath):
            raise FileNotFoundError(f"KerasFileEditor: no file at {filepath!r}.")
        weights_h5._h5py()  # h5py missing: its ImportError before any other check
        if filepath.endswith(".keras") and not zipfile.is_zipfile(filepath):
            raise ValueError(
                f"Cannot read {filepath!r} as a .keras file (a zip archive): "
                f"{weights_h5.describe_file(filepath)}."
            )
        if filepath.endswith(".keras"):
            with zipfile.ZipFile(filepath) as zf:
                names = set(zf.namelist())
                missing = {"config.json", "metadata.json", "model.weights.h5"} - names
                if missing:
                    raise ValueError(
                        f"{filepath!r} is not a .keras model file: the archive lacks "
                        f"{sorted(missing)}."
                    )
                self.config = json.loads(zf.read("config.json"))
                self.metadata = json.loads(zf.read("metadata.json"))
                source: Any = io.BytesIO(zf.read("model.weights.h5"))
        else:
            source = filepath
        f = weights_h5.open_for_reading(source, filepath, "a weights file")
        self.object_metadata: dict[str, dict[str, Any]] = {}
        with f:
            self.weights_dict: OrderedDict[str, Any] = self._read_group(f, "")
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            version = self.metadata.get("keras_version")
            date = self.metadata.get("date_saved")
            print(f"Saved with Keras {version} - date: {date}")

    # --- reading -------------------------------------------------------------------

    def _read_group(self, group: Any, path: str) -> OrderedDict[str, Any]:
        """The group's datasets and sub-objects; a ``vars`` subgroup is folded in."""
        h5py = weights_h5._h5py()
        result: OrderedDict[str, Any] = OrderedDict()
        if group.attrs:
            self.object_metadata[path] = {k: _plain(v) for k, v in group.attrs.items()}
        for key in group:
            link = group.get(key, getclass=True, getlink=True)
            if link in (h5py.SoftLink, h5py.ExternalLink):
                raise ValueError(
                    f"{self.filepath!r}: '{path}/{key}' is an HDF5 {link.__name__}; "
                    "the editor reads plain groups and datasets only."
                )
            value = group[key]
            child = f"{path}/{key}"
            if isinstance(value, h5py.Group):
                if key == "vars":
                    if value.attrs and len(value):
                        self.object_metadata[path] = {k: _plain(v) for k, v in value.attrs.items()}
                    result.update(self._read_leaves(value, path))
                    continue
                sub = self._read_group(value, child)
                if sub:
                    result[key] = sub
            elif isinstance(value, h5py.Dataset):
                result.update(self._read_leaves(group, path, only=key))
        return result

    def _read_leaves(self, group: Any, path: str, only: str | None = None) -> dict[str, Any]:
        h5py = weights_h5._h5py()
        leaves = {}
        for key in [only] if only is not None else list(group):
            value = group[key]
            if not isinstance(value, h5py.Dataset):
                raise ValueError(
                    f"{self.filepath!r}: '{path}/vars/{key}' is a group; a vars group "
                    "holds datasets only."
                )
            if value.external or value.is_virtual:
                raise ValueError(
                    f"{self.filepath!r}: '{path}/{key}' is an external or virtual dataset; "
                    "the editor reads datasets stored in the file only."
                )
            if value.attrs.get("dtype") == "bfloat16":  # Keras's marker for bfloat16
                import jax.numpy as jnp

                leaves[key] = np.array(value, dtype=jnp.bfloat16)
            else:
                leaves[key] = value[()]
        return leaves

    # --- display -------------------------------------------------------------------

    def summary(self) -> None:
        """Prints the tree of objects and weights (name, shape and dtype) in the file."""
        print("Weights structure")
        lines: list[str] = []
        _weight_tree.tree_lines(self.weights_dict, "  ", lines, first=[True])
        for line in lines:
            print(line)

    def compare(self, reference_model: Any) -> dict[str, Any]:
        """Compares the file's weights with those of ``reference_model``.

        Prints each object or weight present on one side only and each shape that
        differs, then a verdict.

        Args:
            reference_model: The kerax model (or layer) to compare with.

        Returns:
            ``{"status": "success" | "error", "error_count": int, "match_count": int}``:
            the number of mismatches printed and of weights present on both sides with
            the same shape. (Keras's counts can include some entries twice; kerax counts
            each once.)
        """
        print("Running comparison")
        reference = _weight_tree.weight_spec(
            reference_model, _weight_tree.OPT_GROUP in self.weights_dict
        )
        checked: set[str] = set()
        errors, matches = _weight_tree.compare(
            self.weights_dict, reference, "", "saved file", "reference model", checked
        )
        more, _ = _weight_tree.compare(
            reference, self.weights_dict, "", "reference model", "saved file", checked
        )
        errors += more
        print(_RULE)
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(
                f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not "
                "compatible with the reference model"
            )
        return {
            "status": "success" if errors == 0 else "error",
            "error_count": errors,
            "match_count": matches,
        }

    # --- editing -------------------------------------------------------------------

    def _locate(self, object_name: str) -> tuple[dict[str, Any], str]:
        """The dict holding ``object_name`` (a path, or a name unique in the file)."""
        if "/" in object_name:
            *parents, leaf = object_name.strip("/").split("/")
            node: Any = self.weights_dict
            for part in parents:
                if not isinstance(node, dict) or part not in node:
                    raise ValueError(f"Path '{object_name}' not found in model.")
                node = node[part]
            if not isinstance(node, dict) or leaf not in node:
                raise ValueError(f"Path '{object_name}' not found in model.")
            return node, leaf
        holders = _weight_tree.holders(self.weights_dict, object_name)
        if len(holders) > 1:
            raise ValueError(
                f"Name '{object_name}' occurs more than once in the model; "
                "try passing a complete path"
            )
        if not holders:
            raise ValueError(
                f"Source name '{object_name}' does not appear in the model. "
                "Use `editor.summary()` to list all objects."
            )
        return holders[0], object_name

    def _locate_object(self, object_name: str) -> dict[str, Any]:
        parent, key = self._locate(object_name)
        if not isinstance(parent[key], dict):
            raise ValueError(
                f"'{object_name}' is a weight, not an object; pass the path of the object "
                "that holds it."
            )
        return parent[key]

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Renames an object (e.g. a layer's entry) of the file.

        Args:
            object_name: Name or path of the object, e.g. ``"dense_2"`` or
                ``"layers/dense_2"``.
            new_name: The new name: a leaf name, not a path.
        """
        if "/" in new_name:
            raise ValueError(
                "Argument `target_name` should be a leaf name, not a full path name. "
                f"Received: target_name='{new_name}'"
            )
        parent, key = self._locate(object_name)
        if new_name in parent and new_name != key:
            raise ValueError(
                f"Cannot rename '{object_name}' to '{new_name}': an entry named "
                f"'{new_name}' already exists beside it. Delete or rename that one first."
            )
        parent[new_name] = parent.pop(key)

    def delete_object(self, object_name: str) -> None:
        """Removes an object (e.g. a layer's weights) from the file.

        Args:
            object_name: Name or path of the object, e.g. ``"dense_2"`` or
                ``"layers/dense_2"``.
        """
        parent, key = self._locate(object_name)
        del parent[key]

    def add_object(self, object_path: str, weights: dict[str, Any]) -> None:
        """Adds a new object (e.g. a new layer's weights) to the file.

        Args:
            object_path: Full path of the new object, e.g. ``"layers/dense_2"``; its
                parent must exist.
            weights: Weight names to arrays, e.g. ``{"0": kernel, "1": bias}``.
        """
        weights = _checked_weights(weights, "add_object")
        *parents, leaf = object_path.strip("/").split("/")
        node: Any = self.weights_dict
        for part in parents:
            if not isinstance(node, dict) or part not in node:
                raise ValueError(f"Path '{'/'.join(parents)}' not found in model.")
            node = node[part]
        if not isinstance(node, dict):
            raise ValueError(f"Path '{'/'.join(parents)}' is a weight, not an object.")
        if leaf in node:
            raise ValueError(
                f"Cannot add '{object_path}': it already exists. Use add_weights to add "
                "weights to it, or delete_object it first."
            )
        node[leaf] = weights

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Removes one weight from an object.

        Args:
            object_name: Name or path of the object, e.g. ``"dense_2"`` or
                ``"layers/dense_2"``.
            weight_name: The weight's name in the file, e.g. ``"1"``.
        """
        target = self._locate_object(object_name)
        if weight_name not in target:
            raise ValueError(
                f"Weight {weight_name} not found in object {object_name}. "
                f"Weights found: {list(target.keys())}"
            )
        del target[weight_name]

    def add_weights(self, object_name: str, weights: dict[str, Any]) -> None:
        """Adds weights to an existing object (replacing those of the same names).

        Args:
            object_name: Name or path of the object, e.g. ``"dense_2"`` or
                ``"layers/dense_2"``.
            weights: Weight names to arrays, e.g. ``{"0": kernel, "1": bias}``.
        """
        weights = _checked_weights(weights, "add_weights")
        self._locate_object(object_name).update(weights)

    # --- writing -------------------------------------------------------------------

    def save(self, filepath: str | os.PathLike[str]) -> None:
        """Writes the edited weights to a ``.weights.h5`` file in Keras 3's layout.

        Args:
            filepath: The path to write; must end in ``.weights.h5``.
        """
        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "Invalid `filepath` argument: expected a `.weights.h5` extension. "
                f"Received: filepath={filepath}"
            )
        h5py = weights_h5._h5py()
        directory = os.path.dirname(os.path.abspath(filepath))
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            path = os.path.join(tmp, "edited.weights.h5")
            with h5py.File(path, "w") as f:
                _weight_tree.write(f, self.weights_dict, "")
            os.replace(path, filepath)

    def resave_weights(self, filepath: str | os.PathLike[str]) -> None:
        """Same as :meth:`save`."""
        self.save(filepath)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _checked_weights(weights: Any, method: str) -> dict[str, Any]:
    if not isinstance(weights, dict):
        raise ValueError(
            f"KerasFileEditor.{method}: argument `weights` should be a dict where keys are "
            "weight names (usually '0', '1', etc.) and values are NumPy arrays. "
            f"Received: type(weights)={type(weights)}"
        )
    out: dict[str, Any] = {}
    for key, value in weights.items():
        if not isinstance(key, str) or "/" in key or not key:
            raise ValueError(
                f"KerasFileEditor.{method}: weight names must be non-empty strings without "
                f"'/'. Received: {key!r}"
            )
        out[key] = _checked_weights(value, method) if isinstance(value, dict) else np.asarray(value)
    return out
