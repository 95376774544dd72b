"""``audio_dataset_from_directory``: a folder of class folders of ``.wav`` files, read
with the standard library's :mod:`wave` (integer PCM, 8, 16 or 32 bits)."""

from __future__ import annotations

import os
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax.utils._directory import directory_dataset
from kerax.utils._host_dataset import HostDataset

__all__ = ["audio_dataset_from_directory", "read_wav"]

_SCALE = {1: ("u1", 128.0, 128.0), 2: ("<i2", 0.0, 32768.0), 4: ("<i4", 0.0, 2.0**31)}


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """A WAV file's samples as float32 in [-1, 1), shape ``(frames, channels)``, and its
    sampling rate.

    Raises:
        ValueError: For a sample width other than 8, 16 or 32 bits.
    """
    with wave.open(path, "rb") as f:
        width, channels, rate = f.getsampwidth(), f.getnchannels(), f.getframerate()
        raw = f.readframes(f.getnframes())
    if width not in _SCALE:
        raise ValueError(f"{path}: {8 * width}-bit samples; only 8, 16 and 32 bits are read.")
    dtype, offset, scale = _SCALE[width]
    samples = (np.frombuffer(raw, dtype).astype(np.float32) - offset) / scale
    return samples.reshape(-1, channels), rate


def audio_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> HostDataset | list[HostDataset]:
    """Batches of audio read from the ``.wav`` files of ``directory``, labelled by their
    sub-folder. Batches are float32 ``(batch, steps, channels)``: each clip cut or
    zero-padded to ``output_sequence_length``, or, without it, zero-padded to the
    longest clip of its batch. The other arguments are those of
    :func:`kerax.utils.image_dataset_from_directory`.

    Args:
        sampling_rate: The rate the files must have; kerax does not resample (Keras
            needs ``tensorflow-io`` for it), so a file at another rate is an error.
        output_sequence_length: Steps per clip.
        ragged: Must be False: there are no ragged arrays in NumPy.

    Raises:
        ValueError: For ``ragged=True``, or a file whose rate is not
            ``sampling_rate`` (when the batch holding it is read).
    """
    if ragged:
        raise ValueError(
            "`ragged=True` is not supported (NumPy has no ragged arrays); use ragged=False: "
            "clips are zero-padded to the longest of their batch, or to "
            "`output_sequence_length`."
        )
    if sampling_rate is not None and (not isinstance(sampling_rate, int) or sampling_rate <= 0):
        raise ValueError(f"`sampling_rate` must be a positive int; received {sampling_rate!r}.")

    def load(path: str) -> np.ndarray:
        samples, rate = read_wav(path)
        if sampling_rate is not None and rate != sampling_rate:
            raise ValueError(
                f"{path} is sampled at {rate} Hz, not sampling_rate={sampling_rate}; kerax "
                "does not resample: convert the file, or pass sampling_rate=None."
            )
        if output_sequence_length is not None:
            samples = _fit(samples, output_sequence_length)
        return samples

    def stack(clips: list[np.ndarray]) -> np.ndarray:
        return np.stack([_fit(c, max(len(c) for c in clips)) for c in clips])

    return directory_dataset(
        directory,
        what="audio files",
        formats=(".wav",),
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
        stack=stack,
    )


def _fit(samples: np.ndarray, length: int) -> np.ndarray:
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, ((0, length - len(samples)), (0, 0)))
