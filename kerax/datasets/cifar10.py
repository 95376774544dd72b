"""CIFAR-10: 60,000 32x32 colour images in 10 classes (Krizhevsky, 2009), from the
CIFAR homepage's Python archive, as Keras loads it.

Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship,
9 truck.
"""

from __future__ import annotations

import os
import pickle
from typing import Any

import numpy as np

from kerax._settings import image_data_format
from kerax.datasets._common import _ArrayUnpickler
from kerax.utils.file_utils import get_file

__all__ = ["load_batch", "load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, list[Any]]:
    """One pickled CIFAR batch: ``(images (n, 3, 32, 32) uint8, labels)``."""
    with open(fpath, "rb") as f:
        try:
            raw = _ArrayUnpickler(f, encoding="bytes").load()
        except pickle.UnpicklingError as err:
            raise ValueError(f"{fpath} is not a CIFAR batch: {err}") from None
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in raw.items()}
    data = np.asarray(d["data"])
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-10 from Keras's cache (``~/.keras/datasets``), downloading and
    extracting the archive once.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (``(n, 3, 32, 32)`` when
        ``kerax.config.image_data_format()`` is ``"channels_first"``) and uint8 labels
        0..9 of shape ``(50000, 1)`` / ``(10000, 1)``.

    Raises:
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    folder = get_file(
        "cifar-10-batches-py-target", origin=_ORIGIN, extract=True, file_hash=_FILE_HASH
    )
    folder = os.path.join(folder, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in parts]).astype(np.uint8)
    y_train = np.concatenate([np.asarray(y) for _, y in parts]).astype(np.uint8)
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    x_test = x_test.astype(np.uint8)
    if image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train.reshape(-1, 1)), (x_test, np.asarray(y_test, np.uint8).reshape(-1, 1))
