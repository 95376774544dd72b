"""Callbacks with Keras's hooks and semantics.

Logs handed to hooks are plain Python floats, fetched from the device only at log
points (epoch ends, and batch ends only when some callback asks for batch logs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kerax.training.progbar import Progbar


class Callback:
    """Base class of callbacks. Override any hook; ``self.model`` is the model trained.

    Attributes:
        model: The model being trained, set by ``fit`` / ``evaluate`` / ``predict``.
        params: ``{"epochs", "steps", "verbose"}``.
    """

    #: Whether ``on_*_batch_*`` hooks are overridden (and so need per-batch logs).
    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None: ...

    def needs_batch_hooks(self) -> bool:
        """Whether this callback overrides a per-batch hook."""
        return any(
            getattr(type(self), hook) is not getattr(Callback, hook)
            for hook in dir(Callback)
            if hook.startswith("on_") and "_batch_" in hook
        )


class History(Callback):
    """Records the epoch logs; ``fit`` returns it.

    Attributes:
        history: ``{metric name: [value per epoch]}``.
        epoch: The epoch indices seen.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints progress: a live bar (``verbose=1``) or a line per epoch (``verbose=2``)."""

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self._bar: Progbar | None = None
        self._epochs = 1

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self._epochs}", flush=True)
            self._bar = Progbar(self.params.get("steps"), self.verbose)

    def progress(self, step: int, logs: dict[str, Any]) -> None:
        """Called by the loop at throttled log points (not every step)."""
        if self._bar is not None and self.verbose == 1:
            self._bar.update(step, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.update(self.params.get("steps") or 0, logs, finalize=True)


class CallbackList(Callback):
    """Dispatches every hook to a list of callbacks."""

    def __init__(self, callbacks: Sequence[Callback] | None, model: Any, **params: Any) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self.model = model

    def needs_batch_hooks(self) -> bool:
        return any(cb.needs_batch_hooks() for cb in self.callbacks)

    def progress(self, step: int, logs: dict[str, Any]) -> None:
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                cb.progress(step, logs)

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("on_"):
            callbacks = object.__getattribute__(self, "callbacks")

            def dispatch(*args: Any, **kwargs: Any) -> None:
                for cb in callbacks:
                    getattr(cb, name)(*args, **kwargs)

            return dispatch
        return object.__getattribute__(self, name)


def _monitor_op(monitor: str, mode: str) -> Any:
    """``(better(a, b), sign of min_delta)`` for a monitored quantity."""
    import operator

    if mode not in ("auto", "min", "max"):
        raise ValueError(f"`mode` must be 'auto', 'min' or 'max'; received mode={mode!r}.")
    if mode == "auto":
        maximise = any(k in monitor for k in ("acc", "auc", "precision", "recall", "f1", "iou"))
        mode = "max" if maximise else "min"
    return (operator.gt, 1.0) if mode == "max" else (operator.lt, -1.0)


class _Monitor(Callback):
    """Shared logic of callbacks that watch one logged quantity."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        super().__init__()
        self.monitor = monitor
        self.mode = mode
        self._op, sign = _monitor_op(monitor, mode)
        self.min_delta = abs(min_delta) * sign

    def _is_improvement(self, current: float, reference: float | None) -> bool:
        if reference is None:
            return True
        return bool(self._op(current - self.min_delta, reference))

    def _value(self, logs: dict[str, Any] | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            import warnings

            warnings.warn(
                f"{type(self).__name__} is conditioned on `{self.monitor}`, which is not "
                f"in the logs. Available: {', '.join(sorted(logs or {}))}.",
                stacklevel=3,
            )
        return value


class EarlyStopping(_Monitor):
    """Stops training when ``monitor`` has stopped improving.

    Args:
        monitor: The logged quantity to watch (default ``"val_loss"``).
        min_delta: Smallest change that counts as an improvement.
        patience: Epochs without improvement before stopping.
        verbose: 1 to print when stopping or restoring.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the name).
        baseline: A value the quantity must beat for the patience to reset.
        restore_best_weights: At the end, restore the weights of the best epoch.
        start_from_epoch: Epochs to wait before watching.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best: float | None = None
        self.best_weights: list[Any] | None = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(_Monitor):
    """Multiplies the learning rate by ``factor`` when ``monitor`` stops improving.

    The rate lives in the optimizer state, so the change needs no recompilation.

    Args:
        monitor: The logged quantity to watch (default ``"val_loss"``).
        factor: Multiplier of the rate (< 1).
        patience: Epochs without improvement before reducing.
        verbose: 1 to print each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        min_delta: Smallest change that counts as an improvement.
        cooldown: Epochs to wait after a reduction.
        min_lr: Lower bound of the rate.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(f"`factor` must be below 1.0; received factor={factor}.")
        super().__init__(monitor, mode, min_delta)
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.wait = self.cooldown_counter = 0
        self.best: float | None = None

    def on_train_begin(self, logs=None):
        self.wait = self.cooldown_counter = 0
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = self._value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(self.model.optimizer.learning_rate)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        print(
                            f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}."
                        )
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch start to ``schedule(epoch, lr)``.

    Args:
        schedule: ``fn(epoch_index, current_lr) -> new_lr``.
        verbose: 1 to print each change.
    """

    def __init__(self, schedule: Any, verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(self.model.optimizer.learning_rate)
        new = self.schedule(epoch, lr)
        if not isinstance(new, int | float) and not hasattr(new, "__float__"):
            raise ValueError(f"The schedule must return a number; it returned {new!r}.")
        self.model.optimizer.learning_rate = float(new)
        if self.verbose:
            print(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new)}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stops training as soon as the loss of a batch is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        import math

        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Writes the epoch logs to a CSV file, one row per epoch.

    Args:
        filename: The CSV file.
        separator: The column separator.
        append: Append to an existing file instead of overwriting it.
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = str(filename), separator, append
        self._keys: list[str] | None = None
        self._file: Any = None

    def on_train_begin(self, logs=None):
        import os

        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._keys = None
        if exists:
            with open(self.filename) as f:
                header = f.readline().strip()
            self._keys = header.split(self.sep)[1:] if header else None

    def on_epoch_end(self, epoch, logs=None):
        import csv

        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            csv.writer(self._file, delimiter=self.sep).writerow(["epoch", *self._keys])
        row = [epoch] + [logs.get(k, "NA") for k in self._keys]
        csv.writer(self._file, delimiter=self.sep).writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Accepts any hook name of :class:`Callback` as a keyword, plus Keras's short forms
    ``on_batch_begin`` / ``on_batch_end`` for the training batch hooks.
    """

    def __init__(self, **hooks: Any) -> None:
        super().__init__()
        aliases = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}
        for name, fn in hooks.items():
            name = aliases.get(name, name)
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"Unknown callback hook {name!r}.")
            if fn is not None:
                setattr(self, name, fn)

    def needs_batch_hooks(self) -> bool:
        return any("_batch_" in name for name in vars(self) if name.startswith("on_"))


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
        delete_checkpoint: Delete the backup when training completes.
    """

    def __init__(
        self, backup_dir: str, save_freq: Any = "epoch", delete_checkpoint: bool = True
    ) -> None:
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(
                f"Only save_freq='epoch' is supported; received save_freq={save_freq!r}."
            )
        self.backup_dir, self.delete_checkpoint = str(backup_dir), delete_checkpoint
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
