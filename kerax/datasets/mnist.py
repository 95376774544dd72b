"""MNIST: 70,000 greyscale 28x28 images of handwritten digits, from Keras's public copy.

The data is © Yann LeCun and Corinna Cortes (a derivative of NIST's), under CC BY-SA 3.0.
"""

from __future__ import annotations

import numpy as np

from kerax.datasets._common import ORIGIN, fetch

__all__ = ["load_data"]

_FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(
    path: str = "mnist.npz",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST from Keras's cache (``~/.keras/datasets``), downloading it once.

    Args:
        path: The file's name in the cache.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(60000, 28, 28)`` / ``(10000, 28, 28)`` with values 0..255, and uint8 labels
        0..9 of shape ``(60000,)`` / ``(10000,)``.

    Raises:
        kerax.utils.DownloadError: Offline with no cached copy (the message names the
            URL and where to put the file).
    """
    with np.load(fetch(path, _FILE_HASH, origin=ORIGIN + "mnist.npz"), allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
