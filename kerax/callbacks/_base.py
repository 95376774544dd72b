"""The callback protocol: :class:`Callback`, and :class:`CallbackList`, which the loops
drive; :class:`History` and :class:`ProgbarLogger`, which ``fit`` adds itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kerax.callbacks._observe import touches_model, uses_logs
from kerax.training import progbar as _progbar
from kerax.training.progbar import Progbar

Logs = dict[str, Any] | None

#: The hooks ``fit`` calls per training batch (Keras's ``on_batch_*`` are their aliases).
TRAIN_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end")
ALIASES = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}


class Callback:
    """Base class of callbacks. Override any hook; ``self.model`` is the model trained.

    Example:
        >>> class Timer(kerax.callbacks.Callback):
        ...     def on_train_batch_begin(self, batch, logs=None):
        ...         self.times.append(time.perf_counter())

    Attributes:
        model: The model being trained, set by ``fit`` / ``evaluate`` / ``predict``.
        params: ``{"epochs", "steps", "verbose"}``.
        async_safe: Whether this callback's training batch hooks only *observe*.
            ``fit`` runs many steps per compiled call when no callback watches batches;
            a callback with batch hooks decides whether that can go on:

            - ``True``: the hooks observe. ``fit`` keeps running chunks of steps (each
              about half a second, a tenth with a progress bar) and, after each chunk, calls this callback's
              batch hooks in order, once per step, with that step's logs (kept on the
              device during the chunk and read back once per chunk).
            - ``False``: ``fit`` runs one step per compiled call, so that whatever a
              hook does at batch N (``model.stop_training = True``, a new learning
              rate, a weight it sets) applies from batch N + 1, as in Keras. Logs are
              still read from the device only if the hook looks at them.
            - ``None`` (the default): decided from the code of the hooks. A hook that
              never uses its ``logs`` argument and never touches ``self.model`` (the
              model, its optimizer, ``stop_training``) observes; any other makes the
              callback synchronous. A hook that reaches the model through a helper
              method is not seen by this check: set ``async_safe = False`` then.
    """

    async_safe: bool | None = None

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Logs = None) -> None: ...
    def on_train_end(self, logs: Logs = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: Logs = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs: Logs = None) -> None: ...
    def on_test_end(self, logs: Logs = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None: ...
    def on_predict_begin(self, logs: Logs = None) -> None: ...
    def on_predict_end(self, logs: Logs = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None: ...

    def overrides(self, hook: str) -> bool:
        """Whether ``hook`` does something here (overridden in the class, or set on the
        instance as :class:`~kerax.callbacks.LambdaCallback` does)."""
        if self._defines(hook):
            return True
        aliases = [a for a, h in ALIASES.items() if h == hook]
        return any(self.overrides(a) for a in aliases)

    def _defines(self, hook: str) -> bool:
        return hook in vars(self) or getattr(type(self), hook) is not getattr(Callback, hook)

    def _batch_hooks(self) -> list[Any]:
        """The training batch hooks this callback defines itself (aliases included)."""
        return [getattr(self, h) for h in (*TRAIN_BATCH_HOOKS, *ALIASES) if self._defines(h)]

    def needs_batch_hooks(self) -> bool:
        """Whether this callback overrides a per-batch hook."""
        return any(
            self.overrides(hook)
            for hook in dir(Callback)
            if hook.startswith("on_") and "_batch_" in hook
        )

    def observes_batches(self) -> bool:
        """Whether the training batch hooks only observe (see :attr:`async_safe`)."""
        if self.async_safe is not None:
            return bool(self.async_safe)
        return not any(uses_logs(h) or touches_model(h) for h in self._batch_hooks())

    def reads_batch_logs(self) -> bool:
        """Whether a training batch hook may read its ``logs`` argument."""
        return any(uses_logs(h) for h in self._batch_hooks())


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
    """Prints the progress of ``fit``: a live bar (``verbose=1``) or a line per epoch
    (``verbose=2``), each epoch announced by ``Epoch i/n`` when there are several.

    Keras's layout, from :class:`kerax.utils.Progbar`: the values printed are the
    running logs as they are (not averaged again), validation values on the epoch's
    last line. ``fit`` adds one itself when ``verbose`` is not 0.

    Args:
        verbose: 1, 2 or ``"auto"`` (1); by default, ``fit``'s ``verbose``.
    """

    def __init__(self, verbose: int | str | None = None) -> None:
        super().__init__()
        self.verbose: int | str | None = verbose
        self._bar: Progbar | None = None
        self._epochs = 1
        self._seen = 0

    def _level(self) -> int:
        verbose = self.params.get("verbose", 1) if self.verbose is None else self.verbose
        return 1 if verbose == "auto" else int(verbose)

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs", 1)

    def on_epoch_begin(self, epoch, logs=None):
        level = self._level()
        self._bar, self._seen = None, 0
        if level:
            self._bar = Progbar(self.params.get("steps"), verbose=level, stateless_metrics=())
            if self._epochs > 1:
                _progbar._write(f"Epoch {epoch + 1}/{self._epochs}\n")

    def progress(self, step: int, logs: dict[str, Any]) -> None:
        """Called by the loop at throttled log points (not every step)."""
        self._seen = step
        if self._bar is not None and self._bar.verbose == 1:
            self._bar.update(step, list(logs.items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            if self._bar.target is None:  # an iterable of unknown length: now known
                self._bar.target = self._seen or None
            self._bar.update(self._bar.target or 0, list((logs or {}).items()), finalize=True)


class CallbackList(Callback):
    """Dispatches every hook to a list of callbacks, in order (for custom loops too).

    Each hook calls only the callbacks that override it (bound methods gathered once),
    so a hook nobody overrides costs one empty loop per batch.

    Args:
        callbacks: The callbacks.
        add_history: Append a :class:`History` if there is none.
        add_progbar: Append a :class:`ProgbarLogger` if there is none.
        model: The model they watch.
        **params: Shared with every callback as ``callback.params``.
    """

    def __init__(
        self,
        callbacks: Sequence[Callback] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks = list(callbacks or [])
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history and not any(isinstance(cb, History) for cb in self.callbacks):
            self.callbacks.append(History())
        self.set_model(model)
        self.set_params(params)
        self._gather()

    def _gather(self) -> None:
        self._hooks = {
            hook: [getattr(cb, hook) for cb in self.callbacks if cb.overrides(hook)]
            for hook in _HOOKS
        }
        self._bars = [cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)]

    def append(self, callback: Callback) -> None:
        """Adds a callback at the end (it gets the list's model and params)."""
        callback.set_model(self.model)
        callback.set_params(self.params)
        self.callbacks.append(callback)
        self._gather()

    def set_model(self, model: Any) -> None:
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def needs_batch_hooks(self) -> bool:
        return any(cb.needs_batch_hooks() for cb in self.callbacks)

    def watches_training_batches(self) -> bool:
        """Whether some callback has a training batch hook."""
        return bool(self._hooks["on_train_batch_begin"] or self._hooks["on_train_batch_end"])

    def observes_batches(self) -> bool:
        return all(
            cb.observes_batches()
            for cb in self.callbacks
            if any(cb.overrides(h) for h in TRAIN_BATCH_HOOKS)
        )

    def reads_batch_logs(self) -> bool:
        return any(cb.reads_batch_logs() for cb in self.callbacks)

    def watches(self, hook: str) -> bool:
        """Whether some callback overrides ``hook``."""
        return bool(self._hooks[hook])

    def progress(self, step: int, logs: dict[str, Any]) -> None:
        for bar in self._bars:
            bar.progress(step, logs)


_HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


def _dispatcher(hook: str) -> Any:
    # Keras always hands hooks a dict, ``{}`` where there is nothing to report.
    if hook.endswith(("_begin", "_end")) and ("batch" in hook or "epoch" in hook):

        def dispatch(self: CallbackList, index: int, logs: Logs = None) -> None:
            logs = {} if logs is None else logs
            for method in self._hooks[hook]:
                method(index, logs)

    else:

        def dispatch(self: CallbackList, logs: Logs = None) -> None:  # type: ignore[misc]
            logs = {} if logs is None else logs
            for method in self._hooks[hook]:
                method(logs)

    dispatch.__name__ = hook
    dispatch.__doc__ = f"Calls ``{hook}`` of every callback that overrides it."
    return dispatch


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _dispatcher(_hook))
del _hook
