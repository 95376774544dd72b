"""What the ``*_dataset_from_directory`` builders share: listing the files of a folder of
class folders, labelling them, splitting off a validation subset, and making the
:class:`~kerax.utils._host_dataset.HostDataset`, all in Keras's order."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kerax.utils._host_dataset import HostDataset

__all__ = ["check_split_args", "directory_dataset", "index_directory"]


def check_split_args(
    validation_split: float | None, subset: str | None, shuffle: bool, seed: int | None
) -> None:
    """Keras's checks of ``validation_split`` / ``subset`` / ``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be in (0, 1); received validation_split={validation_split}."
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "Pass `validation_split` and `subset` together (or neither); received "
            f"validation_split={validation_split}, subset={subset!r}."
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f"`subset` must be 'training', 'validation' or 'both'; received subset={subset!r}."
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With `validation_split` and `shuffle=True`, pass a `seed`, so that the training "
            "and validation subsets (made by separate calls) do not overlap."
        )


def _files_under(folder: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    """The files under ``folder`` with one of the extensions, relative to its parent,
    folders in sorted order and files sorted within each."""
    name = os.path.basename(folder)
    out = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        for fname in sorted(files):
            if fname.lower().endswith(formats):
                out.append(os.path.join(name, os.path.relpath(os.path.join(root, fname), folder)))
    return out


def index_directory(
    directory: str | os.PathLike,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """The files, their labels and the class names, as Keras lists them.

    With ``labels="inferred"`` each sub-folder (sorted, hidden ones skipped; or
    ``class_names``, in their order) is a class and its files (at any depth) get its
    index. With a list of labels, the files are those directly and deeper under
    ``directory``, in sorted order, and ``labels`` must have one per file. With
    ``shuffle``, files and labels are shuffled together with
    ``np.random.RandomState(seed)``.

    Raises:
        ValueError: For ``class_names`` that are not sub-folders, ``class_names``
            without inferred labels, or a label list of the wrong length.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"`directory` {directory!r} is not a folder.")
    if labels == "inferred":
        found = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names) <= set(found):
                raise ValueError(
                    f"`class_names` {list(class_names)} are not all sub-folders of "
                    f"{directory}; its sub-folders are {found}."
                )
            found = list(class_names)
        subdirs = found
    else:
        if class_names is not None:
            raise ValueError(
                "`class_names` can only be given with labels='inferred' (with a list of "
                "labels, the classes are the sorted labels); received "
                f"class_names={class_names}."
            )
        subdirs = [""]
    files: list[str] = []
    inferred: list[int] = []
    for index, sub in enumerate(subdirs):
        found_files = _files_under(os.path.join(directory, sub), follow_links, formats)
        files += found_files
        inferred += [index] * len(found_files)
    names: list[str] | None = list(subdirs)
    if labels == "inferred":
        out_labels: np.ndarray | None = np.asarray(inferred, np.int32)
    elif labels is None:
        out_labels, names = None, None
    else:
        if len(labels) != len(files):
            raise ValueError(
                f"`labels` has {len(labels)} entries but {directory} holds {len(files)} "
                f"files with the extensions {formats}; give one label per file (in sorted "
                "file order)."
            )
        out_labels = np.asarray(labels)
        names = [str(v) for v in sorted(set(labels))]
    paths = [os.path.join(directory, f) for f in files]
    if shuffle:
        seed = np.random.randint(1_000_000) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if out_labels is not None:
            np.random.RandomState(seed).shuffle(out_labels)
    return paths, out_labels, names


def _subset(paths: list[str], labels: Any, split: float | None, subset: str) -> tuple[list, Any]:
    if not split:
        return paths, labels
    n_val = int(split * len(paths))
    if subset == "training":
        cut = slice(None, -n_val) if n_val else slice(None)
    else:
        cut = slice(-n_val, None) if n_val else slice(0, 0)
    return paths[cut], None if labels is None else labels[cut]


def _encode(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[labels.astype(int)]
    return labels.astype(np.int32)


def directory_dataset(
    directory: str | os.PathLike,
    *,
    what: str,
    formats: tuple[str, ...],
    load: Callable[[str], Any],
    labels: Any,
    label_mode: str | None,
    class_names: Sequence[str] | None,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    validation_split: float | None,
    subset: str | None,
    follow_links: bool,
    verbose: bool,
    stack: Callable[[list[Any]], Any] | None = None,
) -> HostDataset | list[HostDataset]:
    """The dataset(s) of a ``*_dataset_from_directory`` call, the arguments checked.

    Args:
        what: ``"images"``, ``"text files"``, ... for messages.
        load: Reads one file into its example.
        stack: Batches examples (default: :func:`numpy.stack`; audio pads first).
        Others: as in :func:`kerax.utils.image_dataset_from_directory`.

    Returns:
        One dataset, or ``[training, validation]`` for ``subset="both"``. Each has
        ``class_names`` and ``file_paths``.
    """
    if labels not in ("inferred", None) and not isinstance(labels, list | tuple):
        raise ValueError(
            "`labels` must be 'inferred', None, or a list of integer labels (one per file, "
            f"in sorted file order); received labels={labels!r}."
        )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            "`label_mode` must be 'int', 'categorical', 'binary' or None; received "
            f"label_mode={label_mode!r}."
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_split_args(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1_000_000)
    paths, found, names = index_directory(
        directory, labels, formats, class_names, shuffle, seed, follow_links
    )
    if verbose:
        classes = "" if found is None else f" belonging to {len(names or [])} classes"
        print(f"Found {len(paths)} files{classes}.")
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(f"label_mode='binary' needs exactly 2 classes; found class_names={names}.")
    num_classes = len(names) if names else 0
    buffer = 8 * batch_size if batch_size else 1024
    parts = ["training", "validation"] if subset == "both" else [subset or "training"]
    out = []
    for part in parts:
        part_paths, part_labels = _subset(paths, found, validation_split, part)
        if not part_paths:
            raise ValueError(f"No {what} found in {directory} (extensions {formats}).")
        if verbose and validation_split:
            print(f"Using {len(part_paths)} files for {part}.")
        if label_mode:
            encoded = _encode(part_labels, label_mode, num_classes)
            ds = HostDataset.from_tensor_slices((np.asarray(part_paths), encoded))
        else:
            ds = HostDataset.from_tensor_slices(np.asarray(part_paths))
        if shuffle and not (subset == "both" and part == "validation"):
            ds = ds.shuffle(buffer, seed=seed)
        ds = ds.map((lambda p, y: (load(str(p)), y)) if label_mode else (lambda p: load(str(p))))
        if batch_size is not None:
            ds = _batched(ds, batch_size, stack) if stack else ds.batch(batch_size)
        ds.class_names = names
        ds.file_paths = part_paths
        out.append(ds)
    return out if subset == "both" else out[0]


def _batched(ds: HostDataset, size: int, stack: Callable[[list[Any]], Any]) -> HostDataset:
    """``ds.batch(size)`` with ``stack`` making each batch of examples."""
    import itertools

    def make() -> Any:
        it = iter(ds)
        while chunk := list(itertools.islice(it, size)):
            if isinstance(chunk[0], tuple):
                yield stack([c[0] for c in chunk]), np.stack([c[1] for c in chunk])
            else:
                yield stack(chunk)

    n = ds.cardinality()
    return HostDataset(make, -(-n // size) if n >= 0 else n)
