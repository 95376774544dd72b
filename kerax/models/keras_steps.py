"""Keras 3's JAX trainer hooks on kerax models, with Keras's signatures:
``train_step``, ``test_step``, ``predict_step``, ``compute_loss_and_updates``,
``stateless_compute_loss``, ``compute_loss`` and ``compute_metrics``.

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

The defaults here are Keras's default steps written with kerax's pure pieces, calling
one another as Keras's do (``train_step`` differentiates ``compute_loss_and_updates``,
which calls ``stateless_call`` and ``stateless_compute_loss``, which calls
``compute_loss``; the metrics go through ``compute_metrics``), so an override of any
one of them is used. They run only when a model overrides one of these hooks: a model
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

    #: Set by ``make_*_function`` (None until then), as in Keras.
    train_function: Any = None
    test_function: Any = None
    predict_function: Any = None

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

    def stateless_compute_loss(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        metrics_variables: Sequence[Any],
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> tuple[jax.Array, tuple[Any, Any, Any]]:
        """:meth:`compute_loss` on explicit values, as Keras's JAX trainer calls it.

        kerax's ``compute_loss`` reads nothing from the variables but the losses the
        step's last ``stateless_call`` collected, so the values pass through.

        Returns:
            ``(loss, (trainable_variables, non_trainable_variables,
            metrics_variables))``.
        """
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return loss, (trainable_variables, non_trainable_variables, metrics_variables)

    def compute_loss_and_updates(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        metrics_variables: Sequence[Any],
        x: Any,
        y: Any,
        sample_weight: Any,
        training: bool = False,
        optimizer_variables: Any = None,
    ) -> tuple[jax.Array, tuple[Any, Any, Any, Any]]:
        """The forward pass and the loss, the function the default train step
        differentiates (Keras 3's JAX trainer's).

        Returns:
            ``(loss, (unscaled_loss, y_pred, non_trainable_variables,
            metrics_variables))``; ``loss`` is scaled by the optimizer's loss scale in
            training.
        """
        y_pred, non_trainable = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training
        )
        loss, (_, non_trainable, metrics_variables) = self.stateless_compute_loss(
            trainable_variables,
            non_trainable,
            metrics_variables,
            x=x,
            y=y,
            y_pred=y_pred,
            sample_weight=sample_weight,
            training=training,
        )
        unscaled = loss
        if training and self.optimizer is not None and hasattr(self.optimizer, "scale_loss"):
            loss = self.optimizer.scale_loss(loss)
        return loss, (unscaled, y_pred, non_trainable, metrics_variables)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Updates the compiled metrics with a batch and returns every metric's result
        (Keras's default; a step calls it with the loss tracker already updated).

        Inside a step kerax traces, the metrics' state is the step's
        ``metrics_variables``, so an override may call ``update_state`` and
        ``result`` on ``self.metrics`` as in Keras.
        """
        if self._metrics is not None and y is not None:
            compiled = self._metrics
            states = {name: metric._own_state() for name, _, metric, _ in compiled.entries}
            loss = jnp.zeros((), jnp.float32)
            new = self._compiled_update(states, loss, y, y_pred, sample_weight)
            for name, _, metric, _ in compiled.entries:
                if name != "loss":  # the step updated the loss tracker already
                    metric._state = new[name]
        return self.get_metrics_result()

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
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (_, aux), grads = grad_fn(
            list(trainable),
            non_trainable,
            metrics_vars,
            x,
            y,
            sample_weight,
            training=True,
            optimizer_variables=optimizer_vars,
        )
        loss, y_pred, non_trainable, metrics_vars = aux
        if hasattr(self.optimizer, "unscale_gradients"):
            grads = self.optimizer.unscale_gradients(grads)
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        logs, metrics_vars = self._update_metrics_variables(
            metrics_vars, loss, x, y, y_pred, sample_weight
        )
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
        loss, aux = self.compute_loss_and_updates(
            trainable, non_trainable, metrics_vars, x, y, sample_weight, training=False
        )
        _, y_pred, non_trainable, metrics_vars = aux
        logs, metrics_vars = self._update_metrics_variables(
            metrics_vars, loss, x, y, y_pred, sample_weight
        )
        return logs, (trainable, non_trainable, metrics_vars)

    def predict_step(self, state: Sequence[Any], data: Any) -> tuple[Any, list[Any]]:
        """Keras's default JAX predict step: ``(outputs, non_trainable_variables)``."""
        trainable, non_trainable = state
        x, _, _ = unpack_data(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)

    # ------------------------------------------------------------------ functions
    def make_train_function(self, force: bool = False) -> None:
        """Sets ``self.train_function``, as Keras 3's JAX trainer does: ``train_step``
        jitted, called as ``train_function(state, iterator) -> (logs, state)`` on the
        next batch of ``iterator`` (``steps_per_execution`` batches when compiled with
        more than one). For custom loops; ``fit`` runs its own compiled programs, and a
        model that overrides this method is refused by name rather than silently not
        calling it."""
        self._make_function("train", force)

    def make_test_function(self, force: bool = False) -> None:
        """Sets ``self.test_function``: ``test_step`` jitted (see
        :meth:`make_train_function`)."""
        self._make_function("test", force)

    def make_predict_function(self, force: bool = False) -> None:
        """Sets ``self.predict_function``: ``predict_step`` jitted (see
        :meth:`make_train_function`)."""
        self._make_function("predict", force)

    def _make_function(self, kind: str, force: bool) -> None:
        attr = f"{kind}_function"
        if not force and self.__dict__.get(attr) is not None:
            return
        from kerax import random as _random
        from kerax.training import keras_loop

        program = keras_loop._program(self, kind)
        key = _random.next_key()
        calls = iter(range(2**31 - 1))
        per_call = getattr(self, "_steps_per_execution", 1) if kind != "predict" else 1

        def function(state: Sequence[Any], iterator: Any) -> Any:
            # Each step draws from its own key, as successive steps of ``fit`` do.
            out, state = program.host(state, next(iterator), key, next(calls))
            for _ in range(per_call - 1):
                try:
                    data = next(iterator)
                except StopIteration:
                    break
                out, state = program.host(state, data, key, next(calls))
            return out, state

        self.__dict__[attr] = function

    def _update_metrics_variables(
        self,
        metrics_vars: Sequence[Any],
        loss: Any,
        x: Any,
        y: Any,
        y_pred: Any,
        sample_weight: Any,
    ) -> tuple[dict[str, Any], list[Any]]:
        """Updates the metrics on explicit values, as Keras's default steps do; returns
        the logs and the new values (in :func:`metric_values` order)."""
        from kerax.layers._overrides import user_defines

        if user_defines(type(self), "compute_metrics"):
            return self._run_compute_metrics(metrics_vars, loss, x, y, y_pred, sample_weight)
        if user_defines(type(self), "metrics") or self._metrics is None:
            return _keras_metrics_update(self.metrics, metrics_vars, loss, y, y_pred, sample_weight)
        compiled = self._metrics
        states = _compiled_states(compiled, metrics_vars)
        states = self._compiled_update(states, loss, y, y_pred, sample_weight)
        values = _compiled_values(compiled, states)
        logs = dict(compiled.results(states))
        # Metrics held as attributes are listed and logged, as in Keras; only a step
        # of the user's updates them.
        rest = list(metrics_vars[len(values) :])
        start = 0
        for metric in self.metrics[len(compiled.entries) :]:
            n = len(metric.stateless_reset_state())
            logs[metric.name] = metric.stateless_result(rest[start : start + n])
            start += n
        return logs, values + rest

    def _compiled_update(
        self, states: dict[str, Any], loss: Any, y: Any, y_pred: Any, sample_weight: Any
    ) -> dict[str, Any]:
        """The compiled metrics' states after one exact batch (every row counts)."""
        compiled = self._metrics
        ys, preds, sws = self._flat_targets(y, y_pred, sample_weight)
        valid = jnp.ones((preds[0].shape[0],), jnp.float32)
        parts: dict[str, Any] = {}
        if self._loss is not None and y is not None and len(compiled.entries) > 1:
            _, parts = self._loss(ys, preds, sws, valid)
        return compiled.update(states, ys, preds, sws, valid, loss, parts)

    def _run_compute_metrics(
        self,
        metrics_vars: Sequence[Any],
        loss: Any,
        x: Any,
        y: Any,
        y_pred: Any,
        sample_weight: Any,
    ) -> tuple[dict[str, Any], list[Any]]:
        """A user's ``compute_metrics`` run on the step's metric values: the metric
        objects read and update those values (as Keras's stateless scope does), the
        loss tracker first takes the batch's loss weighted by its size."""
        from kerax.metrics._variables import bound_states

        metrics = list(self.metrics)
        with bound_states(metrics, metrics_vars) as read:
            tracker = next((m for m in metrics if m.name == "loss"), None)
            if tracker is not None and self._metrics is not None:
                rows = jax.tree_util.tree_leaves(x)[0].shape[0]
                tracker.update_state(loss, sample_weight=rows)
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
            return dict(logs), read()


def metric_values(model: Any) -> list[Any]:
    """The current values of the model's metric variables, in the order a step's
    ``metrics_variables`` holds them: metric by metric (``model.metrics``), each in
    ``variables`` order."""
    return [v for m in model.metrics for v in m._leaves(m._own_state())]


def metric_initial_values(model: Any) -> list[Any]:
    """Fresh values in :func:`metric_values` order (what a metrics reset gives)."""
    return [v for m in model.metrics for v in m.stateless_reset_state()]


def set_metric_values(model: Any, values: Sequence[Any]) -> None:
    """Makes ``values`` (in :func:`metric_values` order) the metrics' own states."""
    from kerax.metrics._variables import rebuild

    start = 0
    for metric in model.metrics:
        n = len(metric.stateless_reset_state())
        metric._state = rebuild(metric._template(), list(values[start : start + n]))
        start += n


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
