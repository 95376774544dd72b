"""Independent, deliberately plain re-statements of Keras's documented lookup rules,
the oracle for the lookup and text layers (Keras's own versions need TensorFlow).

* adapt: count every term; drop the mask and OOV terms; order by count, most frequent
  first, ties by the term itself, greatest first; keep ``max_tokens`` minus the
  special slots.
* the vocabulary: ``[mask]`` (``"int"`` mode with a mask token) + ``[oov] *
  num_oov_indices`` + the terms.
* idf: ``log(1 + documents / (1 + documents containing the term))``; the OOV slots get
  the mean idf.
"""

from __future__ import annotations

import math
import string

import numpy as np


def adapted_terms(docs, mask=None, oov=None, limit=None):
    counts = {}
    for doc in docs:
        for term in doc:
            counts[term] = counts.get(term, 0) + 1
    for special in (mask, oov):
        counts.pop(special, None)
    # Two stable sorts: greatest term first, then most frequent first.
    ordered = sorted(sorted(counts, reverse=True), key=lambda t: -counts[t])
    return ordered if limit is None else ordered[:limit]


def idf(docs, terms):
    n = len(docs)
    return [math.log(1 + n / (1 + sum(term in set(d) for d in docs))) for term in terms]


def keras_standardize(text, mode):
    if mode in ("lower", "lower_and_strip_punctuation"):
        text = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = "".join(c for c in text if c not in string.punctuation)
    return text


def whitespace_split(text):
    out, current = [], ""
    for c in text:
        if c in " \t\n\r\x0b\x0c":
            if current:
                out.append(current)
            current = ""
        else:
            current += c
    return out + ([current] if current else [])


def ngrams(tokens, widths):
    return [" ".join(tokens[i : i + w]) for w in widths for i in range(0, len(tokens) - w + 1)]


def counts_matrix(index_rows, depth):
    out = np.zeros((len(index_rows), depth), np.float32)
    for i, row in enumerate(index_rows):
        for j in row:
            if 0 <= j < depth:
                out[i, j] += 1
    return out
