"""Keras 3's JAX trainer hooks on kerax models: ``train_step``, ``test_step``,
``predict_step`` and ``compute_loss``, with Keras's signatures.

A Keras 3 model on JAX may override its steps::

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        ...
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

The lists hold values in the orders of ``model.trainable_variables``,
``model.non_trainable_variables``, ``model.optimizer.variables`` and the variables of
``model.metrics`` (metric by metric). kerax traces such a step once, jits it
(the state is not donated, so a failing step leaves the last state) and runs it in
``fit`` (:mod:`kerax.training.keras_loop`); nothing in it runs eagerly per step.

The defaults here are Keras's default steps written with kerax's pure pieces. They
run only when a model overrides one of the hooks they call (``compute_loss``): a model
that overrides nothing trains with kerax's own compiled step, which computes the same
thing faster (on device-resident data, many steps per call).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.graph import step_context as _step_context


def unpack_data(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` of a batch as Keras hands it to a step: ``x``,
    ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements."
    )


def pack_data(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch a step receives, packed as Keras packs it."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


class KerasSteps:
    """Mixin of :class:`kerax.Model`: Keras's overridable step methods."""

    # ------------------------------------------------------------------ losses
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> jax.Array:
        """The total loss of a batch: the compiled losses plus the model's added losses.

        Inside a step kerax traces, "added losses" are the ones the last
        ``stateless_call`` collected (``add_loss``, activity regularizers); weight
        penalties are added too, as Keras includes them in ``model.losses``.

        Args:
            x: The inputs (unused by the default; overrides may use them).
            y: The targets, structured like the outputs.
            y_pred: The outputs.
            sample_weight: Per-example weights, structured like the outputs.
            training: Whether the loss is for a training step.
        """
        total = jnp.zeros((), jnp.float32)
        if self._loss is not None and y is not None:
            ys, preds, sws = self._flat_targets(y, y_pred, sample_weight)
            valid = jnp.ones((jax.tree_util.tree_leaves(preds)[0].shape[0],), jnp.float32)
            value, _ = self._loss(ys, preds, sws, valid)
            total = total + value
        step = _step_context.current()
        added = list(step.losses) if step is not None else []
        if self._loss is None and not added:
            raise ValueError(
                f"Model '{self.name}' was compiled without a `loss` and its layers add none "
                "(`add_loss`), so there is nothing to train on. Pass `loss=` to `compile()`."
            )
        for loss in added:
            total = total + jnp.sum(loss)
        if step is not None:
            total = total + self._weight_penalties(step)
        return total

    def _weight_penalties(self, step: Any) -> jax.Array:
        values = getattr(step, "variables", None)
        if values is None:
            return jnp.zeros((), jnp.float32)
        total = jnp.zeros((), jnp.float32)
        for penalty in self.lowered.layout.regularization(values["params"]):
            total = total + jnp.sum(penalty)
        return total

    def _flat_targets(self, y: Any, y_pred: Any, sample_weight: Any) -> tuple[list, list, list]:
        """Targets, outputs and weights as lists in the graph's output order."""
        names = self.graph.output_names

        def flat(value: Any, what: str) -> list[Any]:
            if value is None:
                return [None] * len(names)
            if isinstance(value, Mapping):
                return [value.get(n) for n in names]
            if isinstance(value, list | tuple) and len(names) > 1:
                if len(value) != len(names):
                    raise ValueError(
                        f"Model '{self.name}' has {len(names)} outputs {names}, but "
                        f"{what} has {len(value)} entries."
                    )
                return list(value)
            return [value]

        preds = jax.tree_util.tree_leaves(y_pred)
        return flat(y, "y"), preds, flat(sample_weight, "sample_weight")

    # ------------------------------------------------------------------ steps
    def train_step(self, state: Sequence[Any], data: Any) -> tuple[dict[str, Any], tuple]:
        """Keras's default JAX train step: one optimizer step on ``data``.

        Args:
            state: ``(trainable_variables, non_trainable_variables,
                optimizer_variables, metrics_variables)``, lists of values.
            data: The batch: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns:
            ``(logs, state)``: the metric results and the new state.
        """
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x, y, sample_weight = unpack_data(data)

        def loss_fn(values: list[Any]) -> tuple[jax.Array, tuple[Any, Any]]:
            y_pred, new_non_trainable = self.stateless_call(values, non_trainable, x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            return loss, (y_pred, new_non_trainable)

        (loss, (y_pred, non_trainable)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            list(trainable)
        )
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        logs, metrics_vars = self._stateless_metrics(metrics_vars, loss, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, optimizer_vars, metrics_vars)

    def test_step(self, state: Sequence[Any], data: Any) -> tuple[dict[str, Any], tuple]:
        """Keras's default JAX test step: the loss and metrics of ``data``.

        Args:
            state: ``(trainable_variables, non_trainable_variables, metrics_variables)``.
            data: The batch.

        Returns:
            ``(logs, state)``.
        """
        trainable, non_trainable, metrics_vars = state
        x, y, sample_weight = unpack_data(data)
        y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        logs, metrics_vars = self._stateless_metrics(metrics_vars, loss, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, metrics_vars)

    def predict_step(self, state: Sequence[Any], data: Any) -> tuple[Any, list[Any]]:
        """Keras's default JAX predict step: ``(outputs, non_trainable_variables)``."""
        trainable, non_trainable = state
        x, _, _ = unpack_data(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)

    def _stateless_metrics(
        self, metrics_vars: Sequence[Any], loss: Any, y: Any, y_pred: Any, sample_weight: Any
    ) -> tuple[dict[str, Any], list[Any]]:
        """Updates the metrics on explicit values, as Keras's default step does;
        returns the logs and the new values (in :func:`metric_values` order)."""
        from kerax.layers._overrides import user_defines

        if user_defines(type(self), "metrics") or self._metrics is None:
            return _keras_metrics_update(self.metrics, metrics_vars, loss, y, y_pred, sample_weight)
        compiled = self._metrics
        states = _compiled_states(compiled, metrics_vars)
        ys, preds, sws = self._flat_targets(y, y_pred, sample_weight)
        valid = jnp.ones((preds[0].shape[0],), jnp.float32)
        parts: dict[str, Any] = {}
        if self._loss is not None and y is not None and len(compiled.entries) > 1:
            _, parts = self._loss(ys, preds, sws, valid)
        states = compiled.update(states, ys, preds, sws, valid, loss, parts)
        return compiled.results(states), _compiled_values(compiled, states)


def metric_values(model: Any) -> list[Any]:
    """The current values of the model's metric variables, in the order a step's
    ``metrics_variables`` holds them: metric by metric, each in ``variables`` order."""
    from kerax.layers._overrides import user_defines

    if user_defines(type(model), "metrics") or model._metrics is None:
        return [v.value for m in model.metrics for v in m.variables]
    return _compiled_values(model._metrics, model._metrics.init())


def metric_initial_values(model: Any) -> list[Any]:
    """Fresh values in :func:`metric_values` order (what a metrics reset gives)."""
    from kerax.layers._overrides import user_defines

    if user_defines(type(model), "metrics") or model._metrics is None:
        return [v for m in model.metrics for v in m.stateless_reset_state()]
    return _compiled_values(model._metrics, model._metrics.init())


def _compiled_values(compiled: Any, states: dict[str, Any]) -> list[Any]:
    from kerax.metrics._variables import leaves

    out: list[Any] = []
    for name, _, metric, _ in compiled.entries:
        out.extend(leaves(states[name], like=metric.init()))
    return out


def _compiled_states(compiled: Any, values: Sequence[Any]) -> dict[str, Any]:
    from kerax.metrics._variables import leaves, rebuild

    states: dict[str, Any] = {}
    start = 0
    for name, _, metric, _ in compiled.entries:
        template = metric.init()
        n = len(leaves(template))
        states[name] = rebuild(template, list(values[start : start + n]))
        start += n
    return states


def _keras_metrics_update(
    metrics: Sequence[Any],
    metrics_vars: Sequence[Any],
    loss: Any,
    y: Any,
    y_pred: Any,
    sample_weight: Any,
) -> tuple[dict[str, Any], list[Any]]:
    """Keras's rule over a list of metric objects: a metric named ``loss`` takes the
    loss, the others ``(y, y_pred)``."""
    new: list[Any] = []
    logs: dict[str, Any] = {}
    start = 0
    for metric in metrics:
        n = len(metric.stateless_reset_state())
        values = list(metrics_vars[start : start + n])
        start += n
        if metric.name == "loss":
            values = metric.stateless_update_state(values, loss)
        elif y is not None:
            values = metric.stateless_update_state(values, y, y_pred, sample_weight=sample_weight)
        logs[metric.name] = metric.stateless_result(values)
        new.extend(values)
    return logs, new
