"""``text_dataset_from_directory``: a folder of class folders of ``.txt`` files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax.utils._directory import directory_dataset
from kerax.utils._host_dataset import HostDataset

__all__ = ["text_dataset_from_directory"]


def text_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> HostDataset | list[HostDataset]:
    """Batches of texts read from the ``.txt`` files of ``directory``, labelled by their
    sub-folder (``directory/pos/1.txt``, ``directory/neg/2.txt``).

    Texts are NumPy string arrays (``str``, read as UTF-8; Keras yields ``tf.string``
    bytes). The other arguments are those of
    :func:`kerax.utils.image_dataset_from_directory`.

    Args:
        max_length: Keep at most the first ``max_length`` characters of each text.

    Returns:
        A :class:`~kerax.utils._host_dataset.HostDataset` of ``(texts, labels)``
        batches, texts only without labels, or ``[training, validation]`` for
        ``subset="both"``; with ``class_names`` and ``file_paths``.
    """

    def load(path: str) -> np.str_:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        return np.str_(text if max_length is None else text[:max_length])

    return directory_dataset(
        directory,
        what="text files",
        formats=(".txt",),
        load=load,
        labels=labels,
        label_mode=label_mode,
        class_names=class_names,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        validation_split=validation_split,
        subset=subset,
        follow_links=follow_links,
        verbose=verbose,
    )
