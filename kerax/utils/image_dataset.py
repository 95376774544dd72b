"""``image_dataset_from_directory``: a folder of class folders of images, as batches."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerax.utils._directory import directory_dataset
from kerax.utils._host_dataset import HostDataset
from kerax.utils.image_utils import _RESIZE_METHODS, _data_format, pil_image, resize_image

__all__ = ["ALLOWLIST_FORMATS", "image_dataset_from_directory"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": ("L", 1), "rgb": ("RGB", 3), "rgba": ("RGBA", 4)}


def image_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
) -> HostDataset | list[HostDataset]:
    """Batches of images read from ``directory``, labelled by their sub-folder.

    ``directory/cat/1.png`` and ``directory/dog/2.jpg`` make classes ``cat`` (0) and
    ``dog`` (1). Files with the extensions of :data:`ALLOWLIST_FORMATS` are read (with
    Pillow: ``pip install kerax[image]``) when a batch is needed, converted to
    ``color_mode`` and resized to ``image_size``; every pass over the dataset reads them
    again.

    Args:
        directory: The folder.
        labels: ``"inferred"`` (from the sub-folders), None (images only), or a list of
            integer labels, one per file in sorted path order.
        label_mode: ``"int"`` (int32 ``(batch,)``), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32 ``(batch, 1)``, two classes), or None (no labels).
        class_names: With inferred labels, the sub-folders to use, in label order.
        color_mode: ``"rgb"`` (3 channels), ``"rgba"`` (4) or ``"grayscale"`` (1).
        batch_size: Images per batch; None yields single images.
        image_size: ``(height, width)`` (or one int) every image is resized to.
        shuffle: Shuffle the files once (with ``seed``) and the examples every pass
            (a buffer of ``8 * batch_size``); False keeps sorted path order.
        seed: Seed of the shuffles and of the split.
        validation_split: Fraction of the files kept for validation (the last ones
            after the shuffle).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns the two).
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``,
            ``"lanczos3"`` or ``"lanczos5"``; resized as Keras's ``ops.image.resize``
            on JAX, without antialiasing.
        follow_links: Follow symbolic links to folders.
        crop_to_aspect_ratio: Resize the largest centred crop with the target's aspect
            ratio (no distortion).
        pad_to_aspect_ratio: Pad with zeros to the target's aspect ratio, then resize.
        data_format: ``"channels_last"`` or ``"channels_first"``; None: the global
            ``kerax.config.image_data_format()``.
        verbose: Print the numbers of files and classes found.

    Returns:
        A :class:`~kerax.utils._host_dataset.HostDataset` of ``(images, labels)``
        batches (``images`` float32 ``(batch, height, width, channels)``), or of images
        when there are no labels; ``[training, validation]`` for ``subset="both"``. It
        has ``class_names`` and ``file_paths``.

    Raises:
        ValueError: For invalid arguments, or no images.
        ImportError: Without Pillow.
    """
    if color_mode not in _CHANNELS:
        raise ValueError(
            f"`color_mode` must be 'rgb', 'rgba' or 'grayscale'; received {color_mode!r}."
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if not isinstance(image_size, list | tuple) or len(image_size) != 2:
        raise ValueError(f"`image_size` must be (height, width); received {image_size!r}.")
    interpolation = interpolation.lower()
    if interpolation not in _RESIZE_METHODS:
        raise ValueError(
            f"`interpolation` must be one of {list(_RESIZE_METHODS)}; received "
            f"{interpolation!r} (kerax resizes as jax.image does, which has no "
            "'area', 'gaussian' or 'mitchellcubic')."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Pass only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`.")
    data_format = _data_format(data_format)
    image = pil_image()
    mode, _ = _CHANNELS[color_mode]
    size = (int(image_size[0]), int(image_size[1]))

    def load(path: str) -> np.ndarray:
        with image.open(path) as img:
            arr = np.asarray(img.convert(mode), np.float32)
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        arr = resize_image(arr, size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)
        return arr.transpose(2, 0, 1) if data_format == "channels_first" else arr

    return directory_dataset(
        directory,
        what="images",
        formats=ALLOWLIST_FORMATS,
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
