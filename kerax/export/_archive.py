"""``ExportArchive``: several serving endpoints over shared weights, with ``jax.export``.

Keras's ``ExportArchive`` writes a TensorFlow SavedModel. kerax has no TensorFlow, so
each endpoint becomes a ``jax.export`` program (StableHLO, unknown dimensions
symbolic) that takes the archive's weights as explicit arguments; the weights are
written once, whichever endpoints use them. :func:`load_archive` reads the directory
back with JAX and NumPy only, as an object whose attributes are the endpoints.

The directory holds:

* ``archive.json``: the endpoints (their files, input and output signatures, the
  weights each takes), the variable collections and which weights are trainable;
* ``variables.npz``: the weights, ``v0, v1, ...``, read when ``write_out`` runs;
* ``<endpoint>.jaxexport``: one serialized program per endpoint.
"""

from __future__ import annotations

import json
import keyword
import os
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax import export as jax_export

from kerax.export._tracing import bind_values, is_spec, layers_of
from kerax.saving.export import save_arrays, serialize, symbolic_structs, write_directory

#: Names the reloaded archive already uses for something else.
RESERVED = frozenset(
    {"endpoints", "variables", "trainable_variables", "non_trainable_variables", "signatures"}
)
FORMAT = "kerax-export-archive"


