"""What ``compile`` resolves: per-output losses with weights, and per-output metrics.

Both are resolved once, against the model's output names and specs, into flat lists
aligned with the model's flattened outputs; the jitted step only indexes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import losses as _losses
from kerax import metrics as _metrics
from kerax.graph.spec import TensorSpec


def _per_output(value: Any, names: Sequence[str], what: str) -> list[Any]:
    """Spreads a compile argument over outputs: one for all, a list, or a dict."""
    n = len(names)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(
                f"`{what}` has key(s) {unknown} that are not output names of the model. "
                f"Output names: {list(names)}."
            )
        return [value.get(name) for name in names]
    if isinstance(value, list | tuple) and what in ("metrics", "weighted_metrics"):
        # A list of lists (or Nones), one per output, is per output; a flat list of
        # metrics applies to every output.
        nested = [v is None or isinstance(v, list | tuple) for v in value]
        if value and all(nested):
            if len(value) != n:
                raise ValueError(
                    f"`{what}` is a list of {len(value)} per-output lists, but the model "
                    f"has {n} output(s) {list(names)}."
                )
            return list(value)
        return [value] * n
    if isinstance(value, list | tuple):
        if len(value) != n:
            raise ValueError(
                f"`{what}` is a list of {len(value)} entries, but the model has {n} "
                f"output(s) {list(names)}."
            )
        return list(value)
    return [value] * n


def _leaves(value: Any) -> list[Any]:
    """The individual entries of a compile argument nested in lists and dicts."""
    if isinstance(value, Mapping):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [] if value is None else [value]


#: Loss names whose crossentropy the shapes of targets and predictions decide.
_CROSSENTROPY_NAMES = ("crossentropy", "ce")


def binary_or_sparse(
    y_true_shape: Sequence[int | None], y_pred_shape: Sequence[int | None]
) -> tuple[bool, bool]:
    """Keras's reading of the shapes: ``(binary, sparse categorical)``.

    Binary when the prediction has one unit on its last axis; sparse categorical when
    the targets have fewer axes than the predictions, or one unit on their last axis
    against several predicted ones. Neither means categorical.
    """
    binary = y_pred_shape[-1] == 1
    sparse = len(y_true_shape) < len(y_pred_shape) or (
        y_true_shape[-1] == 1 and y_pred_shape[-1] > 1
    )
    return binary, sparse


class ShapeCrossentropy(_losses.Loss):
    """The loss ``compile`` makes of ``"crossentropy"`` / ``"ce"``, as Keras does.

    Binary, sparse categorical or categorical crossentropy (default arguments), picked
    from the static shapes of the targets and predictions of the batch by
    :func:`binary_or_sparse`, when the step is traced.

    Args:
        name: Name used in logs (the string given to ``compile``).
    """

    def __init__(self, name: str = "crossentropy") -> None:
        super().__init__(name=name)
        self._choices = {
            "binary": _losses.BinaryCrossentropy(name=name),
            "sparse": _losses.SparseCategoricalCrossentropy(name=name),
            "categorical": _losses.CategoricalCrossentropy(name=name),
        }

    def chosen(self, y_true: Any, y_pred: Any) -> _losses.Loss:
        """The crossentropy these targets and predictions call for."""
        binary, sparse = binary_or_sparse(jnp.shape(y_true), jnp.shape(y_pred))
        return self._choices["binary" if binary else "sparse" if sparse else "categorical"]

    def call(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
        return self.chosen(y_true, y_pred).call(y_true, y_pred)

    def mask(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array | None:
        return self.chosen(y_true, y_pred).mask(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name}


def _get_loss(identifier: Any) -> _losses.Loss:
    """``kerax.losses.get``, plus the shape-decided ``"crossentropy"`` / ``"ce"``."""
    if isinstance(identifier, str) and identifier.lower() in _CROSSENTROPY_NAMES:
        return ShapeCrossentropy(name=identifier)
    return _losses.get(identifier)


def check_names(loss: Any, metrics: Any, weighted_metrics: Any) -> None:
    """Resolves every loss and metric given by name, so that a typo fails at ``compile``
    even when the outputs are not known yet (a Sequential model without an input).

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    for name in _leaves(loss):
        if isinstance(name, str):
            _get_loss(name)
    for name in _leaves(metrics) + _leaves(weighted_metrics):
        if isinstance(name, str):
            _metrics.get(name)


