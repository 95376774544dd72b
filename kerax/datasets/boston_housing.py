"""Boston housing prices (StatLib, 1978): 506 districts, 13 features, the median home
value in k$ as target, from Keras's public copy.

The data has a known ethical problem (its feature "B" encodes an assumption about racial
self-segregation); prefer :mod:`kerax.datasets.california_housing` outside teaching
about such problems.
"""

from __future__ import annotations

import numpy as np

from kerax.datasets._common import ORIGIN, check_split, fetch, shuffled_split

__all__ = ["load_data"]

_FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the Boston housing data from Keras's cache, downloading it once.

    Args:
        path: The file's name in the cache (``~/.keras/datasets``).
        test_split: Fraction of the samples kept for the test set, in ``[0, 1)``.
        seed: Seed of the shuffle before the split (Keras's ``RandomState`` order).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` of shape ``(n, 13)``, ``y`` of
        shape ``(n,)``.

    Raises:
        ValueError: For ``test_split`` outside ``[0, 1)``.
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    check_split(test_split)
    with np.load(
        fetch(path, _FILE_HASH, origin=ORIGIN + "boston_housing.npz"), allow_pickle=False
    ) as f:
        x, y = f["x"], f["y"]
    return shuffled_split(x, y, test_split, seed)
