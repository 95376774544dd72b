"""Keras's helpers for the ``(x, y, sample_weight)`` tuples ``fit`` takes, for use in
custom ``train_step`` / ``test_step`` code and data pipelines."""

from __future__ import annotations

from typing import Any


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """Packs data into the tuple form ``fit`` takes.

    ``x`` alone is returned as it is, unless it is a list or tuple (then ``(x,)``, so it
    is not mistaken for ``(x, y)``); otherwise ``(x, y)``, or ``(x, y, sample_weight)``
    when a sample weight is given.

    Args:
        x: The model's inputs.
        y: The targets.
        sample_weight: Per-example weights (used only with ``y``).

    Returns:
        ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.
    """
    if y is None:
        return (x,) if isinstance(x, tuple | list) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Unpacks ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list is
    read as a tuple) into ``(x, y, sample_weight)``, with None for what is missing.

    Args:
        data: The batch, as ``fit`` gives it to ``train_step``.

    Returns:
        The triple ``(x, y, sample_weight)``.

    Raises:
        ValueError: For a tuple or list of more than three items.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) > 3:
        raise ValueError(
            "unpack_x_y_sample_weight: expected `x`, `(x,)`, `(x, y)` or "
            f"`(x, y, sample_weight)`; received a tuple of {len(data)} items: {data}"
        )
    return (*data, *([None] * (3 - len(data))))  # type: ignore[return-value]