@dataclasses.dataclass
class CompiledLoss:
    """The weighted sum of per-output losses.

    Attributes:
        names: Output names.
        losses: One :class:`~kerax.losses.Loss` (or None) per output.
        weights: One float per output.
    """

    names: list[str]
    losses: list[_losses.Loss | None]
    weights: list[float]

    @classmethod
    def build(cls, loss: Any, loss_weights: Any, names: Sequence[str]) -> CompiledLoss:
        if loss is None:
            raise ValueError("`compile` needs a `loss` to train the model.")
        per = _per_output(loss, names, "loss")
        resolved = [None if p is None else _get_loss(p) for p in per]
        weights = (
            [1.0] * len(names)
            if loss_weights is None
            else [
                1.0 if w is None else float(w)
                for w in _per_output(loss_weights, names, "loss_weights")
            ]
        )
        return cls(list(names), resolved, weights)

    @property
    def log_names(self) -> list[str]:
        """The per-output loss entries of the logs (only for several outputs)."""
        if len(self.names) == 1:
            return []
        return [f"{n}_loss" for n, loss in zip(self.names, self.losses) if loss is not None]

    def __call__(
        self,
        y_true: Sequence[Any],
        y_pred: Sequence[Any],
        sample_weight: Sequence[Any],
        valid: jax.Array,
        masks: Sequence[Any] | None = None,
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """The total loss and the per-output losses of one (possibly padded) batch.

        ``masks`` are the outputs' Keras masks (``Embedding(mask_zero=True)``,
        ``Masking``): masked entries are left out of the loss, and a mean is over the
        unmasked ones, as Keras weighs a loss by its prediction's mask.
        """
        total = jnp.zeros((), jnp.float32)
        parts: dict[str, jax.Array] = {}
        for i, (name, loss, w) in enumerate(zip(self.names, self.losses, self.weights)):
            if loss is None:
                continue
            # Losses compute in float32 whatever the model's compute dtype, as in Keras.
            pred = (
                y_pred[i].astype(jnp.float32)
                if jnp.issubdtype(y_pred[i].dtype, jnp.floating)
                else y_pred[i]
            )
            values = loss.call(y_true[i], pred).astype(jnp.float32)
            mask = None if masks is None else masks[i]
            if values.ndim == 0:
                _check_scalar_loss(name, loss, valid, mask)
                parts[f"{name}_loss"] = values
                total = total + w * values
                continue
            entries = valid
            keep = loss.mask(y_true[i], pred)  # entries the loss leaves out (ignore_class)
            if keep is not None:
                entries = _losses.broadcast_weight(valid, keep) * keep.astype(jnp.float32)
            if mask is not None:
                values, entries = _with_output_mask(values, entries, mask)
            value = masked_reduce(values, sample_weight[i], entries, loss.reduction)
            parts[f"{name}_loss"] = value
            total = total + w * value
        return total, parts


def _with_output_mask(
    values: jax.Array, entries: jax.Array, mask: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """``values`` and the entries that count, with an output mask applied.

    A loss that reduced the masked axis (``mse`` over ``(batch, steps)``) has its
    per-row values repeated over that axis, so each row counts by its unmasked
    entries, as Keras weighs it."""
    mask = mask.astype(jnp.float32)
    while mask.ndim > values.ndim:
        values = values[..., None]
    values = jnp.broadcast_to(values, jnp.broadcast_shapes(values.shape, mask.shape))
    entries = _losses.broadcast_weight(entries, values) * _losses.broadcast_weight(mask, values)
    return values, jnp.broadcast_to(entries, values.shape)


def _check_scalar_loss(name: str, loss: Any, valid: jax.Array, mask: Any) -> None:
    """A loss function that returns one number has reduced the batch itself."""
    if mask is not None:
        raise ValueError(
            f"The loss of output '{name}' ({loss.name}) returns a scalar, so it cannot leave "
            "out the entries the output's mask hides. Return one value per example (or "
            "per entry) and let Keras's reduction average them."
        )


def masked_reduce(
    values: jax.Array, sample_weight: Any, valid: jax.Array, reduction: Any
) -> jax.Array:
    """Keras's reduction over the real entries of a batch padded to full size.

    ``valid`` marks the real rows (or, for losses that leave entries out, the entries
    that count). ``"sum"`` sums, ``"mean_with_sample_weight"`` divides by the summed
    weights of the real entries, the other reductions by their count.
    """
    mask = jnp.broadcast_to(_losses.broadcast_weight(valid, values), values.shape)
    weights = mask
    if sample_weight is not None:
        weights = mask * _losses.broadcast_weight(sample_weight, values)
    total = jnp.sum(values * weights)
    if reduction == "sum":
        return total
    denominator = jnp.sum(weights) if reduction == "mean_with_sample_weight" else jnp.sum(mask)
    return jnp.where(denominator > 0, total / jnp.where(denominator > 0, denominator, 1.0), 0.0)


def _loss_kind(loss: _losses.Loss | None) -> str | None:
    """The name that tells :func:`kerax.metrics.get` which accuracy a loss implies:
    decided by the loss's class, so that a renamed built-in loss still counts."""
    if loss is None:
        return None
    if isinstance(loss, _losses.SparseCategoricalCrossentropy):
        return "sparse_categorical_crossentropy"
    if isinstance(loss, _losses.BinaryCrossentropy | _losses.BinaryFocalCrossentropy):
        return "binary_crossentropy"
    if type(loss) in _losses._CLASSES:
        return loss.name
    # A custom loss says nothing about its labels: the shapes decide.
    return None


@dataclasses.dataclass
class CompiledMetrics:
    """Metrics per output, plus the loss trackers, as one pure state machine.

    Attributes:
        entries: ``(log name, output index or None, metric, weighted)``; an output index
            of None marks a loss tracker fed by the step's loss values.
    """

    entries: list[tuple[str, int | None, _metrics.Metric, bool]]

    @classmethod
    def build(
        cls,
        metrics: Any,
        weighted_metrics: Any,
        names: Sequence[str],
        out_specs: Sequence[TensorSpec],
        loss: CompiledLoss,
        y_true_shapes: Sequence[tuple[int | None, ...] | None] | None = None,
    ) -> CompiledMetrics:
        """Resolves the metrics of every output.

        Args:
            y_true_shapes: The targets' shapes per output, once data has been seen:
                ``"accuracy"`` then also looks at the labels, as Keras does (integer
                labels without a class axis mean sparse categorical accuracy).
        """
        entries: list[tuple[str, int | None, _metrics.Metric, bool]] = [
            ("loss", None, _metrics.Mean(name="loss"), False)
        ]
        entries += [(n, None, _metrics.Mean(name=n), False) for n in loss.log_names]
        for group, weighted in ((metrics, False), (weighted_metrics, True)):
            if group is None:
                continue
            per = _per_output(group, names, "weighted_metrics" if weighted else "metrics")
            for i, (name, ms) in enumerate(zip(names, per)):
                if ms is None:
                    continue
                for m in ms if isinstance(ms, list | tuple) else [ms]:
                    lname = _loss_kind(loss.losses[i])
                    y_pred_shape = out_specs[i].shape
                    y_true_shape = None if y_true_shapes is None else y_true_shapes[i]
                    metric = _metrics.get(m, y_true_shape, y_pred_shape, lname)
                    log = metric.name if len(names) == 1 else f"{name}_{metric.name}"
                    if weighted:
                        log = f"weighted_{log}" if any(e[0] == log for e in entries) else log
                    entries.append((log, i, metric, weighted))
        return cls(entries)

    @property
    def names(self) -> list[str]:
        return [e[0] for e in self.entries]

    def init(self) -> dict[str, Any]:
        return {name: metric.init() for name, _, metric, _ in self.entries}

    def update(
        self,
        states: dict[str, Any],
        y_true: Sequence[Any],
        y_pred: Sequence[Any],
        sample_weight: Sequence[Any],
        valid: jax.Array,
        loss: jax.Array,
        parts: dict[str, jax.Array],
        masks: Sequence[Any] | None = None,
    ) -> dict[str, Any]:
        """The states after one batch; an output's Keras mask weighs its metrics, as
        Keras passes a prediction's mask to its metrics as sample weights."""
        out = dict(states)
        count = jnp.sum(valid)
        for name, index, metric, weighted in self.entries:
            if index is None:
                value = loss if name == "loss" else parts[name]
                out[name] = metric.update_values(states[name], value, count)
                continue
            w = valid
            if weighted and sample_weight[index] is not None:
                w = valid * _losses.broadcast_weight(sample_weight[index], valid)
            mask = None if masks is None else masks[index]
            if mask is not None:
                mask = mask.astype(jnp.float32)
                w = _losses.broadcast_weight(w, mask) * mask
            out[name] = metric.update(states[name], y_true[index], y_pred[index], w)
        return out

    def results(self, states: dict[str, Any]) -> dict[str, jax.Array]:
        return {name: metric.result(states[name]) for name, _, metric, _ in self.entries}
