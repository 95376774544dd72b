"""Intersection-over-union metrics: IoU and mean IoU over a confusion matrix, on
sparse, one-hot or thresholded binary predictions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses import EPSILON
from kerax.metrics._base import Metric, State, as_float


class _IoUBase(Metric):
    _variable_names = ("total_confusion_matrix",)

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.dtype = dtype
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis

    @property
    def _state_dtype(self) -> Any:
        # Keras keeps the confusion matrix in integers unless a float dtype is asked
        # for; weights are then truncated to integers.
        if self.dtype is not None and "float" in str(self.dtype):
            return jnp.float32
        return jnp.int32

    def init(self) -> State:
        return jnp.zeros((self.num_classes, self.num_classes), self._state_dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        dt = self._state_dtype
        y_true = jnp.asarray(y_true)
        y_pred = jnp.asarray(y_pred)
        if not self.sparse_y_true:
            y_true = jnp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(y_pred, axis=self.axis)
        y_true = y_true.astype(dt).reshape(-1)
        y_pred = y_pred.astype(dt).reshape(-1)
        weight = jnp.ones((), dt) if sample_weight is None else jnp.asarray(sample_weight)
        weight = jnp.broadcast_to(weight.astype(dt).reshape(-1), y_true.shape)
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        y_true = jnp.where(valid, y_true, 0).astype(jnp.int32)
        y_pred = jnp.where(valid, y_pred, 0).astype(jnp.int32)
        weight = jnp.where(valid, weight, 0).astype(dt)
        return state.at[y_true, y_pred].add(weight)

    def _iou(self, state: State, target_class_ids: Sequence[int]) -> jax.Array:
        cm = state.astype(jnp.float32)
        sum_over_row = jnp.sum(cm, axis=0)
        sum_over_col = jnp.sum(cm, axis=1)
        tp = jnp.diag(cm)
        denominator = sum_over_row + sum_over_col - tp
        ids = jnp.asarray(list(target_class_ids), jnp.int32)
        tp = tp[ids]
        denominator = denominator[ids]
        valid = denominator > 1e-9
        iou = jnp.where(valid, tp / (denominator + EPSILON), 0.0)
        return jnp.sum(iou, axis=self.axis) / (jnp.sum(valid.astype(jnp.float32)) + EPSILON)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class IoU(_IoUBase):
    """Mean intersection-over-union of the classes ``target_class_ids``.

    Args:
        num_classes: Number of classes.
        target_class_ids: The classes whose IoU is averaged.
        name: Name used in logs.
        dtype: Dtype of the confusion matrix (integers unless a float dtype).
        ignore_class: A label left out.
        sparse_y_true: Whether labels are class ids (else one-hot, arg-maxed).
        sparse_y_pred: Whether predictions are class ids (else scores, arg-maxed).
        axis: The class axis for arg-max.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self, state: State = None) -> jax.Array:
        return self._iou(state, self.target_class_ids)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


class MeanIoU(_IoUBase):
    """Mean intersection-over-union over all ``num_classes`` classes (arguments as
    :class:`IoU`, without ``target_class_ids``)."""

    def result(self, state: State = None) -> jax.Array:
        return self._iou(state, range(self.num_classes))


class BinaryIoU(IoU):
    """IoU of binary predictions thresholded at ``threshold``.

    Args:
        target_class_ids: The classes (0 and/or 1) averaged.
        threshold: Predictions at or above it are class 1.
        name: Name used in logs.
        dtype: Dtype of the confusion matrix.
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_pred = (as_float(y_pred) >= self.threshold).astype(jnp.int32)
        return super().update(state, y_true, y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class OneHotIoU(IoU):
    """IoU of one-hot labels (arguments as :class:`IoU`, labels always one-hot)."""

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """Mean IoU of one-hot labels (arguments as :class:`MeanIoU`, labels one-hot)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config
