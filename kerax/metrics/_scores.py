"""Score metrics: the F-beta and F1 scores of classifiers, and the R2 score of
regressions, each from running sums over the batches."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses import EPSILON, broadcast_weight, same_rank
from kerax.metrics._base import Metric, State, as_float


def _num_outputs(metric: Metric, y_pred_shape: tuple | None) -> int | None:
    if y_pred_shape is None:
        return None
    if len(y_pred_shape) != 2 or y_pred_shape[-1] is None:
        raise ValueError(
            f"{type(metric).__name__} expects 2D inputs with shape (batch_size, output_dim), "
            f"output_dim known. Received y_pred.shape={y_pred_shape}."
        )
    return int(y_pred_shape[-1])


class FBetaScore(Metric):
    """The F-beta score: ``(1 + beta^2) * P * R / (beta^2 * P + R)`` per class.

    Args:
        average: None (a score per class), ``"micro"`` (counts pooled over classes),
            ``"macro"`` (mean of the class scores) or ``"weighted"`` (class scores
            weighted by their label counts).
        beta: Weight of recall relative to precision (a float > 0).
        threshold: Predictions above it count as positive; None marks the highest
            prediction of each example (if nonzero) as its positive.
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str | None = "fbeta_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float) or beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value: a float > 0. Received: beta={beta!r}")
        if threshold is not None and (
            not isinstance(threshold, float) or not 0.0 < threshold <= 1.0
        ):
            raise ValueError(
                f"Invalid `threshold` argument value: a float in (0, 1]. "
                f"Received: threshold={threshold!r}"
            )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._num_classes: int | None = None

    def build(self, y_true_shape, y_pred_shape):
        if self._num_classes is None:
            self._num_classes = _num_outputs(self, y_pred_shape)

    def init(self) -> State:
        if self.average == "micro":
            shape: tuple = ()
        elif self._num_classes is None:
            raise ValueError(
                f"{type(self).__name__} needs the number of classes before its state can be "
                "created: call build(None, (batch, num_classes)) (compile does)."
            )
        else:
            shape = (self._num_classes,)
        kinds = ("tp", "fp", "fn", "intermediate_weights")  # Keras's variables, in order
        return {k: jnp.zeros(shape, jnp.float32) for k in kinds}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true = as_float(y_true)
        y_pred = as_float(y_pred)
        if self.threshold is None:
            top = jnp.max(y_pred, axis=-1, keepdims=True)
            pred = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
        else:
            pred = y_pred > self.threshold
        pred = pred.astype(jnp.float32)

        def weighted_sum(values: jax.Array) -> jax.Array:
            if sample_weight is not None:
                values = values * broadcast_weight(sample_weight, values)
            return jnp.sum(values, axis=self.axis)

        return {
            "tp": state["tp"] + weighted_sum(pred * y_true),
            "fp": state["fp"] + weighted_sum(pred * (1.0 - y_true)),
            "fn": state["fn"] + weighted_sum((1.0 - pred) * y_true),
            "intermediate_weights": state["intermediate_weights"] + weighted_sum(y_true),
        }

    def result(self, state: State = None) -> jax.Array:
        tp = state["tp"]
        precision = tp / (tp + state["fp"] + EPSILON)
        recall = tp / (tp + state["fn"] + EPSILON)
        b2 = self.beta**2
        score = (precision * recall) / (b2 * precision + recall + EPSILON) * (1.0 + b2)
        if self.average == "weighted":
            total = state["intermediate_weights"]
            weights = total / (jnp.sum(total) + EPSILON)
            return jnp.sum(score * weights)
        if self.average is not None:
            return jnp.mean(score)
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, the harmonic mean of precision and recall (see
    :class:`FBetaScore`; ``beta`` is 1).

    Args:
        average: None, ``"micro"``, ``"macro"`` or ``"weighted"``.
        threshold: See :class:`FBetaScore`.
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str | None = "f1_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """The coefficient of determination, per output then aggregated.

    Args:
        class_aggregation: None (a score per output), ``"uniform_average"`` or
            ``"variance_weighted_average"``.
        num_regressors: Number of regressors for the adjusted R2 (0: plain R2).
        name: Name used in logs.
        dtype: Dtype of the state.

    ``num_samples`` (used only by the adjusted score) counts entries with a nonzero
    weight, so the rows that pad a batch do not count.
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str | None = "r2_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"Invalid value for argument `num_regressors`: >= 0. Received: {num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self._num_outputs: int | None = None

    def build(self, y_true_shape, y_pred_shape):
        if self._num_outputs is None:
            self._num_outputs = _num_outputs(self, y_pred_shape)

    def init(self) -> State:
        if self._num_outputs is None:
            raise ValueError(
                "R2Score needs the output size before its state can be created: call "
                "build(None, (batch, output_dim)) (compile does)."
            )
        zeros = jnp.zeros((self._num_outputs,), jnp.float32)
        return {  # Keras's variables, in Keras's order
            "num_samples": jnp.zeros((), jnp.float32),
            "squared_sum": zeros,
            "sum": zeros,
            "residual": zeros,
            "count": zeros,
        }

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(as_float(y_true), as_float(y_pred))
        if sample_weight is None:
            weight = jnp.ones_like(y_true)
            num = jnp.asarray(y_true.size, jnp.float32)
        else:
            weight = as_float(sample_weight)
            if weight.ndim == 1:
                weight = weight[:, None]
            weight = jnp.broadcast_to(weight, y_true.shape)
            num = jnp.sum((weight != 0).astype(jnp.float32))
        weighted = y_true * weight
        return {
            "sum": state["sum"] + jnp.sum(weighted, axis=0),
            "squared_sum": state["squared_sum"] + jnp.sum(y_true * weighted, axis=0),
            "residual": state["residual"] + jnp.sum(jnp.square(y_true - y_pred) * weight, axis=0),
            "count": state["count"] + jnp.sum(weight, axis=0),
            "num_samples": state["num_samples"] + num,
        }

    def result(self, state: State = None) -> jax.Array:
        mean = state["sum"] / state["count"]
        total = state["squared_sum"] - state["sum"] * mean
        raw = 1.0 - state["residual"] / total
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw) / jnp.sum(total)
        else:
            score = raw
        if self.num_regressors:
            n = state["num_samples"]
            p = float(self.num_regressors)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
            # Keras falls back to the plain score when there are too few samples.
            score = jnp.where(p < n - 1.0, adjusted, score)
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
