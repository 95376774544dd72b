"""Metrics over thresholded confusion counts: TruePositives ... AUC, with Keras's
thresholds, bucketing and interpolation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.losses import EPSILON, same_rank
from kerax.metrics._base import Metric, State, as_float, divide_no_nan

NEG_INF = -1e10
_KINDS = ("tp", "fp", "tn", "fn")


def _to_list(x: Any) -> list:
    return list(x) if isinstance(x, list | tuple | np.ndarray) else [x]


def parse_thresholds(thresholds: Any, default: float = 0.5) -> list[float]:
    """The list of thresholds (``default`` when None).

    Raises:
        ValueError: For a threshold outside ``[0, 1]``.
    """
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in _to_list(default if thresholds is None else thresholds)]


def evenly_distributed(thresholds: Sequence[float]) -> bool:
    """Whether the thresholds are ``i / (n - 1)`` (n >= 3), which Keras buckets."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _filter_top_k(x: jax.Array, k: int) -> jax.Array:
    _, idx = jax.lax.top_k(x, k)
    mask = jnp.sum(jax.nn.one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def confusion_counts(
    kinds: Sequence[str],
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float],
    evenly: bool,
    sample_weight: Any = None,
    top_k: int | None = None,
    class_id: int | None = None,
    multi_label: bool = False,
    label_weights: Any = None,
) -> dict[str, jax.Array]:
    """Weighted confusion counts per threshold (per label too when ``multi_label``).

    A prediction counts as positive where it is strictly above the threshold. With
    evenly distributed thresholds the predictions are bucketed (clipped to
    ``[0, 1]``) and counts accumulated from the top bucket down, as Keras does.

    Returns:
        ``{kind: counts}`` for the requested kinds among ``"tp"``, ``"fp"``, ``"tn"``
        and ``"fn"``; counts are shaped ``(num_thresholds,)`` or
        ``(num_thresholds, num_labels)``.
    """
    y_true = as_float(y_true)
    y_pred = as_float(y_pred)
    thresholds_np = np.asarray(thresholds, np.float64)
    with_epsilon = bool(thresholds_np[0] < 0.0 or thresholds_np[-1] > 1.0)
    num_thresholds = len(thresholds_np)
    y_pred, y_true = same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(as_float(sample_weight), -1)
        _, sample_weight = same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {y_pred.shape}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        lw = jnp.broadcast_to(jnp.expand_dims(as_float(label_weights), 0), y_pred.shape)
        weights = lw if weights is None else weights * lw
    if not multi_label:
        y_true = y_true.reshape(-1)
        y_pred = y_pred.reshape(-1)
        weights = None if weights is None else weights.reshape(-1)
    is_true = y_true != 0

    if evenly:
        w = 1.0 if weights is None else weights
        true_labels = is_true.astype(jnp.float32) * w
        false_labels = (1.0 - is_true.astype(jnp.float32)) * w
        y_pred = jnp.clip(y_pred, 0.0, 1.0)
        buckets = jnp.ceil(y_pred * (num_thresholds - 1)) - 1
        if with_epsilon:
            buckets = jax.nn.relu(buckets)
        buckets = buckets.astype(jnp.int32)

        def cumulative(labels: jax.Array, ids: jax.Array) -> jax.Array:
            sums = jax.ops.segment_sum(labels, ids, num_segments=num_thresholds)
            return jnp.flip(jnp.cumsum(jnp.flip(sums, -1), axis=-1), -1)

        if multi_label:
            tp = jax.vmap(cumulative)(true_labels.T, buckets.T).T
            fp = jax.vmap(cumulative)(false_labels.T, buckets.T).T
            total_true = jnp.sum(true_labels, axis=0)
            total_false = jnp.sum(false_labels, axis=0)
        else:
            tp = cumulative(true_labels, buckets)
            fp = cumulative(false_labels, buckets)
            total_true = jnp.sum(true_labels)
            total_false = jnp.sum(false_labels)
        counts = {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}
        return {k: counts[k] for k in kinds}

    thr = jnp.asarray(thresholds_np, jnp.float32)
    thr = thr.reshape((-1,) + (1,) * y_pred.ndim)
    pred_pos = y_pred[None] > thr
    label_pos = jnp.broadcast_to(is_true[None], pred_pos.shape)
    pairs = {
        "tp": (label_pos, pred_pos),
        "fp": (~label_pos, pred_pos),
        "tn": (~label_pos, ~pred_pos),
        "fn": (label_pos, ~pred_pos),
    }
    out = {}
    for kind in kinds:
        label, pred = pairs[kind]
        both = label & pred
        if weights is None:
            values = both.astype(jnp.float32)
        else:
            values = jnp.where(both, weights[None], 0.0)
        out[kind] = jnp.sum(values, axis=1)
    return out


class _ConfusionMatrixConditionCount(Metric):
    _kind = "tp"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5)
        self._evenly = evenly_distributed(self.thresholds)

    def init(self) -> State:
        return jnp.zeros((len(self.thresholds),), jnp.float32)

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            [self._kind], y_true, y_pred, self.thresholds, self._evenly, sample_weight
        )
        return state + counts[self._kind]

    def result(self, state: State) -> jax.Array:
        return state[0] if len(self.thresholds) == 1 else state

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of true positives, per threshold.

    Args:
        thresholds: A threshold or a list of them in ``[0, 1]`` (default 0.5).
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    _kind = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of false positives, per threshold (see :class:`TruePositives`)."""

    _kind = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of true negatives, per threshold (see :class:`TruePositives`)."""

    _kind = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of false negatives, per threshold (see :class:`TruePositives`)."""

    _kind = "fn"


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

    def result(self, state: State) -> jax.Array:
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
        return {k: jnp.zeros((len(self.thresholds),), jnp.float32) for k in _KINDS}

    def update(self, state, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            _KINDS,
            y_true,
            y_pred,
            self.thresholds,
            self._evenly,
            sample_weight,
            class_id=self.class_id,
        )
        return {k: state[k] + counts[k] for k in _KINDS}

    @staticmethod
    def _rates(state: State) -> dict[str, jax.Array]:
        tp, fp, tn, fn = (state[k] for k in _KINDS)
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

    def result(self, state: State) -> jax.Array:
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

    def result(self, state: State) -> jax.Array:
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

    def result(self, state: State) -> jax.Array:
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

    def result(self, state: State) -> jax.Array:
        r = self._rates(state)
        return self._max_under(r["precision"], r["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "precision": self.precision}


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
        return {k: jnp.zeros(shape, jnp.float32) for k in _KINDS}

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_pred = as_float(y_pred)
        if self.from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        counts = confusion_counts(
            _KINDS,
            y_true,
            y_pred,
            self._thresholds,
            self._evenly,
            sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        return {k: state[k] + counts[k] for k in _KINDS}

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

    def result(self, state: State) -> jax.Array:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr(state)
        tp, fp, tn, fn = (state[k] for k in _KINDS)
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
