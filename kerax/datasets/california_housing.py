"""California housing prices (1990 US census, StatLib): 20,640 block groups, 8 features
(MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude), the
median house value in dollars as target, from Keras's public copy."""

from __future__ import annotations

import numpy as np

from kerax.datasets._common import ORIGIN, check_split, fetch, shuffled_split

__all__ = ["load_data"]

_FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(
    version: str = "large",
    path: str = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the California housing data from Keras's cache, downloading it once.

    Args:
        version: ``"large"`` (all 20,640 samples) or ``"small"`` (the first 600).
        path: The file's name in the cache (``~/.keras/datasets``).
        test_split: Fraction of the samples kept for the test set, in ``[0, 1)``.
        seed: Seed of the shuffle before the split (Keras's ``RandomState`` order).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x`` of shape ``(n, 8)``, ``y`` of
        shape ``(n,)``.

    Raises:
        ValueError: For another ``version``, or ``test_split`` outside ``[0, 1)``.
        kerax.utils.DownloadError: Offline with no cached copy.
    """
    check_split(test_split)
    if version not in ("small", "large"):
        raise ValueError(f"`version` must be 'small' or 'large'; received {version!r}.")
    with np.load(
        fetch(path, _FILE_HASH, origin=ORIGIN + "california_housing.npz"), allow_pickle=False
    ) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffled_split(x, y, test_split, seed)
