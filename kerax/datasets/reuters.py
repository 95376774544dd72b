"""Reuters newswires: 11,228 newswires labelled with one of 46 topics, each a list of
word indices ranked by frequency, from Keras's public copy (Reuters-21578)."""

from __future__ import annotations

import json

import numpy as np

from kerax.datasets._common import (
    ORIGIN,
    check_split,
    fetch,
    limit_vocabulary,
    load_npz,
    object_array,
    shift_sequences,
)

__all__ = ["get_label_names", "get_word_index", "load_data"]

_FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
_LABELS = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade "
    "reserves ship cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum "
    "oilseed gold tin strategic-metal livestock retail ipi iron-steel rubber heat jobs lei "
    "bop zinc orange pet-chem dlr gas silver wpi hog lead"
).split()


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Reuters newswires from Keras's cache, downloading them once.

    Args:
        path: The file's name in the cache (``~/.keras/datasets``).
        num_words: Keep the ``num_words`` most frequent words; others become
            ``oov_char``. All by default.
        skip_top: Indices below this become ``oov_char`` too.
        maxlen: Drop newswires of ``maxlen`` or more words (counting ``start_char``).
        test_split: Fraction kept for the test set (the last part after the shuffle).
        seed: Seed of the shuffle.
        start_char: Index put at the start of every newswire; None for none.
        oov_char: Index of the words left out; with None they are removed instead.
        index_from: Offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` a 1-D object array of lists of
        ints, ``y`` an int array of topics 0..45 (see :func:`get_label_names`).

    Raises:
        ValueError: For ``test_split`` outside ``[0, 1)``.
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    check_split(test_split)
    f = load_npz(fetch(path, _FILE_HASH, origin=ORIGIN + "reuters.npz"))
    x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    seqs, labels = shift_sequences(
        x[order], y[order], maxlen=maxlen, start_char=start_char, index_from=index_from
    )
    seqs = limit_vocabulary(seqs, num_words=num_words, skip_top=skip_top, oov_char=oov_char)
    cut = int(len(seqs) * (1 - test_split))
    return (
        (object_array(seqs[:cut]), np.array(labels[:cut])),
        (object_array(seqs[cut:]), np.array(labels[cut:])),
    )


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The word index of the newswires, ``{word: rank}``, downloaded once."""
    with open(fetch(path, _INDEX_HASH, origin=ORIGIN + "reuters_word_index.json")) as f:
        return json.load(f)


def get_label_names() -> tuple[str, ...]:
    """The names of the 46 topics, indexed by label."""
    return tuple(_LABELS)
