"""AUC: the area under the ROC, PR or PR-gain curve, from confusion counts at fixed
thresholds, with Keras's summation methods and PR interpolation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses import EPSILON
from kerax.metrics._base import Metric, State, as_float, divide_no_nan
from kerax.metrics._confusion import KINDS, confusion_counts, evenly_distributed


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at fixed thresholds.

    Args:
        num_thresholds: Number of thresholds (evenly spaced in ``[0, 1]``, the ends
            nudged by ``EPSILON``); ignored when ``thresholds`` is given.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"`` (trapezoids for ROC, Davis & Goadrich's
            interpolation for PR), ``"majoring"`` or ``"minoring"``.
        name: Name used in logs.
        dtype: Dtype of the state.
        thresholds: Explicit thresholds in ``[0, 1]`` (0 - EPSILON and 1 + EPSILON are
            added).
        multi_label: Whether each label (last axis) gets its own curve, the areas
            then averaged; otherwise all entries are pooled into one curve.
        num_labels: Number of labels when ``multi_label`` (else read from the
            output's shape when ``compile`` builds the metric).
        label_weights: Per-label weights (of the pooled counts, or of the per-label
            areas when ``multi_label``).
        from_logits: Whether ``y_pred`` holds logits (a sigmoid is applied).
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        curves = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
        if str(curve).lower() not in curves:
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        methods = ("interpolation", "majoring", "minoring")
        if str(summation_method).lower() not in methods:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". '
                f"Expected values are {list(methods)}"
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(float(t) for t in thresholds)
            self._evenly = evenly_distributed([0.0, *inner, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - EPSILON, *inner, 1.0 + EPSILON]
        self.curve = curves[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.num_labels = num_labels
        self._num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self.from_logits = from_logits

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, the two nudged ends included."""
        return list(self._thresholds)

    def build(self, y_true_shape, y_pred_shape):
        if self.multi_label and self._num_labels is None and y_pred_shape is not None:
            if len(y_pred_shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found shape {y_pred_shape}."
                )
            self._num_labels = y_pred_shape[1]

    def init(self) -> State:
        if self.multi_label:
            if self._num_labels is None:
                raise ValueError(
                    "AUC(multi_label=True) needs `num_labels` (or a build with the output "
                    "shape, as compile does) before its state can be created."
                )
            shape = (self.num_thresholds, self._num_labels)
        else:
            shape = (self.num_thresholds,)
        return {k: jnp.zeros(shape, jnp.float32) for k in KINDS}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_pred = as_float(y_pred)
        if self.from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        counts = confusion_counts(
            KINDS,
            y_true,
            y_pred,
            self._thresholds,
            self._evenly,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        return {k: state[k] + counts[k] for k in KINDS}

    def _aggregate(self, terms: jax.Array) -> jax.Array:
        if not self.multi_label:
            return jnp.sum(terms)
        by_label = jnp.sum(terms, axis=0)
        if self.label_weights is None:
            return jnp.mean(by_label)
        lw = jnp.asarray(self.label_weights, jnp.float32)
        return divide_no_nan(jnp.sum(by_label * lw), jnp.sum(lw))

    def _interpolate_pr(self, state: State) -> jax.Array:
        tp, fp, fn = state["tp"], state["fp"], state["fn"]
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, jnp.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        ratio = jnp.where(
            (p[:-1] > 0) & (p[1:] > 0),
            divide_no_nan(p[:-1], jnp.maximum(p[1:], 0.0)),
            jnp.ones_like(p[1:]),
        )
        terms = divide_no_nan(
            slope * (dtp + intercept * jnp.log(ratio)), jnp.maximum(tp[1:] + fn[1:], 0.0)
        )
        return self._aggregate(terms)

    def result(self, state: State = None) -> jax.Array:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr(state)
        tp, fp, tn, fn = (state[k] for k in KINDS)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            x = jnp.maximum(jnp.where(tp == 0, 0.0, recall_gain), 0.0)
            y = jnp.where(tp == 0, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return self._aggregate((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
