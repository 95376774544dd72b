"""The data contract: what ``fit`` / ``evaluate`` / ``predict`` accept, checked before
anything is traced.

Every check here reads shapes and dtypes only, so a failed check leaves the model, its
weights and its compiled programs exactly as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax.graph.ir import Graph


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
        ValueError: Naming the output, the expected and the received shapes.
    """
    from kerax import losses as _losses

    for name, spec, loss, y in zip(graph.output_names, graph.output_specs, losses, ys):
        if loss is None:
            continue
        if y is None:
            raise ValueError(
                f"Output '{name}' has a loss ({loss.name}) but no target was given for it."
            )
        if type(loss) not in _losses._CLASSES:
            continue
        want = tuple(spec.shape[1:])
        got = tuple(np.shape(y)[1:])
        if isinstance(loss, _losses.SparseCategoricalCrossentropy):
            fits = [want[:-1], (*want[:-1], 1)]
        else:
            fits = [want]
            if want[-1:] == (1,):
                fits.append(want[:-1])
            if len(want) >= 1:
                fits.append((*want, 1))
        ok = any(
            len(got) == len(f) and all(a is None or a == b for a, b in zip(f, got)) for f in fits
        )
        if not ok:
            raise ValueError(
                f"Targets for output '{name}' have shape {(None, *got)}, which does not "
                f"fit the output shape {spec.shape} and the loss '{loss.name}'"
                + (
                    " (integer class labels, one per example)."
                    if isinstance(loss, _losses.SparseCategoricalCrossentropy)
                    else f" (targets shaped like the output, {(None, *want)})."
                )
            )
