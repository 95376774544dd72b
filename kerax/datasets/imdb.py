"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled by sentiment
(1 positive, 0 negative), each a list of word indices ranked by frequency (index ``i``
is the i-th most frequent word), from Keras's public copy (Maas et al., 2011)."""

from __future__ import annotations

import json

import numpy as np

from kerax.datasets._common import (
    ORIGIN,
    fetch,
    limit_vocabulary,
    load_npz,
    object_array,
    shift_sequences,
)

__all__ = ["get_word_index", "load_data"]

_FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the IMDB reviews from Keras's cache, downloading them once.

    Args:
        path: The file's name in the cache (``~/.keras/datasets``).
        num_words: Keep the ``num_words`` most frequent words (indices below it, after
            the ``index_from`` shift); others become ``oov_char``. All by default.
        skip_top: Indices below this (the most frequent words) become ``oov_char`` too.
        maxlen: Drop reviews of ``maxlen`` or more words (counting ``start_char``).
        seed: Seed of the shuffles of the training and test sets.
        start_char: Index put at the start of every review; None for none.
        oov_char: Index of the words left out by ``num_words`` / ``skip_top``; with None
            they are removed instead.
        index_from: Offset added to every word index (the indices below are reserved).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` a 1-D object array of lists of
        ints, ``y`` an array of 0 / 1 labels.

    Raises:
        ValueError: If ``maxlen`` leaves no review in the training or test set.
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    f = load_npz(fetch(path, _FILE_HASH, origin=ORIGIN + "imdb.npz"))
    rng = np.random.RandomState(seed)
    parts = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = f[x_key], f[y_key]
        order = np.arange(len(x))
        rng.shuffle(order)
        parts.append((x[order], y[order]))
    encoded = []
    for x, y in parts:
        seqs, labels = shift_sequences(
            x, y, maxlen=maxlen, start_char=start_char, index_from=index_from
        )
        if maxlen and not seqs:
            raise ValueError(f"No review is shorter than maxlen={maxlen}; increase `maxlen`.")
        encoded.append((seqs, labels))
    n_train = len(encoded[0][0])
    every = limit_vocabulary(
        encoded[0][0] + encoded[1][0], num_words=num_words, skip_top=skip_top, oov_char=oov_char
    )
    labels = np.concatenate([encoded[0][1], encoded[1][1]])
    return (
        (object_array(every[:n_train]), labels[:n_train]),
        (object_array(every[n_train:]), labels[n_train:]),
    )


def get_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The word index of the reviews: ``{word: rank}`` (before the ``index_from`` shift),
    downloaded once into Keras's cache."""
    with open(fetch(path, _INDEX_HASH, origin=ORIGIN + "imdb_word_index.json")) as f:
        return json.load(f)
