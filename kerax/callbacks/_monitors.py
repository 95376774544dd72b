"""Callbacks that watch one logged quantity: early stopping, learning-rate reduction."""

from __future__ import annotations

from typing import Any

from kerax.callbacks._base import Callback
from kerax.training.progbar import print_msg


def _monitor_op(monitor: str, mode: str, model: Any = None) -> Any:
    """``(better(a, b), sign of min_delta)`` for a monitored quantity.

    ``mode="auto"`` decides as Keras does: a loss is minimised; a metric is followed in
    the direction its class declares (``_direction``: accuracies, AUC, IoU, R2 and the
    correlations up, errors and crossentropies down), found among ``model.metrics`` by
    its logged name. A quantity whose direction is unknown raises, naming the choice
    to make, rather than being guessed.
    """
    import operator

    if mode not in ("auto", "min", "max"):
        raise ValueError(f"`mode` must be 'auto', 'min' or 'max'; received mode={mode!r}.")
    if mode == "auto":
        mode = _auto_mode(monitor, model)
    return (operator.gt, 1.0) if mode == "max" else (operator.lt, -1.0)


def _auto_mode(monitor: str, model: Any) -> str:
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for logged, metric in _named_metrics(model):
        if logged == name and getattr(metric, "_direction", None) in ("up", "down"):
            return "max" if metric._direction == "up" else "min"
    raise ValueError(
        f"Cannot tell whether `{monitor}` should be maximised or minimised (no metric of "
        "the model by that name declares a direction). Pass `mode='max'` to follow its "
        "highest value, or `mode='min'` for its lowest."
    )


def _named_metrics(model: Any) -> list[tuple[str, Any]]:
    """``(logged name, metric object)`` of the model's metrics."""
    if model is None:
        return []
    named = []
    compiled = getattr(model, "_metrics", None)
    if compiled is not None:
        named += [(name, metric) for name, _, metric, _ in compiled.entries]
    named += [(m.name, m) for m in getattr(model, "metrics", [])]
    return named


class _Monitor(Callback):
    """Shared logic of callbacks that watch one logged quantity. With
    ``mode="auto"`` the direction is settled when training begins, from the model's
    metrics (see :func:`_monitor_op`)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        super().__init__()
        self.monitor = monitor
        self.mode = mode
        self._min_delta = abs(min_delta)
        self._resolved: tuple[Any, float] | None = None
        if mode != "auto":
            self._resolved = _monitor_op(monitor, mode)

    def _direction(self) -> tuple[Any, float]:
        if self._resolved is None:
            self._resolved = _monitor_op(self.monitor, self.mode, self.model)
        return self._resolved

    @property
    def _op(self) -> Any:
        return self._direction()[0]

    @property
    def min_delta(self) -> float:
        return self._min_delta * self._direction()[1]

    @min_delta.setter
    def min_delta(self, value: float) -> None:
        self._min_delta = abs(value)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if self.mode == "auto":
            self._resolved = None  # decided again for this model

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

    def get_monitor_value(self, logs: dict[str, Any] | None) -> float | None:
        """The monitored value in ``logs`` (None, with a warning, when absent)."""
        return self._value(logs)


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
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print_msg(
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

    def in_cooldown(self) -> bool:
        """Whether the rate was reduced less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0

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
                        print_msg(
                            f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}."
                        )
                    self.cooldown_counter, self.wait = self.cooldown, 0
