"""The data contract: what ``fit`` / ``evaluate`` / ``predict`` accept, checked before
anything is traced.

Every check here reads shapes and dtypes only, so a failed check leaves the model, its
weights and its compiled programs exactly as they were. The messages are built here,
so that every entry point words a mistake the same way: the model, the input (position
and name), the expected and the received shapes, and what to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kerax.graph.ir import Graph
from kerax.graph.spec import Shape, TensorSpec

_NUMERIC = ("bool", "int", "float")


def dtype_category(dtype: Any) -> str:
    """``"bool"``, ``"int"``, ``"float"``, ``"complex"``, ``"text"`` or ``"other"``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        return "other"
    if dt == np.bool_:
        return "bool"
    if np.issubdtype(dt, np.integer):
        return "int"
    if np.issubdtype(dt, np.complexfloating):
        return "complex"
    if np.issubdtype(dt, np.floating) or dt.name.startswith(("bfloat", "float8")):
        return "float"
    if dt.kind in "US":
        return "text"
    return "other"


def adjusted_shape(want: Shape, got: Shape) -> Shape:
    """``got`` after Keras's rank adjustment.

    A trailing unit axis the input does not have is dropped, and one the input has is
    added when the data lacks it (so ``(n,)`` data feeds an ``Input(shape=(1,))``).
    Any other shape is returned as it is.
    """
    if len(got) == len(want) + 1 and got[-1:] == (1,):
        return got[:-1]
    if len(got) == len(want) - 1 and want[-1:] == (1,):
        return (*got, 1)
    return got


def shapes_fit(want: Shape, got: Shape) -> bool:
    """Whether ``got`` has ``want``'s rank and agrees on every dimension both know."""
    return len(want) == len(got) and all(
        a is None or b is None or a == b for a, b in zip(want, got, strict=True)
    )


