"""Reading Keras 2 ``.h5`` files: weights-only files and whole models.

Keras 2 (``tf.keras``) wrote HDF5 files in a different layout from Keras 3:

* weights: the root (or, in a whole-model file, the ``model_weights`` group) has a
  ``layer_names`` attribute; each layer's group has a ``weight_names`` attribute
  (``"dense/kernel:0"``, ...) naming its datasets, in the layer's weight order;
* whole models: the root's ``model_config`` attribute holds the architecture as JSON,
  with Keras 2's call records (``inbound_nodes`` as ``[[layer, node, tensor, kwargs],
  ...]`` lists).

Weights are matched to the model's layers by name, as Keras 2 did by default.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def is_legacy_weights(f: Any) -> bool:
    """Whether an open HDF5 file is in Keras 2's layout."""
    return "layer_names" in f.attrs or (
        "model_weights" in f and "layer_names" in f["model_weights"].attrs
    )


def load_legacy_weights(model: Any, f: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Loads Keras 2 weights from the open file ``f`` into ``model``, by layer name.

    Raises:
        ValueError: If a layer of the model is missing from the file or its weights
            differ in count or shape (unless ``skip_mismatch``); nothing changes then.
    """
    root = f["model_weights"] if "model_weights" in f else f
    names = [_text(n) for n in root.attrs["layer_names"]]
    from kerax.layers._base import walk

    assignments: list[tuple[Any, np.ndarray]] = []
    for layer in walk([model]):
        handles = layer._own_weights()
        if not handles:
            continue
        if layer.name not in names:
            if skip_mismatch:
                continue
            raise ValueError(
                f"Cannot load {filepath!r}: it has no weights for layer '{layer.name}' "
                f"(layers in the file: {names}). No weight was changed."
            )
        group = root[layer.name]
        stored = [np.asarray(group[_text(w)]) for w in group.attrs["weight_names"]]
        shapes_ok = len(stored) == len(handles) and all(
            tuple(a.shape) == tuple(h.shape) for a, h in zip(stored, handles)
        )
        if not shapes_ok:
            if skip_mismatch:
                continue
            raise ValueError(
                f"Cannot load {filepath!r} into layer '{layer.name}': the file has weights of "
                f"shapes {[a.shape for a in stored]}, the layer expects "
                f"{[h.shape for h in handles]}. No weight was changed."
            )
        assignments.extend(zip(handles, stored))
    for handle, value in assignments:
        handle.assign(value)


def _convert_node(node: Any) -> dict[str, Any]:
    """A Keras 2 call record ``[[layer, node, tensor, kwargs], ...]`` in Keras 3's form."""
    tensors = []
    kwargs: dict[str, Any] = {}
    for entry in node:
        layer, node_index, tensor_index = entry[0], entry[1], entry[2]
        if len(entry) > 3 and entry[3]:
            kwargs.update(entry[3])
        tensors.append(
            {
                "class_name": "__keras_tensor__",
                "config": {"keras_history": [layer, node_index, tensor_index]},
            }
        )
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _single(refs: list[Any]) -> Any:
    return refs[0] if len(refs) == 1 else refs


def convert_config(config: dict[str, Any]) -> dict[str, Any]:
    """A Keras 2 model config in the layout kerax rebuilds (Keras 3's)."""
    inner = config["config"]
    if config["class_name"] == "Sequential":
        layers = [dict(layer) for layer in inner["layers"]]
        return {"class_name": "Sequential", "config": {"name": inner.get("name"), "layers": layers}}
    layers = []
    for layer in inner["layers"]:
        entry = dict(layer)
        entry["inbound_nodes"] = [_convert_node(n) for n in layer.get("inbound_nodes", [])]
        if entry["class_name"] in ("Functional", "Model"):
            entry = {
                **convert_config(entry),
                "name": entry["name"],
                "inbound_nodes": entry["inbound_nodes"],
            }
        layers.append(entry)
    return {
        "class_name": "Functional",
        "config": {
            "name": inner.get("name"),
            "layers": layers,
            # Keras 2 always wrote lists; one input or output meant a single tensor.
            "input_layers": _single(inner["input_layers"]),
            "output_layers": _single(inner["output_layers"]),
        },
    }


def load_legacy_model(filepath: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds a whole Keras 2 ``.h5`` model (architecture and weights)."""
    import h5py

    from kerax.saving.serialization import deserialize_layer

    with h5py.File(filepath, "r") as f:
        if "model_config" not in f.attrs:
            raise ValueError(
                f"{filepath!r} holds no model architecture (no model_config): it is a "
                "weights file; build the model and call load_weights."
            )
        config = json.loads(_text(f.attrs["model_config"]))
        model = deserialize_layer(convert_config(config), custom_objects)
        load_legacy_weights(model, f, filepath)
    return model
