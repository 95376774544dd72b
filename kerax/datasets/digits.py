"""Handwritten digits: 1797 greyscale 8x8 images of the digits 0-9.

Source: the copy distributed with scikit-learn (``sklearn.datasets.load_digits``), which is
the test set of the "Optical Recognition of Handwritten Digits" data set from the UCI
Machine Learning Repository (E. Alpaydin and C. Kaynak, 1998,
https://doi.org/10.24432/C50P49). Each image is a 32x32 bitmap reduced to an 8x8 grid in
which every cell counts the set pixels of a 4x4 block, so pixel values are integers in
0..16.

Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/. The data is redistributed here unchanged
(stored as uint8 in ``digits.npz``), with the attribution above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["ATTRIBUTION", "load_data"]

ATTRIBUTION = (
    "Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak, UCI Machine "
    "Learning Repository (1998), https://doi.org/10.24432/C50P49, licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/); the 8x8 version shipped with "
    "scikit-learn."
)

_PATH = Path(__file__).with_name("digits.npz")


def load_data(
    test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the handwritten digits, shuffled and split into training and test sets.

    Args:
        test_split: fraction of the 1797 samples kept for the test set (in ``[0, 1)``).
        seed: seed of the shuffle before the split; the same seed always gives the same
            split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` is a uint8 array of shape
        ``(n, 8, 8)`` with values in 0..16, ``y`` an int64 array of shape ``(n,)`` with
        the digit (0..9) of each image.
    """
    if not 0.0 <= test_split < 1.0:
        raise ValueError(f"`test_split` must be in [0, 1), got {test_split}")
    with np.load(_PATH) as data:
        x = data["x"]
        y = data["y"].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(len(x) * (1 - test_split))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
