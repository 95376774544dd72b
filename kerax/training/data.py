"""Turning what users pass to ``fit`` / ``evaluate`` / ``predict`` into flat arrays.

In-memory data (NumPy or JAX arrays, lists, dicts keyed by input / output names) is
flattened in the model's input and output order, checked, and placed on the device
once. Iterables of batches (generators, ``tf.data``-like objects) are consumed batch
by batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from kerax.graph import host as _host
from kerax.graph.ir import Graph
from kerax.training import checks as _checks


def is_in_memory(x: Any) -> bool:
    """Whether ``x`` is arrays (or a list / dict of arrays), not an iterable of batches.

    A lone scalar or string counts as in-memory data, so that it reaches the input
    check (and its message) rather than being iterated over.
    """
    if isinstance(x, np.ndarray | jax.Array | np.generic | str | bytes | int | float | complex):
        return True
    if isinstance(x, Mapping):
        return all(is_in_memory(v) for v in x.values())
    if isinstance(x, list | tuple):
        return (
            all(is_in_memory(v) or np.isscalar(v) for v in x)
            and (not x or not np.isscalar(x[0]))
            or _looks_numeric(x)
        )
    return False


def _looks_numeric(x: Any) -> bool:
    try:
        arr = np.asarray(x)
    except Exception:
        return False
    return arr.dtype != object


def _array(
    value: Any,
    what: str,
    model: str | None = None,
    *,
    expected: Any = None,
    numbers_only: bool = True,
) -> np.ndarray | jax.Array:
    """``value`` as an array: float64 becomes float32 and int64 int32, as JAX computes.

    Args:
        value: An array, or what NumPy makes one of.
        what: How messages call it (``"y"``, ``'input 0 "title"'``).
        model: The model's name, for messages.
        expected: The shape it should have, for messages.
        numbers_only: Whether text and objects are refused here; inputs pass them on to
            :func:`kerax.training.checks.check_inputs`, which words those errors.

    Raises:
        ValueError: If ``value`` makes no array (ragged lists), or, with
            ``numbers_only``, no array of numbers; naming ``what`` and the model.
    """
    if isinstance(value, jax.Array):
        return value
    owner = f' of model "{model}"' if model else ""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:
        shape = "" if expected is None else f" (expected shape {expected})"
        raise ValueError(
            f"Could not make an array of {what}{owner}{shape} from the "
            f"{type(value).__name__} it received ({err}). Pass a NumPy array, or nested "
            "lists of equal lengths."
        ) from None
    if arr.dtype.kind in "OUSVMm":
        if not numbers_only:
            return arr
        raise ValueError(
            f"{what[:1].upper()}{what[1:]}{owner} must hold numbers; received an array of "
            f"dtype {arr.dtype} with shape {arr.shape}. Convert it first, e.g. "
            'np.asarray(values, dtype="float32").'
        )
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    if arr.dtype == np.int64:
        arr = arr.astype(np.int32)
    return arr


def flatten_x(graph: Graph, x: Any) -> list[Any]:
    """The inputs as arrays, in the graph's input order, checked against the model's
    inputs (see :func:`kerax.training.checks.check_inputs`) before anything is traced.

    Data with one trailing unit axis more or less than an input (``(n,)`` for an
    ``Input(shape=(1,))``) is reshaped to fit, as Keras does. An input that feeds a
    host-only layer (``TextVectorization``, ``StringLookup``) is then replaced by that
    layer's ``host_transform`` of it: the compiled model never sees strings.

    Raises:
        ValueError: On a wrong structure (missing or unknown dict keys, a wrong number
            of inputs), dtype, rank, dimension or number of rows.
    """
    if len(graph.inputs) == 1 and isinstance(x, list | tuple) and x:
        if all(isinstance(v, str | bytes) for v in x):
            x = np.asarray(x)  # a list of texts is one array of strings, not n inputs
    flat = graph.flatten_inputs(x)
    arrays = [
        _array(v, f'input {i} "{name}"', graph.name, expected=spec.shape, numbers_only=False)
        for i, (v, name, spec) in enumerate(zip(flat, graph.input_names, graph.input_specs))
    ]
    _checks.check_inputs(graph, arrays)
    out = []
    for spec, a in zip(graph.input_specs, arrays, strict=True):
        shape = _checks.adjusted_shape(spec.shape, tuple(np.shape(a)))
        out.append(_as_input_dtype(a if shape == np.shape(a) else a.reshape(shape), spec.dtype))
    for step in _host.host_prefix(graph):
        out[step.input] = _host_mapped(graph, step, out[step.input])
    return out


def _as_input_dtype(a: Any, dtype: str) -> Any:
    """Numbers (and bools) cast to their ``Input``'s dtype, as Keras converts each input
    to its ``Input``'s dtype: bool one-hot arrays, uint8 images and int64 indices reach
    the model as it declared them. Text is left to the checks (and the host prefix)."""
    if dtype == "string" or a.dtype == dtype:
        return a
    kinds = (_checks.dtype_category(a.dtype), _checks.dtype_category(np.dtype(dtype)))
    if all(k in ("bool", "int", "float") for k in kinds):
        return a.astype(dtype)
    return a


def _host_mapped(graph: Graph, step: _host.HostStep, raw: Any) -> np.ndarray | jax.Array:
    """Input ``step.input``'s raw data mapped by its host-only layer (the graph's host
    prefix): the array the compiled model receives in its place.

    The whole array is mapped at once, so a ``TextVectorization`` without
    ``output_sequence_length`` pads every row to the longest sequence of the data (per
    batch, for an iterable of batches).
    """
    layer = step.layer
    mapped = layer.host_transform(np.asarray(raw))
    name = graph.input_names[step.input]
    what = f'the output of {type(layer).__name__} "{layer.name}" on input "{name}"'
    return _array(mapped, what, graph.name)


def flatten_y(graph: Graph, y: Any, what: str = "y") -> list[Any]:
    """Targets (or per-output sample weights) as arrays, in the graph's output order.

    Accepts one array for a one-output model, a list in output order, or a dict keyed by
    output names (missing outputs get None).
    """
    names = graph.output_names
    n = len(names)
    if y is None:
        return [None] * n
    if isinstance(y, Mapping):
        unknown = [k for k in y if k not in names]
        if unknown:
            raise ValueError(
                f"`{what}` has key(s) {unknown} that are not output names of model "
                f"'{graph.name}'. Output names: {names}."
            )
        return [
            None if y.get(name) is None else _array(y[name], f"{what}['{name}']", graph.name)
            for name in names
        ]
    if isinstance(y, list | tuple) and n > 1:
        if len(y) != n:
            raise ValueError(
                f"Model '{graph.name}' has {n} outputs {names}, but `{what}` is a list of "
                f"{len(y)} arrays."
            )
        return [
            None if v is None else _array(v, f"{what}[{i}]", graph.name) for i, v in enumerate(y)
        ]
    if n == 1:
        if isinstance(y, list | tuple) and len(y) == 1 and (y[0] is None or is_in_memory(y[0])):
            y = y[0]  # a list in output order, as flattened data is (``[None]`` included)
        return [None if y is None else _array(y, what, graph.name)]
    return [_array(y, what, graph.name)] * n


def count_samples(arrays: Sequence[tuple[str, Any]], *, model: str | None = None) -> int:
    """The common number of examples of ``(name, array)`` pairs (None arrays skipped).

    Args:
        arrays: The arrays, each with the name messages use (``"x['title']"``).
        model: The model's name, for the messages.

    Raises:
        ValueError: If there is no data, or the arrays differ in rows; naming them.
    """
    shapes = {name: tuple(np.shape(a)) for name, a in arrays if a is not None and np.ndim(a) > 0}
    if not shapes:
        owner = f' for model "{model}"' if model else ""
        raise ValueError(f"No data was given{owner}: `x` is empty.")
    if len({shape[0] for shape in shapes.values()}) > 1:
        raise _checks.cardinality_error(shapes, model)
    return int(next(iter(shapes.values()))[0])


def class_weights_to_sample_weights(y: Any, class_weight: Mapping[int, float]) -> np.ndarray:
    """Per-example weights from ``class_weight`` and labels (integer or one-hot)."""
    y = np.asarray(y)
    if len(y) == 0:  # e.g. a process with no rows of its own
        return np.zeros(0, np.float32)
    labels = np.argmax(y, -1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(int)
    table = np.ones(max(int(labels.max()) + 1, max(class_weight) + 1), np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


def to_device(arrays: Sequence[Any]) -> list[Any]:
    """Places arrays on the default device once (None entries stay None).

    ``jax.device_put``, not ``jnp.asarray``: the latter runs a small program per
    shape for NumPy arrays (one more compile per data group before the first step)."""
    return [None if a is None else jax.device_put(a) for a in arrays]


def take(arrays: Sequence[Any], idx: np.ndarray) -> list[Any]:
    return [None if a is None else a[idx] for a in arrays]


def first_steps(
    groups: Sequence[Sequence[Any]], n: int, batch_size: int, steps: int | None
) -> tuple[list[list[Any]], int]:
    """In-memory data cut to its first ``steps`` batches, as Keras's ``evaluate`` /
    ``predict`` (``steps=``, ``validation_steps=``, the global step cap) read arrays:
    ``(groups, rows)``, unchanged when ``steps`` is None or covers every row."""
    if steps is None or steps * batch_size >= n:
        return [list(g) for g in groups], n
    m = steps * batch_size
    return [[None if a is None else a[:m] for a in g] for g in groups], m


def iterate_batches(data: Iterable[Any], shuffle: bool = False) -> Iterator[tuple[Any, Any, Any]]:
    """Yields ``(x, y, sample_weight)`` from an iterable of batches.

    Args:
        data: The batches.
        shuffle: Whether a ``kerax.utils.PyDataset`` serves its batches in a random order
            this epoch (``fit(shuffle=True)``, as Keras); other iterables have one order.

    Raises:
        TypeError: If ``data`` is neither arrays nor iterable.
    """
    if not isinstance(data, Iterable):
        raise TypeError(
            "Expected the data as arrays (or a list / dict of arrays keyed by input name), "
            f"or an iterable of batches; received {type(data).__name__}: {data!r:.80}."
        )
    from kerax.utils.py_dataset import PyDataset  # kerax.utils imports kerax.training

    for batch in data.epoch(shuffle) if isinstance(data, PyDataset) else data:
        if (
            isinstance(batch, tuple | list)
            and len(batch) in (1, 2, 3)
            and not (len(batch) > 0 and np.isscalar(batch[0]))
        ):
            x = batch[0]
            y = batch[1] if len(batch) > 1 else None
            sw = batch[2] if len(batch) > 2 else None
        else:
            x, y, sw = batch, None, None
        yield x, y, sw


def pad_rows(arrays: Sequence[Any], size: int) -> list[Any]:
    """Pads each array's first axis to ``size`` rows with zeros."""
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        a = np.asarray(a)
        extra = size - a.shape[0]
        out.append(
            a if extra == 0 else np.concatenate([a, np.zeros((extra, *a.shape[1:]), a.dtype)])
        )
    return out
