"""CIFAR-100: 60,000 32x32 colour images in 100 fine classes grouped in 20 coarse ones
(Krizhevsky, 2009), from the CIFAR homepage's Python archive, as Keras loads it."""

from __future__ import annotations

import os

import numpy as np

from kerax._settings import image_data_format
from kerax.datasets.cifar10 import load_batch
from kerax.utils.file_utils import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
_FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(
    label_mode: str = "fine",
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads CIFAR-100 from Keras's cache (``~/.keras/datasets``), downloading and
    extracting the archive once.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels first when
        ``kerax.config.image_data_format()`` says so) and labels of shape ``(n, 1)``.

    Raises:
        ValueError: For another ``label_mode``.
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"`label_mode` must be 'fine' or 'coarse'; received {label_mode!r}.")
    folder = get_file("cifar-100-python-target", origin=_ORIGIN, extract=True, file_hash=_FILE_HASH)
    folder = os.path.join(folder, "cifar-100-python")
    out = []
    for part in ("train", "test"):
        x, y = load_batch(os.path.join(folder, part), label_key=f"{label_mode}_labels")
        if image_data_format() == "channels_last":
            x = x.transpose(0, 2, 3, 1)
        out.append((x, np.reshape(y, (len(y), 1))))
    return out[0], out[1]
