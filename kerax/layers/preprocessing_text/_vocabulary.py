"""The vocabulary state shared by the lookup layers: tokens, special slots, counting.

A vocabulary of size ``n`` assigns indices ``0 .. n-1``: first the mask slot (only
when a mask token is set and the output mode is ``"int"``), then ``num_oov_indices``
out-of-vocabulary slots, then the learned tokens in order. ``adapt`` orders the tokens
by count, most frequent first, and breaks ties by the tokens themselves, greatest
first (Keras's order; for strings, Python's code-point order, which is the UTF-8
byte order TensorFlow uses); the mask and OOV tokens are never learned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np


def order_by_count(counts: Counter[Any], limit: int | None) -> list[Any]:
    """Tokens by descending count, ties by descending token, at most ``limit``."""
    ordered = [t for t, _ in sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]
    return ordered if limit is None else ordered[: max(limit, 0)]


def inverse_document_frequency(doc_counts: Sequence[int], num_documents: int) -> np.ndarray:
    """Keras's idf: ``log(1 + num_documents / (1 + document_count))`` (float32)."""
    counts = np.asarray(doc_counts, np.float64)
    return np.log1p(num_documents / (1.0 + counts)).astype(np.float32)


def repeated(tokens: Iterable[Hashable]) -> list[Any]:
    """The tokens that occur more than once."""
    return [t for t, c in Counter(tokens).items() if c > 1]


class Counts:
    """Token and document counts gathered by ``adapt``."""

    def __init__(self, documents: bool) -> None:
        self.tokens: Counter[Any] = Counter()
        self.documents: Counter[Any] | None = Counter() if documents else None
        self.num_documents = 0

    def update(self, rows: Iterable[Sequence[Any]]) -> None:
        """Counts each row's tokens; with document counts, each row is one document."""
        for row in rows:
            self.tokens.update(row)
            if self.documents is not None:
                self.documents.update(set(row))
                self.num_documents += 1


def pad_idf(idf: np.ndarray, front: int, back: int, front_value: float | None = None) -> np.ndarray:
    """``idf`` with ``front`` slots of ``front_value`` (default: the mean) before it and
    ``back`` zeros after it, as float32."""
    idf = np.asarray(idf, np.float32)
    if front_value is None:
        front_value = float(idf.astype(np.float64).mean()) if idf.size else math.nan
    return np.concatenate(
        [np.full(front, front_value, np.float32), idf, np.zeros(max(back, 0), np.float32)]
    )
