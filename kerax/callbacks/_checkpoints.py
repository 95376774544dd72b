"""Callbacks that write checkpoints: the best or latest weights, and backups to resume from."""

from __future__ import annotations

from typing import Any

from kerax.callbacks._base import Callback
from kerax.callbacks._monitors import _Monitor


class ModelCheckpoint(_Monitor):
    """Saves the weights (or the model) at the end of epochs.

    Files are written to a temporary name and renamed into place, so a crash never
    leaves a partial file, and the previous checkpoint stays intact until the new one is
    complete. A path ending in ``.ckpt`` writes kerax's native checkpoint of the whole
    train state instead (``model.restore_checkpoint`` reads it back exactly).

    Args:
        filepath: Path ending in ``.keras``, ``.weights.h5`` (with
            ``save_weights_only``) or ``.ckpt``; may contain ``{epoch}`` and log keys
            (``{val_loss:.2f}``).
        monitor: The quantity deciding the best model (``save_best_only``).
        verbose: 1 to print each save.
        save_best_only: Only save when ``monitor`` improves.
        save_weights_only: Save weights only (``.weights.h5``).
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_freq: ``"epoch"`` (only epochs are supported).
        initial_value_threshold: The value to beat before the first save.
    """

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0)
        if save_freq != "epoch":
            raise ValueError(
                f"Only save_freq='epoch' is supported; received save_freq={save_freq!r}."
            )
        filepath = str(filepath)
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError(
                "With save_weights_only=True the filepath must end in `.weights.h5`; "
                f"received filepath={filepath!r}."
            )
        if not save_weights_only and not filepath.endswith((".keras", ".ckpt")):
            raise ValueError(
                f"The filepath must end in `.keras` or `.ckpt` (or use save_weights_only=True "
                f"with `.weights.h5`); received filepath={filepath!r}."
            )
        self.filepath, self.verbose = filepath, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.best: float | None = initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = self._value(logs)
            if current is None or not self._is_improvement(current, self.best):
                return
            if self.verbose:
                print(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {current}, saving model to {path}"
                )
            self.best = current
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        elif path.endswith(".ckpt"):
            self.model.save_checkpoint(path, epoch=epoch)
        else:
            self.model.save(path)


class BackupAndRestore(Callback):
    """Backs up the whole train state every epoch, and resumes an interrupted ``fit``.

    At the start of ``fit``, a backup in ``backup_dir`` is restored exactly (weights,
    optimizer state, step, RNG key, the data order) and training continues from the
    epoch after the one it was taken at; the result is bit for bit the same as an
    uninterrupted run. The backup is written atomically, so a crash mid-write keeps the
    previous one. It is deleted when ``fit`` completes, unless ``delete_checkpoint`` is
    False.

    Args:
        backup_dir: Directory of the backup.
        save_freq: ``"epoch"`` (only epochs are supported).
        double_checkpoint: Accepted for Keras compatibility. Keras keeps a second copy
            so that a crash while writing leaves one intact; kerax's backups are
            written to a temporary name and renamed into place, so the previous one
            always survives.
        delete_checkpoint: Delete the backup when training completes.
    """

    def __init__(
        self,
        backup_dir: str,
        save_freq: Any = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(
                f"Only save_freq='epoch' is supported; received save_freq={save_freq!r}."
            )
        self.backup_dir, self.delete_checkpoint = str(backup_dir), delete_checkpoint
        self.double_checkpoint = double_checkpoint
        self._completed = False

    def on_train_begin(self, logs=None):
        import os

        self._completed = False
        if os.path.exists(os.path.join(self.backup_dir, "meta.json")):
            metadata = self.model.restore_checkpoint(self.backup_dir)
            self.model._resume_epoch = int(metadata["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        self.model.save_checkpoint(self.backup_dir, epoch=epoch)
        self._completed = epoch + 1 >= self.params.get("epochs", epoch + 1)

    def on_train_end(self, logs=None):
        import shutil

        if self.delete_checkpoint and self._completed:
            shutil.rmtree(self.backup_dir, ignore_errors=True)
