"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: the Keras training API.

This is the mutable facade over the pure steps of :mod:`kerax.training.steps`. During
``fit`` the live :class:`TrainState` is the one current value of every weight: layers
read it through their value cell (so callbacks and other models sharing the layers see
the current weights) and writes go into it. Nothing is copied back per step; at the
end of ``fit`` the final values become the layers' values by reference.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from kerax import optimizers as _optimizers
from kerax import random as _random
from kerax.callbacks import Callback, CallbackList, History, ProgbarLogger
from kerax.distribution import placement as _placement
from kerax.distribution import runtime as _runtime
from kerax.errors import NotCompiledError
from kerax.training import checks as _checks
from kerax.training import data as _data
from kerax.training import steps as _steps
from kerax.training.compile_utils import CompiledLoss, CompiledMetrics, check_names
from kerax.training.state import TrainState

_PROGRESS_INTERVAL = 0.1  # seconds between progress-bar refreshes (each one syncs)


class _Live:
    """Binds layers' value cells to a trainer's live train state during ``fit``."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer

    def read(self, layer: Any) -> dict[str, dict[str, Any]]:
        key = self.trainer.lowered.layout.key(layer)
        ts = self.trainer._ts
        return {"params": ts.params.get(key, {}), "state": ts.state.get(key, {})}

    def write(self, layer: Any, collection: str, name: str, value: Any) -> None:
        key = self.trainer.lowered.layout.key(layer)
        ts = self.trainer._ts
        tree = dict(getattr(ts, collection))
        tree[key] = {**tree[key], name: value}
        self.trainer._ts = ts._replace(**{collection: tree})


class Trainer:
    """Mixin giving a model Keras's training API (see :class:`kerax.Model`)."""

    def __init__(self) -> None:
        self.optimizer: Any = None
        self.compiled = False
        self._compile_args: tuple[Any, ...] = (None, None, None, None)
        self.stop_training = False
        self.history: History | None = None
        self._loss: CompiledLoss | None = None
        self._metrics: CompiledMetrics | None = None
        self._tx: optax.GradientTransformation | None = None
        self._ts: TrainState | None = None
        self._opt_state: Any = None
        self._loss_scale: Any = None
        self._rng: jax.Array | None = None
        self._step: jax.Array | None = None  # steps taken, across fits (keys fold it in)
        self._order_seed: int | None = None
        self._resume_epoch: int | None = None
        self._jit_cache: dict[Any, Any] = {}
        self._steps_per_execution = 1
        #: How many times the train step was traced (a retrace is a recompile).
        self.train_step_traces = 0

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = True,
        auto_scale_loss: bool = True,
    ) -> None:
        """Configures the model for training.

        Args:
            optimizer: Name (``"rmsprop"``, ``"adam"``, ``"sgd"``), optimizer instance,
                or any ``optax.GradientTransformation``.
            loss: One loss for every output (name, instance or ``fn(y_true, y_pred)``),
                a list with one per output, or a dict keyed by output name.
            loss_weights: Per-output weights of the total loss: a list or a dict.
            metrics: Metrics for every output (a list), or per output (a dict).
            weighted_metrics: Metrics that take ``sample_weight`` into account.
            run_eagerly: Unsupported (kerax always compiles); must be False.
            steps_per_execution: Train steps run per compiled call. ``fit`` already
                runs whole epochs per call where it can; on CPU, models with
                convolutions run one step per call (XLA's CPU convolutions are slow
                inside loops), and there ``steps_per_execution=k`` unrolls ``k`` steps
                into one call: faster per step, at the cost of a second compile and
                memory that grows with ``k``.
            jit_compile: Accepted for Keras compatibility; kerax always jits.
            auto_scale_loss: With float16 layers, scale the loss dynamically (as
                Keras wraps the optimizer in a ``LossScaleOptimizer``); False turns
                it off.

        Raises:
            ValueError: On unknown names (the closest known names are listed), or loss
                and weight lists that do not match the outputs.
        """
        if run_eagerly:
            raise ValueError("kerax always compiles its steps: `run_eagerly=True` is unsupported.")
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(
                f"`steps_per_execution` must be a positive integer, received {steps_per_execution!r}."
            )
        opt = _optimizers.get(optimizer)
        args = (loss, loss_weights, metrics, weighted_metrics)
        # Everything is resolved before anything is stored, so that a compile that
        # fails (an unknown name, a list that does not fit the outputs) leaves the
        # previous configuration in place.
        if self.built:
            resolved = self._resolve(args)
        else:
            check_names(loss, metrics, weighted_metrics)
            resolved = (None, None)
        if isinstance(opt, _optimizers.Optimizer):
            opt._model = self
            tx = opt.transform()
        else:
            tx = opt
        self._compile_args = args
        self._loss, self._metrics = resolved
        self.__dict__["_metric_shapes"] = None
        self._tx = tx
        self.optimizer = opt
        self._steps_per_execution = steps_per_execution
        self._opt_state = None
        self._loss_scale = None  # a new compile starts a new scale, as a new optimizer
        self._auto_scale_loss = bool(auto_scale_loss)
        self._jit_cache = {}
        self.compiled = True

    def _compile_config(self) -> dict[str, Any]:
        """The compile arguments that can be written to a file (names, not objects)."""
        loss, loss_weights, metrics, weighted_metrics = self._compile_args

        def plain(value: Any) -> Any:
            if value is None or isinstance(value, str | int | float):
                return value
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return getattr(value, "name", None)

        opt = self.optimizer
        return {
            "optimizer": _optimizers.serialize(opt)
            if isinstance(opt, _optimizers.Optimizer)
            else None,
            "loss": plain(loss),
            "loss_weights": plain(loss_weights),
            "metrics": plain(metrics),
            "weighted_metrics": plain(weighted_metrics),
        }

    def _resolve(
        self, args: tuple[Any, ...], y_true_shapes: Sequence[Any] | None = None
    ) -> tuple[CompiledLoss | None, CompiledMetrics]:
        """Resolves compile arguments against the outputs; stores nothing."""
        loss, loss_weights, metrics, weighted_metrics = args
        names = self.output_names
        compiled_loss = CompiledLoss.build(loss, loss_weights, names) if loss is not None else None
        compiled_metrics = CompiledMetrics.build(
            metrics,
            weighted_metrics,
            names,
            self.graph.output_specs,
            compiled_loss or CompiledLoss(list(names), [None] * len(names), [1.0] * len(names)),
            y_true_shapes,
        )
        return compiled_loss, compiled_metrics

    def _fit_metrics_to(self, ys: Sequence[Any]) -> None:
        """Re-resolves ``"accuracy"`` once the targets' shapes are known, as Keras does
        (integer labels mean sparse categorical accuracy whatever the loss). Only a
        different choice replaces the metrics (and the compiled steps)."""
        shapes = tuple(None if y is None else (None, *np.shape(y)[1:]) for y in ys)
        if shapes == self.__dict__.get("_metric_shapes"):
            return
        metrics, weighted_metrics = self._compile_args[2:]
        if metrics is not None or weighted_metrics is not None:
            _, refined = self._resolve(self._compile_args, shapes)
            kinds = lambda m: [(e[0], type(e[2])) for e in m.entries]  # noqa: E731
            if kinds(refined) != kinds(self._metrics):
                self._metrics = refined
                self._jit_cache = {}
        self.__dict__["_metric_shapes"] = shapes

    def _resolve_compile(self) -> None:
        """Resolves losses and metrics against the outputs (deferred until built)."""
        self._loss, self._metrics = self._resolve(self._compile_args)
        self.__dict__["_metric_shapes"] = None
        self._jit_cache = {}

    def _ensure_graph(self, x: Any) -> None:
        """Hook for models whose graph is built from the first data (Sequential)."""

    def _prepare(self, x: Any, what: str, need_loss: bool = True) -> None:
        self._ensure_graph(x)
        self._require_compiled(what, need_loss)
        if self._metrics is None:
            self._resolve_compile()

    @property
    def metrics_names(self) -> list[str]:
        """Names of the logged values: ``"loss"``, per-output losses, then metrics."""
        return self._metrics.names if self._metrics is not None else []

    def _require_compiled(self, what: str, need_loss: bool = True) -> None:
        if not self.compiled:
            raise NotCompiledError(
                f"You must call `compile()` before using the model with `{what}()` "
                f"(model '{self.name}')."
            )
        if need_loss and self._loss is None:
            raise ValueError(
                f"Model '{self.name}' was compiled without a `loss`, so `{what}()` has "
                "nothing to compute. Pass `loss=` to `compile()`."
            )

    # ------------------------------------------------------------------ state
    def _new_train_state(self) -> TrainState:
        lowered = self.lowered
        variables = self._place_variables(lowered.layout.current())
        if self._rng is None:
            self._rng = _random.next_key()
        rng, dist = self._rng, self._dist()
        if dist is not None:  # the same key on every device (process 0's)
            key_data = _runtime.from_first_process(jax.random.key_data(rng))
            rng = jax.random.wrap_key_data(_placement.place_replicated(dist, key_data))
        ts = self._jitted("train_state")(variables, rng)
        if self._opt_state is not None:
            ts = ts._replace(opt_state=self._opt_state)
        if self._loss_scale is not None and ts.loss_scale is not None:
            ts = ts._replace(loss_scale=self._loss_scale)
        if self._step is not None:
            ts = ts._replace(step=self._step)
        return ts

    def _bind_live(self, ts: TrainState) -> None:
        self._ts = _unalias(ts)
        live = _Live(self)
        for layer in self.lowered.layout.layers:
            layer._live = live

    def _finalize_ema(self) -> None:
        """With ``use_ema``, the weights become their moving average at the end of fit."""
        opt = self.optimizer
        if self._ts is None or not getattr(opt, "use_ema", False):
            return
        from kerax.training.state import merge, split

        ts = self._ts
        trained, frozen = split(ts.params, self.lowered.layout.trainable_mask())
        averaged = opt.finalize_variable_values(trained, ts.opt_state)
        self._ts = ts._replace(params=merge(averaged, frozen))

    def _unbind_live(self) -> None:
        ts = self._ts
        if ts is None:
            return
        for layer in self.lowered.layout.layers:
            layer._live = None
        self.lowered.layout.store({"params": ts.params, "state": ts.state})
        self._opt_state = ts.opt_state
        self._loss_scale = ts.loss_scale
        self._rng, self._step = ts.rng, ts.step
        self._ts = None

    # ------------------------------------------------------------------ checkpoints
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
            self._order_seed = self._new_order_seed()
        ts = self._ts if self._ts is not None else self._new_train_state()
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
        like = self._ts if live else self._new_train_state()
        ts = restore_checkpoint(directory, like)
        self._order_seed = metadata.get("order_seed", self._order_seed)
        if live:
            self._ts = _unalias(ts)
        else:
            self.lowered.layout.store({"params": ts.params, "state": ts.state})
            self._opt_state, self._rng, self._loss_scale = ts.opt_state, ts.rng, ts.loss_scale
            self._step = ts.step
        return metadata

    def _live_opt_state(self) -> Any:
        return self._ts.opt_state if self._ts is not None else self._opt_state

    def _set_learning_rate(self, value: Any) -> None:
        for attr in ("_ts", "_opt_state"):
            holder = getattr(self, attr)
            opt_state = holder.opt_state if attr == "_ts" and holder is not None else holder
            if opt_state is None or not hasattr(opt_state, "hyperparams"):
                continue
            hyper = dict(opt_state.hyperparams)
            hyper["learning_rate"] = jnp.asarray(value, jnp.asarray(hyper["learning_rate"]).dtype)
            new = opt_state._replace(hyperparams=hyper)
            if attr == "_ts":
                self._ts = holder._replace(opt_state=new)
            else:
                self._opt_state = new

    def _loops_well(self) -> bool:
        """Whether several steps may run in one compiled loop (see ``make_epoch_runner``)."""
        if jax.default_backend() != "cpu":
            return True
        from kerax.layers._base import walk

        return all(getattr(layer, "loop_friendly", True) for layer in walk(self.layers))

    def _count_trace(self) -> None:
        self.train_step_traces += 1

    # ------------------------------------------------------------------ jitted pieces
    # ------------------------------------------------------------------ distribution
    @staticmethod
    def _dist() -> Any:
        from kerax.distribution import distribution

        return distribution()

    def _place_variables(self, variables: Any) -> Any:
        """Puts variables where the current distribution wants them (no-op without one).
        Layouts are checked here, before anything compiles. With several processes,
        process 0's values are used everywhere."""
        dist = self._dist()
        if dist is None:
            return variables
        variables = _runtime.from_first_process(variables)
        layout = self.lowered.layout
        shardings: dict[str, dict[str, dict[str, Any]]] = {"params": {}, "state": {}}
        for layer in layout.layers:
            key = layout.key(layer)
            for spec in layer._weight_specs:
                path = f"{layer.name}/{spec.name}"
                sharding = dist.variable_layout(path, spec.shape).sharding()
                shardings[spec.collection].setdefault(key, {})[spec.name] = sharding
        for collection in ("params", "state"):
            for key, weights in variables[collection].items():
                shardings[collection].setdefault(key, {})
                for name in weights:
                    shardings[collection][key].setdefault(name, dist.replicated())
        return jax.device_put(variables, shardings)

    def _resident(self, groups: Sequence[Sequence[Any]], n: int) -> _placement.Rows:
        """Places in-memory data on the device(s) once: split by rows over the batch axis
        under a distribution (with several processes, ``groups`` are this process's rows;
        see :mod:`kerax.distribution.placement`)."""
        dist = self._dist()
        if dist is None:
            placed = [_data.to_device(g) for g in groups]
            return _placement.Rows(placed, np.arange(n, dtype=np.int32), slice(0, n))
        return _placement.place_rows(dist, groups, n)

    def _order(self, index: np.ndarray, rng: np.random.Generator | None, padded: int) -> jax.Array:
        """An epoch's order over the placed rows ``index``, on the device(s)."""
        order = _steps.epoch_order(rng, len(index), padded, index=index)
        dist = self._dist()
        return jnp.asarray(order) if dist is None else _placement.place_replicated(dist, order)

    def _put_batch(self, arrays: Sequence[Any]) -> list[Any]:
        """One host batch on the device(s): split over the batch axis under a
        distribution (with several processes, ``arrays`` are this process's part)."""
        dist = self._dist()
        if dist is None:
            return _data.to_device(arrays)
        return _placement.place_batch(dist, arrays)

    def _batch_multiple(self, global_batch: bool = False) -> int:
        """What batch sizes must be a multiple of, to split over the batch axis: the
        number of shards (``global_batch``), or this process's share of them."""
        dist = self._dist()
        if dist is None:
            return 1
        return dist.num_batch_shards if global_batch else _placement.local_shards(dist)

    def _rounded(self, size: int, global_batch: bool = True) -> int:
        """``size`` rounded up to split over the batch axis (see :meth:`_batch_multiple`).
        Evaluation and prediction do not depend on how rows are grouped (padding rows
        are masked), so they round up instead of refusing."""
        m = self._batch_multiple(global_batch)
        return -(-size // m) * m

    def _resident_in_order(
        self, groups: Sequence[Sequence[Any]], n: int, batch_size: int
    ) -> tuple[_placement.Rows, int, jax.Array]:
        """Placed data, its number of batches, and its unshuffled (padded) order: what
        evaluation and prediction run over."""
        rows = self._resident(groups, n)
        steps = math.ceil(len(rows.index) / batch_size)
        return rows, steps, self._order(rows.index, None, steps * batch_size)

    def _apply_local(self, variables: Any, xs: Sequence[Any]) -> list[np.ndarray]:
        """Applies the model to one host batch; returns the outputs for its rows (with
        several processes, for this process's rows). The batch is padded to split over
        the batch axis."""
        n = _data.count_samples([(f"x['{m}']", a) for m, a in zip(self.graph.input_names, xs)])
        size = self._rounded(n, global_batch=False)
        padded = _data.pad_rows(xs, size) if size != n else list(xs)
        out, _ = self._jitted_apply(False)(variables, self._put_batch(padded))
        return [_placement.local_rows(o)[:n] for o in jax.tree_util.tree_leaves(out)]

    def _new_order_seed(self) -> int:
        seed = np.asarray(_random.next_seed(), np.uint32)
        return int(_runtime.from_first_process(seed))

    def _batch_constraint(self) -> Any:
        dist = self._dist()
        if dist is None:
            return None
        return lambda a: jax.lax.with_sharding_constraint(a, dist.batch_sharding(a.ndim))

    def _jitted(self, kind: str, *static: Any) -> Any:
        dist = self._dist()
        key = (kind, *static, id(dist) if dist is not None else None)
        if key in self._jit_cache:
            return self._jit_cache[key]
        lowered = self.lowered
        mask = lowered.layout.trainable_mask()
        if kind == "train_runner":
            batch_size, looped, *unroll = static
            step = _steps.make_train_step(
                lowered, self._tx, self._loss, self._metrics, mask, on_trace=self._count_trace
            )
            runner = _steps.make_epoch_runner(
                step,
                batch_size,
                looped=looped,
                unroll=unroll[0] if unroll else 1,
                constrain=self._batch_constraint(),
            )
            metrics = self._metrics

            def train(ts, data, order, start, count, reset):
                ts = ts._replace(metrics=_reset_where(reset, metrics.init(), ts.metrics))
                ts = runner(ts, data, order, start, count)
                return ts, metrics.results(ts.metrics)

            fn = jax.jit(train, donate_argnums=0)
        elif kind == "train_step":
            step = _steps.make_train_step(
                lowered, self._tx, self._loss, self._metrics, mask, on_trace=self._count_trace
            )
            fn = jax.jit(step, donate_argnums=0)
        elif kind == "eval_runner":
            batch_size, looped = static
            step = _steps.make_eval_step(lowered, self._loss, self._metrics)

            def one(variables, states, data, order, i):
                batch = _steps.batch_at(data, order, i, batch_size, self._batch_constraint())
                return step(variables, states, batch)

            def run(variables, states, data, order, start, count, reset):
                states = _reset_where(reset, self._metrics.init(), states)
                if not looped:
                    states = one(variables, states, data, order, start)
                else:
                    states = jax.lax.fori_loop(
                        start,
                        start + count,
                        lambda i, st: one(variables, st, data, order, i),
                        states,
                    )
                return states, self._metrics.results(states)

            fn = jax.jit(run, donate_argnums=1)
        elif kind == "train_state":
            tx, metrics = self._tx, self._metrics
            scaling = self._auto_scale_loss and _steps.needs_loss_scaling(lowered)
            fn = jax.jit(
                lambda v, rng: _steps.init_train_state(
                    v, tx, mask, metrics, rng, loss_scaling=scaling
                )
            )
        elif kind == "metrics_init":
            fn = jax.jit(
                self._metrics.init, out_shardings=None if dist is None else dist.replicated()
            )
        elif kind == "predict_runner":
            (batch_size,) = static

            def predict_rows(variables, xs, order, i):
                batch = _steps.batch_at(
                    (xs, [], []), order, i, batch_size, self._batch_constraint()
                )
                out, _ = lowered.apply(variables, batch.x, training=False)
                return jax.tree_util.tree_leaves(out)

            fn = jax.jit(predict_rows)
        elif kind == "eval_step":
            fn = jax.jit(_steps.make_eval_step(lowered, self._loss, self._metrics))
        elif kind == "predict_batch":

            def predict(variables, xs):
                out, _ = lowered.apply(variables, xs, training=False)
                return jax.tree_util.tree_leaves(out)

            fn = jax.jit(predict)
        elif kind == "results":
            fn = jax.jit(self._metrics.results)
        else:  # pragma: no cover
            raise KeyError(kind)
        self._jit_cache[key] = fn
        return fn

    def _logs(self, states: Any) -> dict[str, float]:
        return self._host_logs(self._jitted("results")(states))

    def _host_logs(self, results: Any) -> dict[str, float]:
        values = jax.device_get(results)
        return {k: float(values[k]) for k in self._metrics.names}

    def _metric_placeholder(self) -> Any:
        """Metric states of the right structure, made without compiling anything (the
        runners reset them to the metrics' initial state on their first call)."""
        shapes = jax.eval_shape(self._metrics.init)
        zeros = jax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype), shapes)
        dist = self._dist()
        if dist is None:
            return jax.device_put(zeros)
        return _placement.place_replicated(dist, zeros)

    # ------------------------------------------------------------------ fit
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
            steps_per_epoch: For iterables: batches per epoch.
            validation_steps: For iterable validation data: batches per validation.
            validation_batch_size: Batch size for validation (default ``batch_size``).
            validation_freq: Validate every this many epochs.

        Raises:
            NotCompiledError: If ``compile`` was not called.
            ValueError: On mismatched sample counts or names missing from dicts.
        """
        self._prepare(x if _data.is_in_memory(x) else None, "fit")
        verbose = 1 if verbose == "auto" else int(verbose)
        batch_size = batch_size or 32
        if self._dist() is not None:
            self._dist().check_batch_size(batch_size)
        in_memory = _data.is_in_memory(x)
        if in_memory:
            xs = _data.flatten_x(self.graph, x)
            ys = _data.flatten_y(self.graph, y)
            sws = _data.flatten_y(self.graph, sample_weight, "sample_weight")
            if class_weight is not None:
                if len(ys) != 1:
                    raise ValueError("`class_weight` is only supported for models with one output.")
                sws = [_data.class_weights_to_sample_weights(ys[0], class_weight)]
            _checks.check_targets(self.graph, self._loss.losses, ys)
            self._fit_metrics_to(ys)
            n = _data.count_samples(self._named(xs, ys, sws))
            if validation_split and validation_data is None:
                if not 0.0 < validation_split < 1.0:
                    raise ValueError(
                        f"`validation_split` must be in (0, 1), received {validation_split}."
                    )
                cut = int(n * (1.0 - validation_split))
                tail = np.arange(cut, n)
                validation_data = (
                    _data.take(xs, tail),
                    _data.take(ys, tail),
                    _data.take(sws, tail),
                )
                head = np.arange(cut)
                xs, ys, sws = _data.take(xs, head), _data.take(ys, head), _data.take(sws, head)
                n = cut
            rows = self._resident((xs, ys, sws), n)
            steps = math.ceil(len(rows.index) / batch_size)
        else:
            steps = steps_per_epoch

        history = History()
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(ProgbarLogger(verbose))
        cbs.append(history)
        cb = CallbackList(cbs, self, epochs=epochs, steps=steps, verbose=verbose)
        batch_hooks = cb.needs_batch_hooks()
        looped = self._loops_well()

        self.stop_training = False
        self._resume_epoch: int | None = None
        if self._order_seed is None:
            self._order_seed = self._new_order_seed()
        self._bind_live(self._new_train_state())
        try:
            cb.on_train_begin()
            if self._resume_epoch is not None:  # set by BackupAndRestore
                initial_epoch = max(initial_epoch, self._resume_epoch)
            if in_memory:
                data = tuple(rows.groups)
                runner = self._jitted("train_runner", batch_size, looped)
                order = None
                chunk = _Chunker(
                    steps, looped, self._steps_per_execution, verbose, per_batch=batch_hooks
                )
            for epoch in range(initial_epoch, epochs):
                cb.on_epoch_begin(epoch)
                if in_memory:
                    if order is None or shuffle:
                        # Each epoch's order depends only on the model's order seed and
                        # the epoch, so a fit resumed from a checkpoint replays it exactly.
                        rng = np.random.default_rng([self._order_seed, epoch]) if shuffle else None
                        order = self._order(rows.index, rng, steps * batch_size)
                    done, results = 0, None
                    while done < steps and not self.stop_training:
                        count = chunk.next(done)
                        if batch_hooks:
                            cb.on_train_batch_begin(done)
                        run = runner
                        if count > 1 and not looped:  # steps_per_execution, unrolled
                            run = self._jitted("train_runner", batch_size, looped, count)
                        # The runner resets the metrics on an epoch's first call and
                        # returns their results (no separate compiles for either).
                        self._ts, results = run(self._ts, data, order, done, count, done == 0)
                        done += count
                        if batch_hooks:
                            cb.on_train_batch_end(done - 1, self._host_logs(results))
                        elif verbose == 1 and chunk.report_due():
                            cb.progress(done, self._host_logs(results))
                        chunk.measured(count)
                    if results is None:  # stopped before the epoch's first step
                        self._ts = self._ts._replace(metrics=self._jitted("metrics_init")())
                        results = self._jitted("results")(self._ts.metrics)
                    logs = self._host_logs(results)
                else:
                    self._ts = self._ts._replace(metrics=self._jitted("metrics_init")())
                    self._fit_iterable(x, cb, batch_hooks, steps_per_epoch)
                    logs = self._logs(self._ts.metrics)
                if (
                    validation_data is not None
                    and (epoch + 1 - initial_epoch) % validation_freq == 0
                ):
                    val = self._evaluate_for_fit(
                        validation_data, validation_batch_size or batch_size, validation_steps
                    )
                    logs.update({f"val_{k_}": v for k_, v in val.items()})
                cb.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            if epochs > initial_epoch:
                self._finalize_ema()
            cb.on_train_end(logs if epochs > initial_epoch else None)
        finally:
            self._unbind_live()
        return history

    def _fit_iterable(
        self, data: Any, cb: CallbackList, batch_hooks: bool, steps_per_epoch: int | None
    ) -> None:
        step = self._jitted("train_step")
        iterator = self.__dict__.get("_fit_iterator")
        if iterator is None or iterator[0] is not data:
            iterator = (data, iter(_data.iterate_batches(data)))
        it = iterator[1]
        size = None
        i = 0
        while steps_per_epoch is None or i < steps_per_epoch:
            try:
                bx, by, bsw = next(it)
            except StopIteration:
                if steps_per_epoch is None:
                    # A re-iterable (a list of batches) starts over next epoch.
                    iterator = (data, iter(_data.iterate_batches(data)))
                    break
                raise ValueError(
                    f"The data ran out after {i} batches, but `steps_per_epoch` is "
                    f"{steps_per_epoch}."
                ) from None
            batch, size = self._make_batch(bx, by, bsw, size)
            if batch_hooks:
                cb.on_train_batch_begin(i)
            self._ts = step(self._ts, batch)
            if batch_hooks:
                cb.on_train_batch_end(i, self._logs(self._ts.metrics))
            i += 1
            if self.stop_training:
                break
        self.__dict__["_fit_iterator"] = iterator

    def _make_batch(self, x: Any, y: Any, sw: Any, size: int | None) -> tuple[_steps.Batch, int]:
        xs = _data.flatten_x(self.graph, x)
        ys = _data.flatten_y(self.graph, y)
        sws = _data.flatten_y(self.graph, sw, "sample_weight")
        n = _data.count_samples(self._named(xs, ys, sws))
        _checks.check_targets(self.graph, self._loss.losses, ys)
        size = size or self._rounded(n, global_batch=False)
        if n > size:
            raise ValueError(f"A batch of {n} examples follows batches of {size}.")
        valid = np.zeros(size, np.float32)
        valid[:n] = 1.0
        pad = lambda arrs: self._put_batch(_data.pad_rows(arrs, size))  # noqa: E731
        return _steps.Batch(pad(xs), pad(ys), pad(sws), self._put_batch([valid])[0]), size

    def _named(
        self, xs: Sequence[Any], ys: Sequence[Any], sws: Sequence[Any]
    ) -> list[tuple[str, Any]]:
        return (
            [(f"x['{n}']", a) for n, a in zip(self.graph.input_names, xs)]
            + [(f"y['{n}']", a) for n, a in zip(self.output_names, ys)]
            + [(f"sample_weight['{n}']", a) for n, a in zip(self.output_names, sws)]
        )

    # ------------------------------------------------------------------ evaluate
    def _evaluate_arrays(
        self, xs: Sequence[Any], ys: Sequence[Any], sws: Sequence[Any], batch_size: int
    ) -> dict[str, float]:
        batch_size = self._rounded(batch_size)
        n = _data.count_samples(self._named(xs, ys, sws))
        rows, steps, order = self._resident_in_order((xs, ys, sws), n, batch_size)
        looped = self._loops_well()
        run = self._jitted("eval_runner", batch_size, looped)
        data = tuple(rows.groups)
        variables = self._place_variables(self.get_variables())
        states = self._metric_placeholder()
        if looped:
            states, results = run(variables, states, data, order, 0, steps, True)
        else:
            for i in range(steps):
                states, results = run(variables, states, data, order, i, 1, i == 0)
        return self._host_logs(results)

    def _evaluate_for_fit(
        self, validation_data: Any, batch_size: int, steps: int | None
    ) -> dict[str, float]:
        if (
            isinstance(validation_data, tuple | list)
            and len(validation_data) in (2, 3)
            and (_data.is_in_memory(validation_data[0]))
        ):
            vx, vy = validation_data[0], validation_data[1]
            vsw = validation_data[2] if len(validation_data) == 3 else None
            if (
                isinstance(vx, list)
                and len(vx) == len(self.graph.inputs)
                and all(a is None or isinstance(a, np.ndarray | jax.Array) for a in vx)
                and isinstance(vy, list)
                and vsw is not None
                and isinstance(vsw, list)
            ):
                xs, ys, sws = vx, vy, vsw  # already flattened (validation_split)
            else:
                xs = _data.flatten_x(self.graph, vx)
                ys = _data.flatten_y(self.graph, vy)
                sws = _data.flatten_y(self.graph, vsw, "sample_weight")
            return self._evaluate_arrays(xs, ys, sws, batch_size)
        return self._evaluate_iterable(validation_data, steps)

    def _evaluate_iterable(self, data: Any, steps: int | None) -> dict[str, float]:
        step = self._jitted("eval_step")
        variables = self._place_variables(self.get_variables())
        states = self._jitted("metrics_init")()
        size = None
        for i, (bx, by, bsw) in enumerate(_data.iterate_batches(data)):
            if steps is not None and i >= steps:
                break
            batch, size = self._make_batch(bx, by, bsw, size)
            states = step(variables, states, batch)
        return self._logs(states)

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

        Returns:
            The loss alone when there is nothing else to report, else a list in
            ``metrics_names`` order; a dict with ``return_dict=True``.
        """
        self._prepare(x if _data.is_in_memory(x) else None, "evaluate")
        cb = CallbackList(callbacks, self, steps=steps, verbose=verbose)
        cb.on_test_begin()
        if _data.is_in_memory(x):
            xs = _data.flatten_x(self.graph, x)
            ys = _data.flatten_y(self.graph, y)
            sws = _data.flatten_y(self.graph, sample_weight, "sample_weight")
            _checks.check_targets(self.graph, self._loss.losses, ys)
            self._fit_metrics_to(ys)
            logs = self._evaluate_arrays(xs, ys, sws, batch_size or 32)
        else:
            logs = self._evaluate_iterable(x, steps)
        cb.on_test_end(logs)
        if verbose not in (0, "0"):
            from kerax.training.progbar import format_logs

            print(format_logs(logs), flush=True)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ predict
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
        once.
        """
        batch_size = batch_size or 32
        self._ensure_graph(x if _data.is_in_memory(x) else None)
        cb = CallbackList(callbacks, self, steps=steps, verbose=verbose)
        cb.on_predict_begin()
        variables = self._place_variables(self.get_variables())
        if _data.is_in_memory(x) and self._dist() is not None:
            xs = _data.flatten_x(self.graph, x)
            n = _data.count_samples([(f"x['{m}']", a) for m, a in zip(self.graph.input_names, xs)])
            flat = self._predict_resident(variables, xs, n, batch_size)
        elif _data.is_in_memory(x):
            xs = _data.flatten_x(self.graph, x)
            n = _data.count_samples([(f"x['{m}']", a) for m, a in zip(self.graph.input_names, xs)])
            run = self._jitted("predict_batch")
            chunks = []
            for start in range(0, n, batch_size):
                # Fixed-size batches (the last one padded): one compile for any n.
                batch = _data.pad_rows([a[start : start + batch_size] for a in xs], batch_size)
                chunks.append(run(variables, batch))
            flat = [
                np.concatenate([np.asarray(c[j]) for c in chunks])[:n]
                for j in range(len(self.graph.outputs))
            ]
        else:
            pieces: list[list[np.ndarray]] = []
            for i, (bx, _, _) in enumerate(_data.iterate_batches(x)):
                if steps is not None and i >= steps:
                    break
                pieces.append(self._apply_local(variables, _data.flatten_x(self.graph, bx)))
            flat = [np.concatenate([p[j] for p in pieces]) for j in range(len(self.graph.outputs))]
        cb.on_predict_end()
        return self.graph.unflatten_outputs(flat)

    def _predict_resident(
        self, variables: Any, xs: Sequence[Any], n: int, batch_size: int
    ) -> list[np.ndarray]:
        """``predict`` under a distribution: the inputs placed once, split by rows, and
        each batch gathered on the device(s); this process gets its own rows back."""
        batch_size = self._rounded(batch_size)
        rows, steps, order = self._resident_in_order((xs,), n, batch_size)
        run = self._jitted("predict_runner", batch_size)
        outs = [run(variables, rows.groups[0], order, i) for i in range(steps)]
        return [
            np.concatenate([_runtime.to_host(o[j]) for o in outs])[rows.local]
            for j in range(len(self.graph.outputs))
        ]

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
        self._prepare(x, "train_on_batch")
        if class_weight is not None:
            sample_weight = _data.class_weights_to_sample_weights(
                _data.flatten_y(self.graph, y)[0], class_weight
            )
        self._fit_metrics_to(_data.flatten_y(self.graph, y))
        batch, _ = self._make_batch(x, y, sample_weight, None)
        self._bind_live(self._new_train_state())
        try:
            self._ts = self._jitted("train_step")(self._ts, batch)
            logs = self._logs(self._ts.metrics)
        finally:
            self._unbind_live()
        return logs if return_dict else _single_or_list(logs)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """The loss and metrics on one batch, without training."""
        self._prepare(x, "test_on_batch")
        self._fit_metrics_to(_data.flatten_y(self.graph, y))
        batch, _ = self._make_batch(x, y, sample_weight, None)
        variables = self._place_variables(self.get_variables())
        states = self._jitted("eval_step")(variables, self._jitted("metrics_init")(), batch)
        logs = self._logs(states)
        return logs if return_dict else _single_or_list(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as NumPy arrays."""
        variables = self._place_variables(self.get_variables())
        flat = self._apply_local(variables, _data.flatten_x(self.graph, x))
        return self.graph.unflatten_outputs(flat)


