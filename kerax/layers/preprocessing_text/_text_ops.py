"""The string steps of ``TextVectorization``, on Python strings.

They follow TensorFlow's string ops, which Keras uses: ``"lower"`` changes ASCII
letters only (``tf.strings.lower`` without an encoding), punctuation is the ASCII set
``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~``, ``"whitespace"`` splits on runs of ASCII
whitespace (space, tab, newline, vertical tab, form feed, carriage return) and drops
empty pieces, ``"character"`` splits into Unicode code points, and n-grams join tokens
with one space, all widths in the order given, widths longer than the sequence giving
none.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")

_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_STRIP = str.maketrans("", "", string.punctuation)
_WHITESPACE = re.compile("[ \t\n\v\f\r]+")


def _map(texts: np.ndarray, fn: Callable[[str], str]) -> np.ndarray:
    out = np.empty(texts.shape, dtype=object)
    flat = out.reshape(-1)
    for i, s in enumerate(texts.reshape(-1).tolist()):
        flat[i] = fn(s)
    return out


def standardize(texts: np.ndarray, mode: Any, encoding: str) -> np.ndarray:
    """Applies a built-in ``standardize`` mode, or a callable, to an object array of
    ``str``. A callable receives a NumPy unicode array and returns strings of the same
    shape."""
    if mode is None:
        return texts
    if callable(mode):
        result = np.asarray(mode(texts.astype(str)))
        if result.shape != texts.shape:
            raise ValueError(
                "TextVectorization: the `standardize` callable must return strings of the "
                f"input's shape {texts.shape}; it returned shape {result.shape}."
            )
        from kerax.layers.preprocessing_text.string_lookup import to_text

        return to_text(result, encoding, "TextVectorization")
    if mode in ("lower", "lower_and_strip_punctuation"):
        texts = _map(texts, lambda s: s.translate(_LOWER))
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        texts = _map(texts, lambda s: s.translate(_STRIP))
    return texts


def split(texts: np.ndarray, mode: Any) -> list[list[str]]:
    """Splits a 1-D object array of ``str`` into one token list per element. A callable
    receives a 1-D NumPy unicode array and returns one sequence of tokens per element."""
    if callable(mode):
        rows = mode(texts.astype(str))
        rows = [list(np.asarray(r).reshape(-1).tolist()) for r in rows]
        if len(rows) != len(texts):
            raise ValueError(
                "TextVectorization: the `split` callable must return one token sequence "
                f"per input string ({len(texts)}); it returned {len(rows)}."
            )
        return [[t.decode() if isinstance(t, bytes) else str(t) for t in r] for r in rows]
    if mode == "whitespace":
        return [[t for t in _WHITESPACE.split(s) if t] for s in texts.tolist()]
    return [list(s) for s in texts.tolist()]


def ngrams(tokens: Sequence[str], widths: Sequence[int]) -> list[str]:
    """All n-grams of ``tokens`` for each width in ``widths``, in that order."""
    out: list[str] = []
    for w in widths:
        out.extend(" ".join(tokens[i : i + w]) for i in range(len(tokens) - w + 1))
    return out