def _as_shape(shape: Sequence[Any]) -> str:
    """A per-example shape for messages: ``(n, 3)``."""
    dims = ["n" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _shape_fix(want: Shape, got: Shape) -> str:
    """What to change so that data of shape ``got`` fits an input of shape ``want``."""
    if len(got) != len(want):
        text = (
            f"The model takes arrays of rank {len(want)} (batch axis included); this one has "
            f"rank {len(got)}. Reshape the data to {_as_shape(want)}."
        )
        if len(got) == len(want) - 1 and shapes_fit(want[1:], got):
            text += f" For a single example, add the batch axis: x[None], of shape {(1, *got)}."
        return text
    bad = [i for i, (a, b) in enumerate(zip(want, got, strict=True)) if a not in (None, b)]
    axes = "; ".join(f"axis {i} has size {got[i]} where the model expects {want[i]}" for i in bad)
    text = f"{axes[0].upper()}{axes[1:]}: pass arrays of shape {_as_shape(want)}"
    if bad == [0]:
        text += ", or give the Input batch_shape=(None, ...) to accept any batch size"
    else:
        rebuilt = tuple(got[i] if i in bad else d for i, d in enumerate(want))[1:]
        text += f", or build the model on Input(shape={rebuilt}) for data like this"
    return text + "."


def input_error(graph: Graph, index: int, got: Shape, detail: str) -> ValueError:
    """The error for input ``index`` of ``graph`` receiving data of shape ``got``."""
    names = graph.input_names
    want = graph.input_specs[index].shape
    return ValueError(
        f'Input {index} "{names[index]}" of model "{graph.name}" is incompatible with the '
        f"model: expected shape {want}, received shape {tuple(got)}. {detail}"
    )


def check_input_specs(graph: Graph, specs: Sequence[TensorSpec]) -> None:
    """Checks symbolic inputs (a model called on ``KerasTensor`` s) against the inputs.

    Args:
        graph: The model's graph.
        specs: One spec per input, flattened in the graph's input order.

    Raises:
        ValueError: On a wrong number of inputs, or an input of another rank or with a
            known dimension that differs; naming the input and both shapes.
    """
    expected = graph.input_specs
    if len(specs) != len(expected):
        raise ValueError(
            f'Model "{graph.name}" expects {len(expected)} input(s) {graph.input_names} with '
            f"shapes {[s.shape for s in expected]}, but it was called on {len(specs)} "
            f"input(s) with shapes {[s.shape for s in specs]}."
        )
    for i, (want, got) in enumerate(zip(expected, specs, strict=True)):
        if not shapes_fit(want.shape, got.shape):
            raise input_error(graph, i, got.shape, _shape_fix(want.shape, got.shape))


def check_inputs(graph: Graph, arrays: Sequence[Any]) -> None:
    """Checks concrete inputs against the model's inputs, before anything is traced.

    Each array must hold numbers (booleans and integers feed floating inputs, as Keras
    casts them; text, objects and complex numbers do not), or text (NumPy ``U`` / ``S``
    strings, or objects) for an input of dtype ``"string"``; and have the input's rank (up
    to Keras's trailing unit axis, see :func:`adjusted_shape`) and match every known
    dimension. All inputs must have the same number of rows.

    Args:
        graph: The model's graph.
        arrays: One array per input, flattened in the graph's input order.

    Raises:
        ValueError: Naming the model, the input (position and name), the expected and
            the received shapes, and the fix.
    """
    for i, (spec, array) in enumerate(zip(graph.input_specs, arrays, strict=True)):
        got = tuple(np.shape(array))
        kind = dtype_category(array.dtype)
        if spec.dtype == "string":
            if np.dtype(array.dtype).kind not in "USO":
                raise input_error(
                    graph,
                    i,
                    got,
                    f"The input takes strings (dtype string), but this array holds "
                    f"{array.dtype} values: pass the raw text, e.g. np.array(texts), and "
                    "let the model's host-only layer map it.",
                )
        elif kind not in _NUMERIC:
            what = {"text": "text", "complex": "complex numbers"}.get(kind, "Python objects")
            raise input_error(
                graph,
                i,
                got,
                f"The input takes {spec.dtype} numbers, but this array holds {what} "
                f"(dtype {array.dtype}): convert it first, e.g. "
                f'np.asarray(x, dtype="{spec.dtype}").',
            )
        if not shapes_fit(spec.shape, adjusted_shape(spec.shape, got)):
            raise input_error(graph, i, got, _shape_fix(spec.shape, got))
    rows = {
        f"x['{name}']": np.shape(a)
        for name, a in zip(graph.input_names, arrays, strict=True)
        if np.ndim(a) > 0
    }
    if len({shape[0] for shape in rows.values()}) > 1:
        raise cardinality_error(rows, graph.name)


def cardinality_error(shapes: Mapping[str, Shape], model: str | None = None) -> ValueError:
    """The error for arrays (``{name: shape}``) that disagree on their number of rows."""
    listing = ", ".join(
        f"{name}: {shape[0]} (shape {tuple(shape)})" for name, shape in shapes.items()
    )
    owner = f' given to model "{model}"' if model else ""
    return ValueError(
        f"Data cardinality is ambiguous: all arrays{owner} must have the same number of "
        f"samples (rows). Received sizes {listing}. Pass the same examples in each array."
    )


# ---------------------------------------------------------------------- targets
def check_targets(graph: Graph, losses: Sequence[Any], ys: Sequence[Any]) -> None:
    """Checks that every output with a loss has a target of a usable shape.

    Only Keras's own losses are checked (a custom loss may take targets of any
    shape). A trailing unit axis may be present or absent, as the losses squeeze
    or add it; sparse crossentropy takes integer labels without the class axis.

    Args:
        graph: The model's graph (output names and specs).
        losses: One resolved loss (or None) per output.
        ys: One target array (or None) per output.

    Raises:
        ValueError: Naming the model, the output, the expected and the received shapes.
    """
    from kerax import losses as _losses

    outputs = zip(graph.output_names, graph.output_specs, losses, ys)
    for i, (name, spec, loss, y) in enumerate(outputs):
        if loss is None:
            continue
        if y is None:
            raise ValueError(
                f'Output {i} "{name}" of model "{graph.name}" has a loss ({loss.name}) but no '
                "target was given for it. Pass its targets in `y` (a list in output order, "
                "or a dict keyed by output name)."
            )
        if type(loss) not in _losses._CLASSES:
            continue
        want = tuple(spec.shape[1:])
        got = tuple(np.shape(y)[1:])
        sparse = isinstance(loss, _losses.SparseCategoricalCrossentropy)
        if sparse:
            fits = [want[:-1], (*want[:-1], 1)]
        else:
            fits = [want]
            if want[-1:] == (1,):
                fits.append(want[:-1])
            if len(want) >= 1:
                fits.append((*want, 1))
        if not any(shapes_fit(f, got) for f in fits):
            hint = (
                f"integer class labels, one per example, of shape {(None, *want[:-1])}"
                if sparse
                else f"targets shaped like the output, {(None, *want)}"
            )
            raise ValueError(
                f'Targets for output {i} "{name}" of model "{graph.name}" have shape '
                f"{tuple(np.shape(y))}, which does not fit the output shape {spec.shape} and "
                f"the loss '{loss.name}': it takes {hint}."
            )


def check_validation_data(
    graph: Graph, losses: Sequence[Any], validation_data: Any
) -> tuple[list[Any], list[Any], list[Any]] | None:
    """Checks in-memory ``validation_data`` as ``fit`` will use it, before training.

    ``fit`` evaluates it at the end of the first epoch; checking it up front means a
    bad one fails before any weight changes. Iterables of batches are not consumed
    here (their batches are checked as they arrive).

    Returns:
        The flat ``(xs, ys, sample_weights)`` of in-memory data, which ``fit``
        evaluates from then on; None for an iterable of batches.

    Args:
        graph: The model's graph.
        losses: One resolved loss (or None) per output.
        validation_data: ``(x, y)`` or ``(x, y, sample_weight)``, as given to ``fit``.

    Raises:
        ValueError: As :func:`check_inputs`, :func:`check_targets` and the row check.
    """
    from kerax.training import data as _data

    if not (
        isinstance(validation_data, tuple | list)
        and len(validation_data) in (2, 3)
        and _data.is_in_memory(validation_data[0])
    ):
        return None
    xs = _data.flatten_x(graph, validation_data[0])
    ys = _data.flatten_y(graph, validation_data[1], "validation y")
    sw = validation_data[2] if len(validation_data) == 3 else None
    sws = _data.flatten_y(graph, sw, "validation sample_weight")
    check_targets(graph, losses, ys)
    named = (
        [(f"validation x['{n}']", a) for n, a in zip(graph.input_names, xs, strict=True)]
        + [(f"validation y['{n}']", a) for n, a in zip(graph.output_names, ys, strict=True)]
        + [
            (f"validation sample_weight['{n}']", a)
            for n, a in zip(graph.output_names, sws, strict=True)
        ]
    )
    _data.count_samples(named, model=graph.name)
    return xs, ys, sws
