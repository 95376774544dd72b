"""``split_dataset``: one in-memory dataset into two."""

from __future__ import annotations

from typing import Any

import numpy as np


def split_dataset(
    dataset: Any,
    left_size: float | int | None = None,
    right_size: float | int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> tuple[Any, Any]:
    """Splits arrays (or a tuple / list / dict of arrays with one length) in two.

    Args:
        dataset: An array, or a tuple, list or dict of arrays sharing their first axis,
            or a :class:`~kerax.utils.HostDataset` of single examples (such a dataset is
            read once and split into two ``HostDataset`` objects, as Keras splits a
            ``tf.data.Dataset``; call ``unbatch()`` first on a batched one).
        left_size: The left part's size: a fraction in (0, 1) or a count. Defaults to
            the complement of ``right_size``, or 0.5 when neither is given.
        right_size: The right part's size, likewise.
        shuffle: Shuffle the examples before splitting.
        seed: Seed of the shuffle.

    Returns:
        ``(left, right)``, each with the structure of ``dataset``.

    Raises:
        ValueError: On sizes that do not fit the dataset, or arrays of unequal length.
    """
    from kerax.utils._host_dataset import HostDataset, _stack

    if isinstance(dataset, HostDataset):
        examples = list(dataset)
        if not examples:
            raise ValueError("The dataset to split is empty.")
        halves = split_dataset(_stack(examples), left_size, right_size, shuffle, seed)
        return tuple(HostDataset.from_tensor_slices(h) for h in halves)  # type: ignore[return-value]
    leaves = (
        list(dataset.values())
        if isinstance(dataset, dict)
        else (list(dataset) if isinstance(dataset, tuple | list) else [dataset])
    )
    lengths = {len(a) for a in leaves}
    if len(lengths) != 1:
        raise ValueError(
            f"All arrays must have the same length; received lengths {sorted(lengths)}."
        )
    n = lengths.pop()

    def count(size: float | int | None) -> int | None:
        if size is None:
            return None
        if isinstance(size, float) and 0 < size < 1:
            return int(round(size * n))
        if isinstance(size, int) and 0 <= size <= n:
            return size
        raise ValueError(
            f"A split size must be a fraction in (0, 1) or a count in [0, {n}]; received {size!r}."
        )

    left, right = count(left_size), count(right_size)
    if left is None and right is None:
        left = n // 2
    left = n - right if left is None else left
    right = n - left if right is None else right
    if left + right > n:
        raise ValueError(f"left_size + right_size = {left + right} exceeds the {n} examples.")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    li, ri = order[:left], order[left : left + right]

    def take(idx: np.ndarray) -> Any:
        if isinstance(dataset, dict):
            return {k: np.asarray(v)[idx] for k, v in dataset.items()}
        if isinstance(dataset, tuple | list):
            return type(dataset)(np.asarray(v)[idx] for v in dataset)
        return np.asarray(dataset)[idx]

    return take(li), take(ri)
