"""Precision and Recall at given thresholds, or among the top-k predictions."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.metrics._base import Metric, State, divide_no_nan
from kerax.metrics._confusion import (
    NEG_INF,
    confusion_counts,
    evenly_distributed,
    parse_thresholds,
)


class _PrecisionRecall(Metric):
    _kinds: tuple[str, str] = ("tp", "fp")

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        if thresholds is None and top_k is not None:
            self.thresholds = [default]
        else:
            self.thresholds = parse_thresholds(thresholds, default)
        self._evenly = evenly_distributed(self.thresholds)

    def init(self) -> State:
        n = len(self.thresholds)
        return {k: jnp.zeros((n,), jnp.float32) for k in self._kinds}

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            self._kinds,
            y_true,
            y_pred,
            self.thresholds,
            self._evenly,
            sample_weight,
            top_k=self.top_k,
            class_id=self.class_id,
        )
        return {k: state[k] + counts[k] for k in self._kinds}

    def result(self, state: State = None) -> jax.Array:
        tp, other = state[self._kinds[0]], state[self._kinds[1]]
        value = divide_no_nan(tp, tp + other)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)``, per threshold.

    Args:
        thresholds: A threshold or a list of them in ``[0, 1]``; predictions above
            count as positive. Defaults to 0.5 (to -inf with ``top_k``).
        top_k: Only the ``k`` highest predictions of each example count.
        class_id: Only this class (last axis) counts.
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    _kinds = ("tp", "fp")


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)``, per threshold (arguments as :class:`Precision`)."""

    _kinds = ("tp", "fn")