class _Chunker:
    """How many steps each compiled call of ``fit`` runs.

    Without per-batch callbacks, progress bar or ``steps_per_execution``, a whole epoch
    runs in one call. Callbacks with batch hooks get one step per call (and the logs of
    each). With ``steps_per_execution=k``, calls run ``k`` steps. With a live
    progress bar, calls are sized to take about ``_PROGRESS_INTERVAL`` seconds each (one
    device sync per refresh), from the measured time per step. The runner takes the
    count as a traced argument, so none of this recompiles.
    """

    def __init__(
        self,
        steps: int,
        looped: bool,
        steps_per_execution: int,
        verbose: int,
        *,
        per_batch: bool = False,
    ) -> None:
        self.steps, self.looped = steps, looped and not per_batch
        self.fixed = steps_per_execution if steps_per_execution > 1 else None
        # Without a loop, ``steps_per_execution`` steps are unrolled into one call.
        self.unrolled = self.fixed if not looped and not per_batch else None
        self.adaptive = verbose == 1 and self.fixed is None
        self.size = 1 if self.adaptive else (self.fixed or steps)
        self._started = time.perf_counter()
        self._last_report = self._started
        self._calls = 0

    def next(self, done: int) -> int:
        if not self.looped:
            return self.unrolled if self.unrolled and self.steps - done >= self.unrolled else 1
        return max(1, min(self.size, self.steps - done))

    def report_due(self) -> bool:
        """Adaptive calls report each time (they last about an interval); fixed-size
        calls report when an interval has passed."""
        now = time.perf_counter()
        if self.adaptive or now - self._last_report >= _PROGRESS_INTERVAL:
            self._last_report = now
            return True
        return False

    def measured(self, count: int) -> None:
        now = time.perf_counter()
        elapsed, self._started = now - self._started, now
        self._calls += 1
        if self.adaptive and self.looped and self._calls > 1 and elapsed > 0:
            per_step = elapsed / count
            self.size = max(1, int(_PROGRESS_INTERVAL / per_step))


def _unalias(tree: Any) -> Any:
    """Copies arrays that appear twice in ``tree``, so that donating it is legal."""
    seen: set[int] = set()

    def once(x: Any) -> Any:
        if isinstance(x, jax.Array):
            if id(x) in seen:
                return jnp.copy(x)
            seen.add(id(x))
        return x

    return jax.tree_util.tree_map(once, tree)


def _reset_where(reset: Any, initial: Any, states: Any) -> Any:
    """``initial`` where ``reset`` (a traced bool), else ``states``, leaf by leaf."""
    return jax.tree_util.tree_map(lambda i, s: jnp.where(reset, i, s), initial, states)


def _single_or_list(logs: dict[str, float]) -> Any:
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
