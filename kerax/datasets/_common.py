"""What the downloaded datasets share: Keras's URLs, a safe ``.npz`` reader, the
shuffled train / test split and the word-sequence encoding of IMDB and Reuters."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax.utils.file_utils import get_file

__all__ = ["ORIGIN", "fetch", "limit_vocabulary", "load_npz", "shift_sequences", "shuffled_split"]

# Keras's public bucket: the same files, so Keras's cache serves kerax too.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# The only globals an object array of integer lists needs when unpickled.
_ARRAY_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds NumPy arrays and nothing else: a tampered file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"The dataset file asks for `{module}.{name}`, which a dataset never needs; "
            "the file is damaged or not the published one. Delete it and load again."
        )


def _read_member(raw: bytes) -> np.ndarray:
    stream = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError:  # an object array: only its pickle stream follows the header
        stream.seek(0)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            np.lib.format.read_array_header_1_0(stream)
        else:
            np.lib.format.read_array_header_2_0(stream)
        return _ArrayUnpickler(stream).load()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, object arrays included, unpickling arrays only."""
    with zipfile.ZipFile(path) as archive:
        return {
            name.removesuffix(".npy"): _read_member(archive.read(name))
            for name in archive.namelist()
        }


def fetch(fname: str, file_hash: str | None, origin: str | None = None, **kwargs: Any) -> str:
    """The cached path of one of Keras's dataset files (downloaded if missing)."""
    return get_file(fname, origin=origin or ORIGIN + fname, file_hash=file_hash, **kwargs)


def check_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1); received test_split={test_split}.")


def shuffled_split(
    x: np.ndarray, y: np.ndarray, test_split: float, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Shuffles with ``np.random.RandomState(seed)`` (Keras's order) and splits off the
    last ``test_split`` fraction as the test set."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def shift_sequences(
    seqs: Sequence[Any],
    labels: np.ndarray,
    *,
    maxlen: int | None,
    start_char: int | None,
    index_from: int,
) -> tuple[list[list[int]], np.ndarray]:
    """Adds ``index_from`` to every word, prepends ``start_char`` (unless None) and drops
    the sequences of ``maxlen`` words or more (with their labels)."""
    head = [] if start_char is None else [start_char]
    out = [head + [int(w) + index_from for w in s] for s in seqs]
    labels = np.asarray(labels)
    if maxlen:
        keep = [i for i, s in enumerate(out) if len(s) < maxlen]
        out, labels = [out[i] for i in keep], labels[keep]
    return out, labels


def limit_vocabulary(
    seqs: list[list[int]], *, num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list[int]]:
    """Maps the words outside ``[skip_top, num_words)`` to ``oov_char``, or removes them
    when it is None. Without ``num_words`` the bound is the largest index present, which
    is itself out of range, as in Keras."""
    if not num_words:
        num_words = max((max(s) for s in seqs if s), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in s] for s in seqs]
    return [[w for w in s if skip_top <= w < num_words] for s in seqs]


def object_array(seqs: list[list[int]]) -> np.ndarray:
    """A 1-D object array of lists (NumPy would make a 2-D array of equal lengths)."""
    arr = np.empty(len(seqs), dtype=object)
    arr[:] = seqs
    return arr