class ExportArchive:
    """Collects serving endpoints of kerax models and layers, then writes them out.

    Each endpoint is a function of its inputs that uses the tracked models' weights;
    ``write_out`` serializes every endpoint with ``jax.export`` and stores the current
    weights once. Dimensions given as ``None`` in an ``input_signature`` stay symbolic,
    so the reloaded endpoint takes any batch size (a leading ``None`` is one batch
    symbol shared by all inputs; other ``None`` axes get a symbol each).

    Keras reloads its archive with ``tf.saved_model.load``; kerax reloads its own with
    :func:`kerax.export.load_archive`, whose result has each endpoint as a method
    (``reloaded.serve(x)``), the variable collections as attributes, and
    ``variables`` / ``trainable_variables`` / ``non_trainable_variables`` as lists of
    NumPy arrays.

    Example:

    ```python
    archive = kerax.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve", model.call, input_signature=[jax.ShapeDtypeStruct((None, 3), "float32")]
    )
    archive.write_out("path/to/location")
    reloaded = kerax.export.load_archive("path/to/location")
    outputs = reloaded.serve(inputs)
    ```

    Args:
        format: ``"saved_model"`` (Keras's default; here a ``jax.export`` archive). Keras's
            ``"neptune_model"`` needs TensorFlow and is refused.

    Raises:
        ValueError: For another ``format``.
    """

    def __init__(self, format: str = "saved_model") -> None:  # noqa: A002 - Keras's name
        if format != "saved_model":
            raise ValueError(
                f"ExportArchive(format={format!r}): kerax writes jax.export archives only, "
                "format='saved_model'."
            )
        self._layers: list[Any] = []
        self._layer_ids: set[int] = set()
        self._endpoints: dict[str, dict[str, Any]] = {}
        self._collections: dict[str, list[Any]] = {}

    # --- building -----------------------------------------------------------------------

    def track(self, resource: Any) -> Any:
        """Tracks the weights of a kerax layer or model (nested ones included).

        Endpoints take the tracked weights as arguments, so the archive stores them once
        and ``variables`` lists them after reloading. Weights of a layer that an
        endpoint uses but nobody tracked are baked into that endpoint's program as
        constants (the results are the same). An endpoint added with a layer, a model
        or one of their bound methods as ``fn`` tracks it itself.

        Args:
            resource: A kerax ``Layer`` or ``Model`` (built).

        Returns:
            ``resource``.

        Raises:
            TypeError: If ``resource`` is not a kerax layer (TensorFlow resources such
                as lookup tables do not exist in kerax).
            ValueError: If the layer is not built yet.
        """
        for layer in layers_of(resource):
            if id(layer) not in self._layer_ids:
                self._layer_ids.add(id(layer))
                self._layers.append(layer)
        return resource

    def add_endpoint(
        self, name: str, fn: Callable[..., Any], input_signature: Any = None, **kwargs: Any
    ) -> Callable[..., Any]:
        """Registers ``fn`` as endpoint ``name``, traced for ``input_signature``.

        Args:
            name: The endpoint's name: an identifier, not yet used, not one of
                ``variables``, ``trainable_variables``, ``non_trainable_variables``,
                ``endpoints``, ``signatures``.
            fn: A function of arrays that may call kerax models and layers (``model``,
                ``model.call``, ``lambda x: model(x, training=False)``, ...). It is
                traced once per ``add_endpoint``, with ``jax.jit``.
            input_signature: One spec structure per positional argument of ``fn``: a
                list whose items are specs (anything with ``shape`` and ``dtype``:
                ``jax.ShapeDtypeStruct``, ``keras.InputSpec``, a ``KerasTensor``, an
                array) or lists / tuples / dicts of them. ``None`` dimensions are
                symbolic. When None and ``fn`` is a kerax model, or its ``call`` /
                ``__call__``, the model's inputs give it.
            **kwargs: Keras's JAX options: ``is_static=True`` is what kerax does (an
                endpoint is a pure function, state updates made during the call are
                dropped); ``is_static=False`` (keep state updates) and
                ``jax2tf_kwargs`` (TensorFlow conversion) are refused.

        Returns:
            The jitted endpoint, callable on arrays with the current weights.

        Raises:
            ValueError: For a bad or taken name, a missing ``input_signature``, or a
                refused option.
            TypeError: For an unknown keyword argument or a bad spec.
        """
        self._check_name(name, "Endpoint")
        _check_kwargs(name, kwargs)
        owner = _owner(fn)
        if owner is not None:
            self.track(owner)
        if input_signature is None:
            input_signature = _model_signature(owner, name)
        if not isinstance(input_signature, list | tuple):
            input_signature = [input_signature]
        layers = list(self._layers)
        templates = [_values_template(layer) for layer in layers]

        def pure(weights: list[Any], *args: Any) -> Any:
            with bind_values(layers, weights, templates):
                return fn(*args)

        leaves, tree = jax.tree_util.tree_flatten(list(input_signature), is_leaf=is_spec)
        bad = [leaf for leaf in leaves if not is_spec(leaf) or leaf.shape is None]
        if bad:
            raise TypeError(
                f"Endpoint '{name}': every leaf of input_signature must have a shape and a "
                f"dtype (jax.ShapeDtypeStruct, keras.InputSpec, ...); received {bad[0]!r}."
            )
        specs = [(tuple(leaf.shape), _dtype_name(leaf.dtype)) for leaf in leaves]
        if any(d in ("string", "object") or d.startswith(("str", "bytes")) for _, d in specs):
            raise ValueError(
                f"Endpoint '{name}': a string input cannot enter a jax.export program. Export "
                "the model that follows the text layers (TextVectorization, StringLookup) and "
                "apply those layers to the text before calling the endpoint."
            )
        structs = jax.tree_util.tree_unflatten(tree, symbolic_structs(specs))
        weight_structs = [
            [jax.ShapeDtypeStruct(np.shape(v), v.dtype) for v in jax.tree_util.tree_leaves(t)]
            for t in templates
        ]
        jitted = jax.jit(pure)
        exported = jax_export.export(jitted)(weight_structs, *structs)
        self._endpoints[name] = {
            "exported": exported,
            "layers": layers,
            "inputs": [{"shape": list(s), "dtype": d} for s, d in specs],
        }

        def endpoint(*args: Any) -> Any:
            return jitted([_current_leaves(layer) for layer in layers], *args)

        endpoint.__name__ = name
        return endpoint

    def track_and_add_endpoint(
        self, name: str, resource: Any, input_signature: Any, **kwargs: Any
    ) -> Callable[..., Any]:
        """Tracks ``resource`` and adds endpoint ``name`` calling it.

        Same as ``track(resource)`` then ``add_endpoint(name, resource,
        input_signature, **kwargs)``; ``input_signature=None`` takes a model's inputs.
        """
        self.track(resource)
        return self.add_endpoint(name, resource, input_signature, **kwargs)

    def add_variable_collection(self, name: str, variables: Sequence[Any]) -> None:
        """Stores ``variables``' values (read at ``write_out``) under ``name``.

        The reloaded archive has them as attribute ``name``: a list of NumPy arrays.

        Args:
            name: An identifier, not taken by an endpoint, a collection or the reserved
                names of :meth:`add_endpoint`.
            variables: A list, tuple or set of kerax variables: layer weights
                (``Variable``) or optimizer / metric state (``model.optimizer.variables``).

        Raises:
            ValueError: For a bad or taken name.
            TypeError: If ``variables`` is not a collection of ``Variable`` objects.
        """
        from kerax.metrics._variables import StateVariable
        from kerax.variables import Variable

        self._check_name(name, "Variable collection")
        if not isinstance(variables, list | tuple | set):
            raise TypeError(
                f"add_variable_collection('{name}'): expected a list, tuple or set of "
                f"Variables; received {type(variables).__name__}."
            )
        bad = [v for v in variables if not isinstance(v, Variable | StateVariable)]
        if bad:
            raise TypeError(
                f"add_variable_collection('{name}'): expected kerax Variables; received "
                f"{type(bad[0]).__name__}."
            )
        self._collections[name] = list(variables)

    def write_out(
        self, filepath: str | os.PathLike[str], options: Any = None, verbose: bool = True
    ) -> None:
        """Writes the archive to directory ``filepath`` (replaced if it exists).

        Args:
            filepath: The directory.
            options: ``tf.saved_model.SaveOptions`` in Keras; there is no SavedModel
                here, so anything but None is refused.
            verbose: Print the endpoints and their signatures.

        Raises:
            ValueError: If ``options`` is given or no endpoint was added.
        """
        if options is not None:
            raise ValueError(
                "ExportArchive.write_out(options=...) takes tf.saved_model.SaveOptions, which "
                "do not apply to a jax.export archive; leave options=None."
            )
        if not self._endpoints:
            raise ValueError("No endpoint to write: call add_endpoint() first.")
        path = os.fspath(filepath)
        weights: list[Any] = []
        order: list[int] = []  # the weights in Keras's order (``layer.weights``)
        trainable: list[bool] = []
        slots: dict[int, list[int]] = {}
        for layer in self._layers:
            flat, _ = jax.tree_util.tree_flatten_with_path(_values_template(layer))
            where = {
                tuple(k.key for k in path): len(weights) + i for i, (path, _) in enumerate(flat)
            }
            slots[id(layer)] = list(range(len(weights), len(weights) + len(flat)))
            weights += [leaf for _, leaf in flat]
            for v in layer.weights:
                order.append(where[(v.spec.collection, v.spec.name)])
                trainable.append(bool(v.trainable))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "version": 1,
            "variables": order,
            "trainable": trainable,
            "endpoints": {},
            "collections": {},
        }
        with write_directory(path) as tmp:
            for name, entry in self._endpoints.items():
                exported = entry["exported"]
                with open(os.path.join(tmp, f"{name}.jaxexport"), "wb") as f:
                    f.write(serialize(exported))
                manifest["endpoints"][name] = {
                    "file": f"{name}.jaxexport",
                    "weights": [slots[id(layer)] for layer in entry["layers"]],
                    "inputs": entry["inputs"],
                    "outputs": [
                        {"shape": [str(d) for d in a.shape], "dtype": str(a.dtype)}
                        for a in exported.out_avals
                    ],
                }
            extra = []
            for name, variables in self._collections.items():
                first = len(weights) + len(extra)
                extra += [np.asarray(v.value) for v in variables]
                manifest["collections"][name] = list(range(first, first + len(variables)))
            save_arrays(os.path.join(tmp, "variables.npz"), [*weights, *extra])
            with open(os.path.join(tmp, "archive.json"), "w") as f:
                json.dump(manifest, f, indent=1)
        if verbose:
            print(f"Saved artifact at '{path}'. The following endpoints are available:")
            for name, entry in self._endpoints.items():
                args = ", ".join(f"{tuple(s['shape'])} {s['dtype']}" for s in entry["inputs"])
                outs = ", ".join(f"{a.shape} {a.dtype}" for a in entry["exported"].out_avals)
                print(f"* Endpoint '{name}'\n  inputs: {args}\n  outputs: {outs}")

    def _check_name(self, name: Any, what: str) -> None:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"{what} name must be a Python identifier; received {name!r}.")
        if name in RESERVED or name.startswith("_"):
            raise ValueError(
                f"{what} name '{name}' is reserved by the reloaded archive; choose another."
            )
        if name in self._endpoints or name in self._collections:
            raise ValueError(f"{what} name '{name}' is already taken.")


