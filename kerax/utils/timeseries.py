"""``timeseries_dataset_from_array``: sliding windows over a series, batched."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerax.utils._host_dataset import HostDataset

__all__ = ["timeseries_dataset_from_array"]


def _check(data: Any, start_index: int | None, end_index: int | None, **positive: int) -> None:
    n = len(data)
    if start_index and not 0 <= start_index < n:
        raise ValueError(
            f"`start_index` must be in [0, {n}) for data of length {n}; "
            f"received start_index={start_index}."
        )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                f"`end_index` must be above `start_index`; received start_index={start_index}, "
                f"end_index={end_index}."
            )
        if not 0 < end_index < n:
            raise ValueError(
                f"`end_index` must be in (0, {n}) for data of length {n}; "
                f"received end_index={end_index}."
            )
    for name, value in positive.items():
        if not 0 < value < n:
            raise ValueError(
                f"`{name}` must be in (0, {n}) for data of length {n}; received {name}={value}."
            )


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> HostDataset:
    """Windows of ``sequence_length`` time steps over ``data``, as Keras makes them.

    Window ``i`` starts at ``start_index + i * sequence_stride`` and takes every
    ``sampling_rate``-th step; its target is ``targets[start_index + i * sequence_stride]``
    (the target of the window's first step: shift ``targets`` to predict ahead).

    Args:
        data: Array of time steps, ``(steps, ...)``.
        targets: Array of targets aligned with ``data``, or None for windows only.
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of consecutive windows.
        sampling_rate: Steps between two samples inside a window.
        batch_size: Windows per batch; None yields single windows, unbatched.
        shuffle: Shuffle the windows: their start positions once (with
            ``np.random.RandomState(seed)``, as Keras), then with a buffer of
            ``8 * batch_size`` windows (1024 unbatched) re-drawn every pass.
        seed: Seed of the shuffles (random when None).
        start_index: First step used (default 0).
        end_index: End of the steps used, exclusive (default ``len(data)``).

    Returns:
        A :class:`~kerax.utils._host_dataset.HostDataset` of ``(windows, targets)``
        batches, or of windows when ``targets`` is None; windows have shape
        ``(batch, sequence_length, *data.shape[1:])``.

    Raises:
        ValueError: For indices, strides or rates outside the data.
    """
    _check(
        data,
        start_index,
        end_index,
        sampling_rate=sampling_rate,
        sequence_stride=sequence_stride,
    )
    data = np.asarray(data)
    start = start_index or 0
    end = end_index or len(data)
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets))
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        seed = np.random.randint(1_000_000) if seed is None else seed
        np.random.RandomState(seed).shuffle(positions)
    offsets = np.arange(sequence_length) * sampling_rate
    window = data[start:end]
    target = None if targets is None else targets[start:end]

    def gather(pos: Any) -> Any:
        steps = window[pos + offsets]
        return steps if target is None else (steps, target[pos])

    dataset = HostDataset.from_tensor_slices(positions).map(gather)
    if shuffle:
        dataset = dataset.shuffle(8 * batch_size if batch_size else 1024, seed=seed)
    return dataset if batch_size is None else dataset.batch(batch_size)
