"""``pad_sequences``: ragged integer sequences to one array."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(
    sequences: Sequence[Sequence[Any]],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pads (or truncates) sequences to a common length, as Keras does.

    Args:
        sequences: A list of sequences (lists or arrays; items may be vectors).
        maxlen: The length to pad to; the longest sequence's length by default.
        dtype: Dtype of the result (default ``"int32"``).
        padding: ``"pre"`` (default) or ``"post"``: where to add padding.
        truncating: ``"pre"`` (default) or ``"post"``: where to cut long sequences.
        value: The padding value.

    Returns:
        An array of shape ``(len(sequences), maxlen, *item_shape)``.

    Raises:
        ValueError: For an unknown ``padding`` or ``truncating`` mode.
    """
    for arg, mode in (("padding", padding), ("truncating", truncating)):
        if mode not in ("pre", "post"):
            raise ValueError(f"`{arg}` must be 'pre' or 'post', received {arg}={mode!r}.")
    arrays = [np.asarray(s) for s in sequences]
    lengths = [len(a) for a in arrays]
    maxlen = max(lengths, default=0) if maxlen is None else maxlen
    item_shape = next((a.shape[1:] for a in arrays if len(a)), ())
    out = np.full((len(arrays), maxlen, *item_shape), value, dtype=dtype)
    for i, a in enumerate(arrays):
        if not len(a) or maxlen == 0:
            continue
        a = a[-maxlen:] if truncating == "pre" else a[:maxlen]
        if padding == "post":
            out[i, : len(a)] = a
        else:
            out[i, maxlen - len(a) :] = a
    return out
