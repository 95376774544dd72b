"""Thresholded confusion counts, with Keras's thresholds and bucketing: the
``confusion_counts`` every confusion metric updates with, and the metrics that report
the counts (TruePositives, FalsePositives, TrueNegatives, FalseNegatives)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.losses import EPSILON, same_rank
from kerax.metrics._base import Metric, State, as_float

NEG_INF = -1e10
KINDS = ("tp", "fp", "tn", "fn")


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
    _variable_names = ("accumulator",)

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

    def result(self, state: State = None) -> jax.Array:
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
