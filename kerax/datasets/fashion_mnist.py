"""Fashion-MNIST: 70,000 greyscale 28x28 images of 10 kinds of clothing (Zalando SE,
MIT licence), from Keras's public copy.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from kerax.datasets._common import fetch

__all__ = ["load_data"]

_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
# Keras checks no hash for these files; None keeps any cached copy.
_FILE_HASHES: dict[str, str | None] = dict.fromkeys(_FILES)


def _read(path: str, offset: int) -> np.ndarray:
    """An IDX file's payload: the bytes after its ``offset``-byte header."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST from Keras's cache (``~/.keras/datasets/fashion-mnist``),
    downloading the four IDX files once.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(60000, 28, 28)`` / ``(10000, 28, 28)`` and uint8 labels 0..9.

    Raises:
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(name, _FILE_HASHES[name], cache_subdir=subdir) for name in _FILES]
    y_train, y_test = _read(paths[0], 8), _read(paths[2], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
