"""``.weights.h5`` files in Keras 3's layout, both ways.

Keras 3 stores each layer's own variables under ``<path>/vars/<i>`` (in the layer's
variable order), where ``<path>`` follows the object tree: a model's layers sit under
``layers/<snake_case class name>`` (numbered ``_1``, ``_2`` among siblings of one class,
in ``model.layers`` order, Input layers included), other sublayers under their
attribute name. A layer reached twice is written once, at its first path. ``h5py`` is
a dependency of kerax (``pip install kerax`` installs it).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerax import _naming

# Attributes of kerax layers that hold layers for kerax's own bookkeeping, not as
# children in Keras's saving tree.
_SKIP = frozenset({"_tracked_layers", "_stack", "_input_layer", "_tensors", "_graph"})


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Reading and writing .keras and .weights.h5 files needs h5py: `pip install h5py`."
        ) from err
    return h5py


def _children(layer: Any) -> Iterator[tuple[str, Any]]:
    from kerax.layers._base import Layer
    from kerax.models.functional import Model

    extra: dict[str, Any] = {}
    if isinstance(layer, Model):
        if getattr(layer, "_subclassed", False):
            # A model written as a class: Keras walks ``layers`` among its attributes
            # (sorted), so it holds only the layers no attribute before it reached.
            extra["layers"] = list(layer.layers)
        else:
            yield "layers", list(layer.layers)
    attrs = sorted([*vars(layer), *extra], key=lambda n: f"~{n}" if n.startswith("_") else n)
    for name in attrs:
        if name in _SKIP or name.startswith("__"):
            continue
        value = extra[name] if name in extra else vars(layer)[name]
        if isinstance(value, Layer):
            yield name, value
        elif isinstance(value, list | tuple) and any(isinstance(v, Layer) for v in value):
            yield name, [v for v in value if isinstance(v, Layer)]
        elif isinstance(value, dict) and any(isinstance(v, Layer) for v in value.values()):
            yield name, [v for v in value.values() if isinstance(v, Layer)]


def walk(layer: Any, path: str = "", seen: set[int] | None = None) -> Iterator[tuple[str, Any]]:
    """Yields ``(path, layer)`` in Keras's saving order, each layer once."""
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return
    seen.add(id(layer))
    yield path, layer
    for attr, child in _children(layer):
        base = f"{path}/{attr}" if path else attr
        if isinstance(child, list):
            used: dict[str, int] = {}
            for sub in child:
                name = _naming.to_snake_case(_keras_class_name(sub))
                count = used.get(name, 0)
                used[name] = count + 1
                yield from walk(sub, f"{base}/{name if count == 0 else f'{name}_{count}'}", seen)
        else:
            yield from walk(child, base, seen)


def _keras_class_name(layer: Any) -> str:
    from kerax.models.functional import Model
    from kerax.models.sequential import Sequential

    if isinstance(layer, Model) and not isinstance(layer, Sequential):
        return "Functional"
    return type(layer).__name__


def _groups(layer: Any) -> list[tuple[str, list[Any]]]:
    """The variable groups of a layer: ``[("vars", own weights)]`` unless it overrides."""
    hook = getattr(layer, "_h5_groups", None)
    if hook is not None:
        return hook()
    return [("vars", layer._own_weights())]


def _join(path: str, leaf: str) -> str:
    return f"{path}/{leaf}" if path else leaf


