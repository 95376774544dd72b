"""Small callbacks: learning-rate schedules, NaN guard, CSV logging, callbacks from functions."""

from __future__ import annotations

from typing import Any

from kerax.callbacks._base import ALIASES, Callback
from kerax.training.progbar import print_msg


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
            print_msg(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new)}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stops training as soon as the loss of a batch is NaN or infinite, keeping the
    last finite weights.

    Unlike Keras, which stops with the weights of the step that produced the NaN
    (usually NaN themselves), the model is put back to the most recent of the two
    states before that step whose weights and layer state are all finite: the step
    whose loss was NaN is undone, and so is the one before it when its update already
    made the weights non-finite (a NaN gradient with a finite loss). The optimizer
    state and step count go back with them. ``fit`` keeps references to those two
    states (no copies): memory for two more train states, no time.

    It reads each batch's loss, so ``fit`` runs one step per call with it (see
    :attr:`Callback.async_safe`).

    Args:
        raise_error: Raise a ``RuntimeError`` at once instead of stopping gracefully
            (then ``on_train_end`` is not called); the weights are restored first.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_train_begin(self, logs=None):
        from kerax.training import live

        live.keep_past(self.model, 2)

    def on_train_batch_end(self, batch, logs=None):
        import math

        from kerax.training import live

        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            restored = live.rewind_to_finite(self.model)
            kept = "the last finite weights restored" if restored else "no finite weights kept"
            if self.raise_error:
                raise RuntimeError(
                    f"The loss is {loss} at batch {batch}: terminating training "
                    f"(TerminateOnNaN(raise_error=True)), {kept}."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training ({kept})")
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
        for name, fn in hooks.items():
            name = ALIASES.get(name, name)
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"Unknown callback hook {name!r}.")
            if fn is not None:
                setattr(self, name, fn)
