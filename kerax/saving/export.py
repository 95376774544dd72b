"""``model.export(path)``: the pure apply serialized with ``jax.export``.

The export is a directory that serves the model without its Python code:

* ``apply.jaxexport``: the serialized inference function, StableHLO with a symbolic
  batch dimension (``jax.export``), taking the flat variables and the inputs;
* ``variables.npz``: the flat variables, in the order the function takes them;
* ``signature.json``: input and output names, shapes and dtypes.

:func:`load_exported` reads it back with nothing but JAX and NumPy and returns a
callable.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jax
import numpy as np
from jax import export as jax_export


def export_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Writes ``model``'s inference function and current weights to directory ``path``."""
    path = os.fspath(path)
    graph = model.graph
    lowered = model.lowered
    if lowered.host_prefix:
        names = ", ".join(step.layer.name for step in lowered.host_prefix)
        raise ValueError(
            f"Model '{model.name}' maps raw strings on the host ({names}), which an exported "
            "StableHLO program cannot do. Export the model that follows those layers (it "
            "takes their integer output), and apply the layers to the text before calling it."
        )
    variables = model.get_variables()
    flat_vars, var_tree = jax.tree_util.tree_flatten(variables)
    n_inputs = len(graph.inputs)

    def serve(flat: Sequence[Any], *inputs: Any) -> list[Any]:
        out, _ = lowered.apply(jax.tree_util.tree_unflatten(var_tree, list(flat)), list(inputs))
        return jax.tree_util.tree_leaves(out)

    input_structs = symbolic_structs([(spec.shape, spec.dtype) for spec in graph.input_specs])
    var_structs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in flat_vars]
    exported = jax_export.export(jax.jit(serve))(var_structs, *input_structs)
    blob = serialize(exported)
    signature = {
        "inputs": [
            {"name": name, "shape": list(spec.shape), "dtype": spec.dtype}
            for name, spec in zip(graph.input_names, graph.input_specs)
        ],
        "outputs": [
            {"name": name, "shape": list(spec.shape), "dtype": spec.dtype}
            for name, spec in zip(graph.output_names, graph.output_specs)
        ],
        "num_inputs": n_inputs,
    }
    with write_directory(path) as tmp:
        with open(os.path.join(tmp, "apply.jaxexport"), "wb") as f:
            f.write(blob)
        save_arrays(os.path.join(tmp, "variables.npz"), flat_vars)
        with open(os.path.join(tmp, "signature.json"), "w") as f:
            json.dump(signature, f)


class ExportedModel:
    """A model loaded from :func:`export_model`: call it on arrays.

    Attributes:
        signature: Names, shapes and dtypes of the inputs and outputs.
    """

    def __init__(self, exported: Any, variables: list[np.ndarray], signature: dict[str, Any]):
        self._exported = exported
        self._variables = variables
        self.signature = signature

    def __call__(self, *inputs: Any) -> Any:
        """Runs the model: inputs positionally, as one list, or as a dict by input name.

        Returns:
            One array for a one-output model, else a dict by output name.
        """
        specs = self.signature["inputs"]
        if len(inputs) == 1 and isinstance(inputs[0], Mapping):
            inputs = tuple(inputs[0][s["name"]] for s in specs)
        elif len(inputs) == 1 and isinstance(inputs[0], list | tuple) and len(specs) > 1:
            inputs = tuple(inputs[0])
        if len(inputs) != len(specs):
            raise ValueError(
                f"The exported model takes {len(specs)} input(s) "
                f"{[s['name'] for s in specs]}; received {len(inputs)}."
            )
        arrays = [np.asarray(x, dtype=s["dtype"]) for x, s in zip(inputs, specs)]
        outs = self._exported.call(self._variables, *arrays)
        names = [o["name"] for o in self.signature["outputs"]]
        if len(names) == 1:
            return outs[0]
        return dict(zip(names, outs))


def load_exported(path: str | os.PathLike[str]) -> ExportedModel:
    """Loads a directory written by ``model.export(path)``.

    Raises:
        FileNotFoundError: If a part of the export is missing.
    """
    path = os.fspath(path)
    for part in ("apply.jaxexport", "variables.npz", "signature.json"):
        if not os.path.exists(os.path.join(path, part)):
            raise FileNotFoundError(f"{path!r} is not a kerax export: {part} is missing.")
    exported = read_exported(os.path.join(path, "apply.jaxexport"))
    variables = load_arrays(os.path.join(path, "variables.npz"))
    with open(os.path.join(path, "signature.json")) as f:
        signature = json.load(f)
    return ExportedModel(exported, variables, signature)


# --- the pieces every jax.export artifact of kerax is made of ---------------------------
# (``model.export`` here, and ``kerax.export.ExportArchive``)


def symbolic_structs(
    specs: Sequence[tuple[Sequence[int | None], Any]], scope: Any = None
) -> list[jax.ShapeDtypeStruct]:
    """``(shape, dtype)`` pairs as ``jax.ShapeDtypeStruct`` with symbolic unknown dims.

    Every ``None`` leading dimension is one shared symbol ``batch`` (the inputs of one
    call agree on their batch); every other ``None`` gets its own symbol, so the program
    serves any batch size and any length along those axes.

    Args:
        specs: One ``(shape, dtype)`` per input.
        scope: A ``jax.export.SymbolicScope`` to create the symbols in (a new one if
            None); symbols of one program must share a scope.
    """
    names = ["batch"] + [
        f"d{i}_{a}"
        for i, (shape, _) in enumerate(specs)
        for a, d in enumerate(tuple(shape)[1:], 1)
        if d is None
    ]
    symbols = iter(jax_export.symbolic_shape(", ".join(names), scope=scope))
    batch = next(symbols)
    structs = []
    for shape, dtype in specs:
        shape = tuple(shape)
        if not shape:
            structs.append(jax.ShapeDtypeStruct((), dtype))
            continue
        dims = [batch if shape[0] is None else shape[0]]
        dims += [next(symbols) if d is None else d for d in shape[1:]]
        structs.append(jax.ShapeDtypeStruct(tuple(dims), dtype))
    return structs


def serialize(exported: Any) -> bytearray:
    """``exported.serialize()``, with the optional package it needs named on failure."""
    try:
        return exported.serialize()
    except ImportError as err:
        raise ImportError(
            "Serializing an export needs the flatbuffers package: `pip install kerax[export]`."
        ) from err


def read_exported(path: str) -> Any:
    """The ``jax.export.Exported`` serialized in file ``path``."""
    with open(path, "rb") as f:
        return jax_export.deserialize(bytearray(f.read()))


def save_arrays(path: str, arrays: Sequence[Any]) -> None:
    """Writes ``arrays`` to ``.npz`` file ``path`` as ``v0, v1, ...``."""
    np.savez(path, **{f"v{i}": np.asarray(v) for i, v in enumerate(arrays)})


def load_arrays(path: str) -> list[np.ndarray]:
    """The arrays :func:`save_arrays` wrote, in order."""
    with np.load(path) as data:
        return [data[f"v{i}"] for i in range(len(data.files))]


@contextlib.contextmanager
def write_directory(path: str) -> Iterator[str]:
    """Yields a fresh directory beside ``path`` to fill; on success it replaces
    ``path`` in one rename, so a failed export never leaves half a directory."""
    parent = os.path.dirname(os.path.abspath(path)) or "."
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        yield tmp
        if os.path.exists(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
