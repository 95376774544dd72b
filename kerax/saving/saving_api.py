"""Keras's saving functions: ``keras.saving.save_model`` / ``save_weights`` /
``load_weights`` (also ``keras.models.save_model``), as functions of a model.

Each checks Keras's arguments and calls the model's own ``save``, ``save_weights`` or
``load_weights``; the files are those methods' (Keras 3's ``.keras`` and
``.weights.h5`` layouts).
"""

from __future__ import annotations

import os
from typing import Any


def save_model(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    zipped: bool | None = None,
    **kwargs: Any,
) -> None:
    """Writes ``model`` (architecture, weights, compile arguments and optimizer state)
    to a ``.keras`` file; :func:`kerax.saving.load_model` reads it back.

    Args:
        model: The model to save.
        filepath: The file to write; its name must end in ``.keras``.
        overwrite: When False, an existing file raises ``FileExistsError`` (Keras asks
            on the terminal instead).
        zipped: ``None`` or True: kerax writes zipped files only.
        **kwargs: Keras's ``include_optimizer`` (True only: the optimizer state is
            always written); anything else raises.

    Raises:
        ValueError: For a name not ending in ``.keras`` (Keras's legacy ``.h5`` model
            files are read by ``load_model`` but not written), or an unknown argument.
        NotImplementedError: For ``zipped=False`` or ``include_optimizer=False``.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"save_model: unsupported argument(s): {sorted(kwargs)}.")
    if save_format is not None:
        raise ValueError(
            f"save_model(save_format={save_format!r}): the argument is gone in Keras 3; "
            "pass a filepath ending in `.keras`."
        )
    if zipped is False:
        raise NotImplementedError("save_model(zipped=False): kerax writes zipped files only.")
    if not include_optimizer:
        raise NotImplementedError(
            "save_model(include_optimizer=False): kerax always writes the optimizer state "
            "of a compiled model (Keras honours the argument for `.h5` files only)."
        )
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"save_model: kerax does not write Keras 2's legacy HDF5 model files "
            f"({path!r}); use a `.keras` filepath."
        )
    if not path.endswith(".keras"):
        raise ValueError(
            "save_model: invalid filepath extension; use `.keras` (or `model.export(...)` "
            f"for an inference program). Received filepath={path!r}."
        )
    model.save(path, overwrite=overwrite)


def save_weights(
    model: Any,
    filepath: str | os.PathLike[str],
    overwrite: bool = True,
    max_shard_size: Any = None,
    **kwargs: Any,
) -> None:
    """Writes ``model``'s weights to a ``.weights.h5`` file (Keras 3's layout).

    Args:
        model: The model whose weights are written.
        filepath: The file; its name must end in ``.weights.h5``.
        overwrite: When False, an existing file raises ``FileExistsError``.
        max_shard_size: Keras's sharded files; not supported (None only).
        **kwargs: None accepted.

    Raises:
        ValueError: For another file name or an unknown argument.
        NotImplementedError: For ``max_shard_size``.
    """
    if kwargs:
        raise ValueError(f"save_weights: unsupported argument(s): {sorted(kwargs)}.")
    if max_shard_size is not None:
        raise NotImplementedError(
            f"save_weights(max_shard_size={max_shard_size!r}): sharded weight files are not "
            "written by kerax."
        )
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path!r}")
    model.save_weights(path, overwrite=overwrite)


def load_weights(
    model: Any,
    filepath: str | os.PathLike[str],
    skip_mismatch: bool = False,
    **kwargs: Any,
) -> None:
    """Loads weights into ``model`` from a ``.weights.h5`` file, a ``.keras`` file or
    a Keras 2 ``.h5`` file (kerax's or Keras's).

    Args:
        model: The model to load into.
        filepath: The file.
        skip_mismatch: Skip weights whose shape does not match instead of raising.
        **kwargs: None accepted (Keras's ``by_name`` / ``objects_to_skip`` are not
            supported).

    Raises:
        ValueError: If the file does not fit the model (nothing changes then), or on an
            unknown argument.
    """
    if kwargs:
        raise ValueError(f"load_weights: unsupported argument(s): {sorted(kwargs)}.")
    model.load_weights(os.fspath(filepath), skip_mismatch=skip_mismatch)
