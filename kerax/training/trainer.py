"""``fit`` / ``evaluate`` / ``predict`` and the on-batch calls: the Keras training API.

This is the mutable facade over the pure programs of training; each public method is a
short sequence of calls into the pieces (``kerax/training/README.md`` has the map):
:mod:`~kerax.training.compiled` (``compile`` and the programs it configures),
:mod:`~kerax.training.live` (the train state bound to the layers),
:mod:`~kerax.training.devices` (placement) and the loops
(:mod:`~kerax.training.fit_loop`, :mod:`~kerax.training.evaluate_loop`,
:mod:`~kerax.training.predict_loop`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from kerax import config as _config
from kerax import random as _random
from kerax.callbacks import Callback, History
from kerax.training import arguments as _args
from kerax.training import data as _data
from kerax.training import devices as _devices
from kerax.training import evaluate_loop as _evaluate
from kerax.training import fit_loop as _fit
from kerax.training import hooks as _hooks
from kerax.training import keras_loop as _keras_loop
from kerax.training import live as _live
from kerax.training import predict_loop as _predict
from kerax.training.batches import host_batch
from kerax.training.compiled import Compiled
from kerax.training.logs import host_logs, single_or_list
from kerax.training.state import TrainState


class Trainer(Compiled):
    """Mixin giving a model Keras's training API (see :class:`kerax.Model`).

    State it owns, besides the compile's (:class:`Compiled`): the training state kept
    between fits (``_opt_state``, ``_loss_scale``, ``_rng``, ``_step``,
    ``_order_seed``) and, during ``fit``, the live train state ``_ts`` (see
    :mod:`kerax.training.live`).
    """

    def __init__(self) -> None:
        Compiled.__init__(self)
        self.stop_training = False
        self.history: History | None = None
        self._ts = None  # the live train state (a property over live.LiveState)
        self._opt_state: Any = None
        self._loss_scale: Any = None
        self._rng: jax.Array | None = None
        self._step: jax.Array | None = None  # steps taken, across fits (keys fold it in)
        self._order_seed: int | None = None
        self._resume_epoch: int | None = None

    # ------------------------------------------------------------------ train state
    @property
    def _ts(self) -> TrainState | None:
        """The live train state during ``fit`` (else None); see ``live.LiveState``."""
        holder = self.__dict__.get("_live_state")
        return None if holder is None else holder.get()

    @_ts.setter
    def _ts(self, value: TrainState | None) -> None:
        holder = self.__dict__.get("_live_state")
        if value is None:
            self.__dict__["_live_state"] = None
        elif holder is None:
            self.__dict__["_live_state"] = _live.LiveState(value)
        else:
            holder.set(value)

    def _live_opt_state(self) -> Any:
        return _live.opt_state(self)

    def _set_learning_rate(self, value: Any) -> None:
        _live.set_learning_rate(self, value)

    def save_checkpoint(self, directory: str, **metadata: Any) -> None:
        """Writes the whole train state (weights, layer state, optimizer state, step,
        RNG key, loss scale) to ``directory``, atomically; see
        :mod:`kerax.saving.checkpoint`. ``metadata`` (JSON-able) is stored with it.

        Raises:
            NotCompiledError: If the model was not compiled (there is no train state).
        """
        from kerax.saving.checkpoint import save_checkpoint

        self._require_compiled("save_checkpoint", need_loss=False)
        if self._order_seed is None:
            self._order_seed = _devices.new_order_seed()
        ts = self._ts if self._ts is not None else _live.start(self)
        save_checkpoint(directory, ts, {**metadata, "order_seed": self._order_seed})

    def restore_checkpoint(self, directory: str) -> dict[str, Any]:
        """Restores a train state written by :meth:`save_checkpoint`, exactly; returns
        the metadata stored with it.

        Raises:
            FileNotFoundError: If there is no checkpoint in ``directory``.
            ValueError: If it does not fit this model and optimizer; nothing changes then.
        """
        from kerax.saving.checkpoint import read_metadata, restore_checkpoint

        self._require_compiled("restore_checkpoint", need_loss=False)
        metadata = read_metadata(directory)
        live = self._ts is not None
        like = self._ts if live else _live.start(self)
        ts = restore_checkpoint(directory, like)
        self._order_seed = metadata.get("order_seed", self._order_seed)
        if live:
            self._ts = _live.unalias(ts)
        else:
            _live.keep(self, ts)
        return metadata

    # ------------------------------------------------------------------ fit / evaluate / predict
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Sequence[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> History:
        """Trains the model for ``epochs`` epochs; returns the :class:`History`.

        Args:
            x: Inputs: an array, a list of arrays, a dict keyed by input name, or an
                iterable of ``(x, y)`` / ``(x, y, sample_weight)`` batches.
            y: Targets: an array, a list, or a dict keyed by output name.
            batch_size: Examples per step (default 32).
            epochs: Index of the last epoch.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: :class:`~kerax.callbacks.Callback` instances.
            validation_split: Fraction of the data (taken from the end, before shuffling)
                held out for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``.
            shuffle: Reshuffle the examples each epoch (on the device).
            class_weight: ``{class index: weight}`` for single-output models.
            sample_weight: Per-example weights (one array, or per output).
            initial_epoch: Epoch to start counting from.
            steps_per_epoch: Batches per epoch. On in-memory arrays, as in Keras, the
                epochs take consecutive batches of one pass over the data (shuffled
                once per pass); an epoch that reaches the end of the data ends there
                and the next starts a new pass. Default: one pass (arrays), or the
                whole iterable.
            validation_steps: Batches per validation: the first ones of in-memory
                validation data, or of an iterable.
            validation_batch_size: Batch size for validation (default ``batch_size``).
            validation_freq: Validate every this many epochs.

        Raises:
            NotCompiledError: If ``compile`` was not called.
            ValueError: On mismatched sample counts or names missing from dicts.
        """
        _args.check_batch_size(batch_size)
        _args.check_batch_size(validation_batch_size, "validation_batch_size")
        _args.check_nested_lists(x)
        if _data.is_in_memory(x):
            _args.check_not_empty(self, x, "fit")
            if validation_data is None:
                _args.check_validation_split(validation_split, _args.rows(x))
        self._ready_to_route(x)
        common = {
            "batch_size": batch_size or 32,
            "epochs": epochs,
            "verbose": 1 if verbose == "auto" else int(verbose),
            "callbacks": callbacks,
            "validation_split": validation_split,
            "validation_data": validation_data,
            "shuffle": shuffle,
            "sample_weight": sample_weight,
            "initial_epoch": initial_epoch,
            "steps_per_epoch": steps_per_epoch,
            "validation_steps": validation_steps,
            "validation_batch_size": validation_batch_size,
            "validation_freq": validation_freq,
        }
        if _keras_loop.uses_keras_steps(self, "fit"):
            self._prepare_keras_steps(x, "fit")
            if class_weight is not None:
                common["sample_weight"] = _keras_loop.class_sample_weight(
                    self, x, y, sample_weight, class_weight
                )
            return _keras_loop.fit(self, x, y, **common)
        self._prepare(x if _data.is_in_memory(x) else None, "fit")
        history = _fit.fit(self, x, y, class_weight=class_weight, **common)
        if history.epoch:
            last = {k: v[-1] for k, v in history.history.items() if not k.startswith("val_")}
            self._metric_results = last
        return history

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Sequence[Callback] | None = None,
        return_dict: bool = False,
    ) -> Any:
        """Computes the loss and metrics on data.

        ``steps`` batches are evaluated: the first ``steps`` of in-memory arrays, as
        Keras reads them, or of an iterable (default: all). The global cap
        (``kerax.config.set_max_steps_per_epoch``) applies here too, with Keras's
        warning.

        Returns:
            The loss alone when there is nothing else to report, else a list in
            ``metrics_names`` order; a dict with ``return_dict=True``.
        """
        _args.check_batch_size(batch_size)
        _args.check_nested_lists(x)
        steps = _config.capped_steps(steps)
        if _data.is_in_memory(x):
            _args.check_not_empty(self, x, "evaluate")
        self._ready_to_route(x)
        if _keras_loop.uses_keras_steps(self, "evaluate"):
            self._prepare_keras_steps(x, "evaluate")
            logs = _keras_loop.evaluate(
                self,
                x,
                y,
                batch_size=batch_size or 32,
                sample_weight=sample_weight,
                steps=steps,
                verbose=0 if verbose == "auto" else int(verbose),
                callbacks=callbacks,
            )
            self._metric_results = logs
            return logs if return_dict else single_or_list(logs)
        self._prepare(x if _data.is_in_memory(x) else None, "evaluate")
        logs = _evaluate.evaluate(
            self,
            x,
            y,
            batch_size=batch_size or 32,
            verbose=verbose,
            sample_weight=sample_weight,
            steps=steps,
            callbacks=callbacks,
        )
        self._metric_results = logs
        return logs if return_dict else single_or_list(logs)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> Any:
        """Runs the model on ``x`` in batches; returns NumPy arrays nested as the outputs.

        Every batch has the same shape (the last one is padded), so ``predict`` compiles
        once. With ``steps``, the outputs of the first ``steps`` batches only (of arrays,
        as of an iterable); the global step cap applies too, as in Keras.
        """
        _hooks.check(self, "predict")
        _args.check_batch_size(batch_size)
        _args.check_nested_lists(x)
        steps = _config.capped_steps(steps)
        if _data.is_in_memory(x) and _args.rows(x) == 0:
            self._ensure_graph(x)
            _data.flatten_x(self.graph, x)  # the input contract holds for no rows too
            return _args.empty_outputs(self)
        if _keras_loop.uses_keras_steps(self, "predict"):
            self._prepare_keras_steps(x, "predict", compiled=False)
            return _keras_loop.predict(
                self, x, batch_size=batch_size or 32, steps=steps, callbacks=callbacks
            )
        self._ensure_graph(x if _data.is_in_memory(x) else None)
        return _predict.predict(
            self, x, batch_size=batch_size or 32, verbose=verbose, steps=steps, callbacks=callbacks
        )

    def _ready_to_route(self, x: Any) -> None:
        """Builds a deferred graph from in-memory data and resolves the compile, so
        that the choice of steps (``keras_loop.uses_keras_steps``) sees the losses."""
        if _data.is_in_memory(x):
            self._ensure_graph(x)
        if self.compiled and self._metrics is None and getattr(self, "_graph", None) is not None:
            self._resolve_compile()

    def _prepare_keras_steps(self, x: Any, what: str, compiled: bool = True) -> None:
        """Checks and builds for a Keras-style step (``keras_loop``): built from the
        data (the first batch of a re-iterable), compiled (a loss is optional)."""
        _hooks.check(self, what)
        if _data.is_in_memory(x):
            self._ensure_graph(x)
        elif not self.built and x is not None and iter(x) is not x:
            from kerax.models.keras_steps import unpack_data

            self._ensure_graph(unpack_data(next(iter(x)))[0])
        if compiled:
            self._require_compiled(what, need_loss=False)
            if self._metrics is None:
                self._resolve_compile()

    # ------------------------------------------------------------------ on_batch
    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict[int, float] | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One optimizer step on one batch; returns the loss and metrics of that batch."""
        self._ready_to_route(x)
        if _keras_loop.uses_keras_steps(self, "train_on_batch"):
            self._prepare_keras_steps(x, "train_on_batch")
            logs = _keras_loop.train_on_batch(self, x, y, sample_weight)
            self._metric_results = logs
            return logs if return_dict else single_or_list(logs)
        self._prepare(x, "train_on_batch")
        if class_weight is not None:
            sample_weight = _data.class_weights_to_sample_weights(
                _data.flatten_y(self.graph, y)[0], class_weight
            )
        self._fit_metrics_to(_data.flatten_y(self.graph, y))
        batch, _ = host_batch(self.graph, self._loss.losses, x, y, sample_weight, None)
        programs = self._programs()
        _live.bind(self, _live.start(self))
        try:
            # The step and its results in one program (one call, one transfer).
            self._ts, results = programs.train_step_results()(self._ts, batch)
            logs = host_logs(self.metrics_names, results)
            self._adopt_metric_states(self._ts.metrics)
        finally:
            _live.unbind(self)
        self._metric_results = logs
        return logs if return_dict else single_or_list(logs)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """The loss and metrics on one batch, without training."""
        self._ready_to_route(x)
        if _keras_loop.uses_keras_steps(self, "test_on_batch"):
            self._prepare_keras_steps(x, "test_on_batch")
            logs = _keras_loop.test_on_batch(self, x, y, sample_weight)
            self._metric_results = logs
            return logs if return_dict else single_or_list(logs)
        self._prepare(x, "test_on_batch")
        self._fit_metrics_to(_data.flatten_y(self.graph, y))
        batch, _ = host_batch(self.graph, self._loss.losses, x, y, sample_weight, None)
        programs = self._programs()
        variables = _devices.place_variables(self.lowered.layout, self.get_variables())
        states = programs.eval_step()(
            variables, programs.metrics_init()(), batch, _random.next_key()
        )
        logs = host_logs(self.metrics_names, programs.results()(states))
        self._adopt_metric_states(states)
        self._metric_results = logs
        return logs if return_dict else single_or_list(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as NumPy arrays."""
        _hooks.check(self, "predict_on_batch")
        if _keras_loop.uses_keras_steps(self, "predict_on_batch"):
            self._prepare_keras_steps(x, "predict_on_batch", compiled=False)
            return _keras_loop.predict(
                self, x, batch_size=len(jax.tree_util.tree_leaves(x)[0]), steps=None, callbacks=None
            )
        self._ensure_graph(x)
        return _predict.predict_on_batch(self, x)
