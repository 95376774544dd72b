"""Rates at a floor on another rate: SensitivityAtSpecificity, SpecificityAtSensitivity,
PrecisionAtRecall and RecallAtPrecision, over evenly spaced thresholds."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.metrics._base import Metric, State, divide_no_nan
from kerax.metrics._confusion import KINDS, confusion_counts


class _SensitivitySpecificityBase(Metric):
    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if num_thresholds <= 0:
            raise ValueError(
                f"Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
            self._evenly = True

    def init(self) -> State:
        return {k: jnp.zeros((len(self.thresholds),), jnp.float32) for k in KINDS}

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            KINDS,
            y_true,
            y_pred,
            self.thresholds,
            self._evenly,
            sample_weight,
            class_id=self.class_id,
        )
        return {k: state[k] + counts[k] for k in KINDS}

    @staticmethod
    def _rates(state: State) -> dict[str, jax.Array]:
        tp, fp, tn, fn = (state[k] for k in KINDS)
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _max_under(self, constrained: jax.Array, dependent: jax.Array) -> jax.Array:
        return jnp.max(jnp.where(constrained >= self.value, dependent, 0.0), initial=0.0)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "class_id": self.class_id,
        }


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity at a specificity of at least ``specificity``.

    Args:
        specificity: The specificity floor, in ``[0, 1]``.
        num_thresholds: Number of evenly spaced thresholds.
        class_id: Only this class (last axis) counts.
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if not 0 <= specificity <= 1:
            raise ValueError(f"Argument `specificity` must be in [0, 1]. Received: {specificity}")
        self.specificity = specificity
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self, state: State = None) -> jax.Array:
        r = self._rates(state)
        return self._max_under(r["specificity"], r["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "specificity": self.specificity}


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity at a sensitivity of at least ``sensitivity`` (arguments as
    :class:`SensitivityAtSpecificity`)."""

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if not 0 <= sensitivity <= 1:
            raise ValueError(f"Argument `sensitivity` must be in [0, 1]. Received: {sensitivity}")
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self, state: State = None) -> jax.Array:
        r = self._rates(state)
        return self._max_under(r["sensitivity"], r["specificity"])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "sensitivity": self.sensitivity}


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision at a recall of at least ``recall`` (arguments as
    :class:`SensitivityAtSpecificity`)."""

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if not 0 <= recall <= 1:
            raise ValueError(f"Argument `recall` must be in [0, 1]. Received: {recall}")
        self.recall = recall
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self, state: State = None) -> jax.Array:
        r = self._rates(state)
        return self._max_under(r["sensitivity"], r["precision"])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "recall": self.recall}


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall at a precision of at least ``precision`` (arguments as
    :class:`SensitivityAtSpecificity`)."""

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if not 0 <= precision <= 1:
            raise ValueError(f"Argument `precision` must be in [0, 1]. Received: {precision}")
        self.precision = precision
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self, state: State = None) -> jax.Array:
        r = self._rates(state)
        return self._max_under(r["precision"], r["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "precision": self.precision}