def _check_kwargs(name: str, kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - {"is_static", "jax2tf_kwargs"})
    if unknown:
        raise TypeError(f"add_endpoint('{name}') got unexpected keyword argument(s) {unknown}.")
    if kwargs.get("is_static", True) is not True and kwargs.get("is_static") is not None:
        raise ValueError(
            f"add_endpoint('{name}', is_static=False): a kerax endpoint is a pure function "
            "of its inputs and the weights; state updates made during the call are not "
            "kept. Leave is_static unset (or True)."
        )
    if kwargs.get("jax2tf_kwargs") is not None:
        raise ValueError(
            f"add_endpoint('{name}', jax2tf_kwargs=...): kerax does not convert to "
            "TensorFlow (the endpoint is serialized with jax.export); remove the argument."
        )


def _owner(fn: Any) -> Any:
    """The kerax layer ``fn`` is, or whose bound method it is; else None."""
    from kerax.layers import Layer

    if isinstance(fn, Layer):
        return fn
    owner = getattr(fn, "__self__", None)
    return owner if isinstance(owner, Layer) else None


def _model_signature(owner: Any, name: str) -> list[Any]:
    inputs = getattr(owner, "inputs", None) if owner is not None else None
    if not inputs:
        raise ValueError(
            f"add_endpoint('{name}'): input_signature is required unless fn is a kerax model "
            "(or its call): give one spec per argument, e.g. "
            "[jax.ShapeDtypeStruct((None, 3), 'float32')]."
        )
    specs = [jax.ShapeDtypeStruct(tuple(t.shape), t.dtype) for t in inputs]
    return [specs[0] if len(specs) == 1 else specs]


def _values_template(layer: Any) -> dict[str, Any]:
    values = layer._current_values()
    return {"params": dict(values["params"]), "state": dict(values["state"])}


def _current_leaves(layer: Any) -> list[Any]:
    return jax.tree_util.tree_leaves(_values_template(layer))


def _dtype_name(dtype: Any) -> str:
    name = getattr(dtype, "name", dtype) or "float32"
    return "string" if name == "string" else np.dtype(name).name
