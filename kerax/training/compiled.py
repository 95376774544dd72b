"""``compile`` and what it configures: the resolved losses and metrics, the compiled
programs, and Keras's accessors of them (``metrics``, ``get_compile_config``, ...).

:class:`Compiled` is the first half of the training facade (:class:`Trainer` is the
second): it owns the compile arguments as given, their resolution against the model's
outputs (:mod:`kerax.training.resolve`) and the :class:`Programs` built from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import optax

from kerax import optimizers as _optimizers
from kerax.errors import NotCompiledError
from kerax.graph import step_context as _step_context
from kerax.training import hooks as _hooks
from kerax.training import resolve as _resolve
from kerax.training.compile_utils import CompiledLoss, CompiledMetrics, check_names
from kerax.training.programs import Programs


class Compiled:
    """Mixin: ``compile`` and the state it configures (see :class:`kerax.Model`)."""

    def __init__(self) -> None:
        self.optimizer: Any = None
        self.compiled = False
        self._compile_args: _resolve.CompileArgs = (None, None, None, None)
        self._loss: CompiledLoss | None = None
        self._metrics: CompiledMetrics | None = None
        self._metric_shapes: tuple[Any, ...] | None = None
        self._metric_results: dict[str, float] | None = None
        self._tx: optax.GradientTransformation | None = None
        self._auto_scale_loss = True
        self._compiled_programs: Programs | None = None
        self._steps_per_execution = 1
        #: Always True: kerax compiles every step (Keras's attribute, for reading).
        self.jit_compile = True
        #: Always False: kerax has no eager mode (Keras's attribute, for reading).
        self.run_eagerly = False
        #: How many times the train step was traced (a retrace is a recompile).
        self.train_step_traces = 0

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
        if getattr(self, "_graph", None) is not None:
            resolved = _resolve.resolve(self.graph, args)
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
        self._metric_shapes = None
        self._tx = tx
        self.optimizer = opt
        self._steps_per_execution = steps_per_execution
        self._opt_state = None
        self.__dict__.pop("_opt_state_mask", None)
        self._loss_scale = None  # a new compile starts a new scale, as a new optimizer
        self._auto_scale_loss = bool(auto_scale_loss)
        self.compiled = True

    @property
    def metrics_names(self) -> list[str]:
        """Names of the logged values: ``"loss"``, per-output losses, then metrics."""
        return self._metrics.names if self._metrics is not None else []

    @property
    def metrics(self) -> list[Any]:
        """The metric objects: the compile's, loss trackers first (once the model is
        compiled and built), then the metrics the model holds as attributes (a
        tracker ``self.loss_tracker = Mean(...)``), as Keras lists them."""
        compiled = [entry[2] for entry in self._metrics.entries] if self._metrics else []
        return compiled + [m for m in self._attribute_metrics() if m not in compiled]

    def get_metrics_result(self) -> dict[str, float]:
        """The latest logged values: the last epoch's training logs after ``fit``,
        the results of the last ``evaluate`` or ``*_on_batch`` call."""
        if _step_context.current() is not None:
            return self._traced_metrics_result()
        if self._metric_results is None:
            return self._reset_results()
        return dict(self._metric_results)

    def _traced_metrics_result(self) -> dict[str, Any]:
        """Inside a step kerax traces (a ``compute_metrics`` override calling it): the
        results of the metric objects, whose state is the step's."""
        from kerax.layers._overrides import user_defines

        if user_defines(type(self), "metrics") or self._metrics is None:
            named = [(m.name, m) for m in self.metrics]
        else:
            named = [(name, metric) for name, _, metric, _ in self._metrics.entries]
        logs: dict[str, Any] = {}
        for name, metric in named:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[name] = result
        return logs

    def reset_metrics(self) -> None:
        """Resets the values :meth:`get_metrics_result` reports (every ``fit`` epoch and
        every ``evaluate`` starts from fresh metric states anyway)."""
        self._metric_results = None
        if self._metrics is not None:
            for entry in self._metrics.entries:
                entry[2].reset_state()

    def _adopt_metric_states(self, states: dict[str, Any] | None) -> None:
        """Makes the compiled metrics' last states the metric objects' own, so
        ``model.metrics[i].result()`` and ``.variables`` read what the last ``fit`` epoch
        or ``evaluate`` accumulated, as in Keras (device arrays; nothing syncs)."""
        if self._metrics is None or states is None:
            return
        for name, _, metric, _ in self._metrics.entries:
            if name in states:
                metric._state = states[name]

    def _reset_results(self) -> dict[str, float]:
        if self._metrics is None:
            return {}
        values = jax.device_get(self._metrics.results(self._metrics.init()))
        return {k: float(values[k]) for k in self._metrics.names}

    def get_compile_config(self) -> dict[str, Any] | None:
        """The compile arguments as a JSON-able dict (names and configs, not objects),
        or None before ``compile``; :meth:`compile_from_config` takes it back."""
        return self._compile_config() if self.compiled else None

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compiles with a config from :meth:`get_compile_config`."""
        self.compile(**{k: v for k, v in config.items() if v is not None})

    def _compile_config(self) -> dict[str, Any]:
        return _resolve.compile_config(self._compile_args, self.optimizer)

    def _resolve_compile(self) -> None:
        """Resolves losses and metrics against the outputs (deferred until built)."""
        self._loss, self._metrics = _resolve.resolve(self.graph, self._compile_args)
        self._metric_shapes = None

    def _fit_metrics_to(self, ys: Sequence[Any]) -> None:
        """Re-resolves ``"accuracy"`` once the targets' shapes are known, as Keras does;
        only a different choice replaces the metrics (and so the programs)."""
        shapes = _resolve.label_shapes(ys)
        if shapes != self._metric_shapes:
            refined = _resolve.refined_metrics(
                self.graph, self._compile_args, self._metrics, shapes
            )
            if refined is not None:
                self._metrics = refined
            self._metric_shapes = shapes

    def _programs(self) -> Programs:
        """The compiled programs of the current compile (rebuilt when the graph, the
        optimizer, the losses or the metrics change)."""
        lowered, programs = self.lowered, self._compiled_programs
        if programs is None or not programs.matches(
            lowered, self._tx, self._loss, self._metrics, self._auto_scale_loss
        ):
            programs = self._compiled_programs = Programs(
                lowered,
                self._tx,
                self._loss,
                self._metrics,
                auto_scale_loss=self._auto_scale_loss,
                on_trace=self._count_trace,
            )
        return programs

    def _count_trace(self) -> None:
        self.train_step_traces += 1

    def _ensure_graph(self, x: Any) -> None:
        """Hook for models whose graph is built from the first data (Sequential)."""

    def _prepare(self, x: Any, what: str, need_loss: bool = True) -> None:
        _hooks.check(self, what)
        self._ensure_graph(x)
        self._require_compiled(what, need_loss)
        if self._metrics is None:
            self._resolve_compile()

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

    def _loops_well(self) -> bool:
        """Whether several steps may run in one compiled loop (see ``make_epoch_runner``)."""
        if jax.default_backend() != "cpu":
            return True
        from kerax.layers._base import walk

        return all(getattr(layer, "loop_friendly", True) for layer in walk(self.layers))
