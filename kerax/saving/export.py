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

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
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

    names = ", ".join(
        ["batch"]
        + [
            f"d{i}_{a}"
            for i, spec in enumerate(graph.input_specs)
            for a, d in enumerate(spec.shape[1:], 1)
            if d is None
        ]
    )
    symbols = iter(jax_export.symbolic_shape(names))
    batch = next(symbols)
    input_structs = []
    for spec in graph.input_specs:
        shape = [batch if spec.shape[0] is None else spec.shape[0]]
        shape += [next(symbols) if d is None else d for d in spec.shape[1:]]
        input_structs.append(jax.ShapeDtypeStruct(tuple(shape), spec.dtype))
    var_structs = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in flat_vars]
    exported = jax_export.export(jax.jit(serve))(var_structs, *input_structs)
    try:
        blob = exported.serialize()
    except ImportError as err:
        raise ImportError(
            "Serializing an export needs the flatbuffers package: `pip install kerax[export]`."
        ) from err
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
    parent = os.path.dirname(os.path.abspath(path)) or "."
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        with open(os.path.join(tmp, "apply.jaxexport"), "wb") as f:
            f.write(blob)
        np.savez(
            os.path.join(tmp, "variables.npz"),
            **{f"v{i}": np.asarray(v) for i, v in enumerate(flat_vars)},
        )
        with open(os.path.join(tmp, "signature.json"), "w") as f:
            json.dump(signature, f)
        if os.path.exists(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


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
    with open(os.path.join(path, "apply.jaxexport"), "rb") as f:
        exported = jax_export.deserialize(bytearray(f.read()))
    with np.load(os.path.join(path, "variables.npz")) as data:
        variables = [data[f"v{i}"] for i in range(len(data.files))]
    with open(os.path.join(path, "signature.json")) as f:
        signature = json.load(f)
    return ExportedModel(exported, variables, signature)