def save_weights(model: Any, filepath: str | os.PathLike[str]) -> None:
    """Writes ``model``'s weights to ``filepath`` in Keras 3's ``.weights.h5`` layout.

    The file is written to a temporary name and renamed, so a crash mid-write never
    leaves a truncated file behind.
    """
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`; received filepath={filepath!r}.")
    tmp = f"{filepath}.tmp{os.getpid()}"
    try:
        with h5py.File(tmp, "w") as f:
            for path, layer in walk(model):
                for group_name, handles in _groups(layer):
                    group = f.require_group(_join(path, group_name))
                    group.attrs["name"] = layer.name
                    for i, handle in enumerate(handles):
                        group.create_dataset(str(i), data=handle.numpy())
        os.replace(tmp, filepath)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_weights(model: Any, filepath: str | os.PathLike[str], skip_mismatch: bool = False) -> None:
    """Loads weights written by :func:`save_weights` or by Keras 3.

    Every array is read and checked before any weight changes, so a file that does not
    fit the model raises and leaves the model as it was.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not a readable HDF5 weights file, or a layer's
            variables are missing or of other shapes (unless ``skip_mismatch``).
    """
    _h5py()  # h5py missing: its ImportError before any other check
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No weights file at {filepath!r}.")
    if os.path.isfile(filepath) and zipfile.is_zipfile(filepath):
        _load_from_archive(model, filepath, skip_mismatch)
        return
    f = open_for_reading(filepath, filepath, "a .weights.h5 file")
    from kerax.saving import legacy_h5

    if legacy_h5.is_legacy_weights(f):
        with f:
            legacy_h5.load_legacy_weights(model, f, filepath, skip_mismatch)
        return
    assignments: list[tuple[Any, np.ndarray]] = []
    with f:
        for path, layer in walk(model):
            for group_name, handles in _groups(layer):
                if not handles:
                    continue
                key = _join(path, group_name)
                group = f.get(key)
                stored = [] if group is None else [group[str(i)] for i in range(len(group))]
                problem = None
                if len(stored) != len(handles):
                    problem = (
                        f"expects {len(handles)} variables, the file has {len(stored)} at '{key}'"
                    )
                else:
                    for h, data in zip(handles, stored):
                        if tuple(data.shape) != tuple(h.shape):
                            problem = (
                                f"variable '{h.path}' has shape {h.shape}, the file has "
                                f"{tuple(data.shape)} at '{key}'"
                            )
                            break
                if problem:
                    if skip_mismatch:
                        continue
                    raise ValueError(
                        f"Cannot load {filepath!r} into layer '{layer.name}' "
                        f"({type(layer).__name__}): it {problem}. No weight was changed."
                    )
                assignments.extend((h, np.asarray(d)) for h, d in zip(handles, stored))
    for handle, value in assignments:
        handle.assign(value)


_SIGNATURES = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file that h5py cannot open (corrupt or truncated?)"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"{", "a JSON text (a model config? use kerax.models.model_from_json)"),
)


def open_for_reading(source: Any, filepath: str, what: str) -> Any:
    """``h5py.File(source, "r")``; a ValueError naming ``filepath``, ``what`` it was
    read as and what it is instead when it is not an HDF5 file."""
    try:
        return _h5py().File(source, "r")
    except OSError as err:
        raise ValueError(f"Cannot read {filepath!r} as {what}: {describe_file(filepath)}.") from err


def describe_file(filepath: str) -> str:
    """What kind of file ``filepath`` is, from its first bytes, for error messages."""
    if os.path.isdir(filepath):
        return "it is a directory (a checkpoint? use model.restore_checkpoint)"
    with open(filepath, "rb") as f:
        head = f.read(8)
    if not head:
        return "the file is empty"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return f"it is {kind}"
    return f"it is not an HDF5 file (it starts with {head!r})"


def _load_from_archive(model: Any, filepath: str, skip_mismatch: bool) -> None:
    """Loads the weights part of a ``.keras`` archive, as Keras 3's ``load_weights``."""
    with zipfile.ZipFile(filepath) as zf:
        if "model.weights.h5" not in zf.namelist():
            raise ValueError(
                f"Cannot load weights from {filepath!r}: it is a zip archive without "
                "model.weights.h5, not a .keras model file."
            )
        data = zf.read("model.weights.h5")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.weights.h5")
        with open(path, "wb") as f:
            f.write(data)
        try:
            load_weights(model, path, skip_mismatch=skip_mismatch)
        except ValueError as err:
            raise ValueError(f"{filepath!r}: {err}") from err
