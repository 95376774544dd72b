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
