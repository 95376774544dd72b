"""Metrics that average a per-example function: accuracies, regression errors,
crossentropies and hinges, with Keras's names, arguments and formulas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from kerax import losses as L
from kerax.losses import same_rank
from kerax.metrics._base import Mean, MeanMetricWrapper, State, as_float


def accuracy(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """1.0 where ``y_pred == y_true`` exactly."""
    y_pred = as_float(y_pred)
    y_true, y_pred = same_rank(as_float(y_true), y_pred)
    return jnp.equal(y_true, y_pred).astype(jnp.float32)


def binary_accuracy(y_true: jax.Array, y_pred: jax.Array, threshold: float = 0.5) -> jax.Array:
    """1.0 where ``y_pred > threshold`` equals the 0/1 label (per entry)."""
    y_true, y_pred = same_rank(as_float(y_true), as_float(y_pred))
    return jnp.equal(y_true, (y_pred > threshold).astype(jnp.float32)).astype(jnp.float32)


def categorical_accuracy(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """1.0 where the arg-max of ``y_pred`` equals the arg-max of one-hot ``y_true``."""
    return jnp.equal(jnp.argmax(y_true, -1), jnp.argmax(y_pred, -1)).astype(jnp.float32)


def sparse_categorical_accuracy(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """1.0 where the arg-max of ``y_pred`` equals the integer label ``y_true``."""
    y_true = as_float(y_true)
    y_pred = jnp.asarray(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    matches = jnp.equal(y_true, jnp.argmax(y_pred, -1).astype(jnp.float32)).astype(jnp.float32)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _in_top_k(labels: jax.Array, y_pred: jax.Array, k: int) -> jax.Array:
    y_pred = as_float(y_pred)
    at_label = jnp.take_along_axis(y_pred, labels[..., None], axis=-1)
    at_label = jnp.where(jnp.isnan(at_label), -jnp.inf, at_label)
    rank = 1 + jnp.sum(y_pred > at_label, axis=-1)
    return (rank <= k).astype(jnp.float32)


def top_k_categorical_accuracy(y_true: jax.Array, y_pred: jax.Array, k: int = 5) -> jax.Array:
    """1.0 where the one-hot label's class is among the ``k`` highest predictions
    (ties counted in the label's favour, as Keras)."""
    labels = jnp.argmax(y_true, -1).astype(jnp.int32)
    return _in_top_k(labels, y_pred, k)


def sparse_top_k_categorical_accuracy(
    y_true: jax.Array, y_pred: jax.Array, k: int = 5, from_sorted_ids: bool = False
) -> jax.Array:
    """1.0 where the integer label is among the ``k`` highest predictions; with
    ``from_sorted_ids``, ``y_pred`` holds class ids sorted by score."""
    y_true = jnp.asarray(y_true)
    y_pred = jnp.asarray(y_pred)
    shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        y_true = y_true.reshape(-1)
    if from_sorted_ids:
        matches = jnp.any(y_true.astype(y_pred.dtype)[:, None] == y_pred[:, :k], axis=1).astype(
            jnp.float32
        )
    else:
        matches = _in_top_k(y_true.astype(jnp.int32), y_pred, k)
    return matches.reshape(shape) if len(shape) > 1 else matches


def cosine_similarity(y_true: jax.Array, y_pred: jax.Array, axis: int = -1) -> jax.Array:
    """Cosine similarity along ``axis`` (the metric's sign: 1 for aligned vectors)."""
    return -L.cosine_similarity(y_true, y_pred, axis=axis)


def _simple(fn: Callable[..., jax.Array], cls_name: str, default: str, doc: str) -> type:
    """A :class:`MeanMetricWrapper` class over ``fn`` taking ``(name, dtype)``."""

    def __init__(self, name: str | None = default, dtype: Any = None) -> None:
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    return type(
        cls_name,
        (MeanMetricWrapper,),
        {"__init__": __init__, "get_config": get_config, "__doc__": doc, "__module__": __name__},
    )


Accuracy = _simple(accuracy, "Accuracy", "accuracy", "How often predictions equal labels.")
CategoricalAccuracy = _simple(
    categorical_accuracy,
    "CategoricalAccuracy",
    "categorical_accuracy",
    "How often the predicted class is the one-hot label's class.",
)
SparseCategoricalAccuracy = _simple(
    sparse_categorical_accuracy,
    "SparseCategoricalAccuracy",
    "sparse_categorical_accuracy",
    "How often the predicted class is the integer label.",
)
MeanSquaredError = _simple(
    L.mean_squared_error, "MeanSquaredError", "mean_squared_error", "Mean squared error."
)
MeanAbsoluteError = _simple(
    L.mean_absolute_error, "MeanAbsoluteError", "mean_absolute_error", "Mean absolute error."
)
MeanAbsolutePercentageError = _simple(
    L.mean_absolute_percentage_error,
    "MeanAbsolutePercentageError",
    "mean_absolute_percentage_error",
    "Mean absolute percentage error.",
)
MeanSquaredLogarithmicError = _simple(
    L.mean_squared_logarithmic_error,
    "MeanSquaredLogarithmicError",
    "mean_squared_logarithmic_error",
    "Mean squared logarithmic error.",
)
LogCoshError = _simple(
    L.log_cosh, "LogCoshError", "logcosh", "Mean logarithm of the hyperbolic cosine of the error."
)
Hinge = _simple(L.hinge, "Hinge", "hinge", "Mean hinge loss.")
SquaredHinge = _simple(L.squared_hinge, "SquaredHinge", "squared_hinge", "Mean squared hinge loss.")
CategoricalHinge = _simple(
    L.categorical_hinge, "CategoricalHinge", "categorical_hinge", "Mean categorical hinge loss."
)
KLDivergence = _simple(
    L.kl_divergence, "KLDivergence", "kl_divergence", "Mean Kullback-Leibler divergence."
)
Poisson = _simple(L.poisson, "Poisson", "poisson", "Mean Poisson loss.")


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 labels.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        threshold: The decision threshold.
    """

    def __init__(
        self, name: str | None = "binary_accuracy", dtype: Any = None, threshold: float = 0.5
    ) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count.
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    def __init__(
        self, k: int = 5, name: str | None = "top_k_categorical_accuracy", dtype: Any = None
    ) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count.
        name: Name used in logs.
        dtype: Dtype of the state.
        from_sorted_ids: Whether ``y_pred`` holds class ids sorted by score.
    """

    def __init__(
        self,
        k: int = 5,
        name: str | None = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions along ``axis``.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        axis: The axis of the vectors.
    """

    def __init__(
        self, name: str | None = "cosine_similarity", dtype: Any = None, axis: int = -1
    ) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean binary crossentropy.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Squeezes the labels towards 0.5.
    """

    def __init__(
        self,
        name: str | None = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(
            L.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean categorical crossentropy.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Mixes the labels with the uniform distribution.
        axis: The class axis.
    """

    def __init__(
        self,
        name: str | None = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            L.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean sparse categorical crossentropy.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label whose entries are left out of the mean.
        axis: The class axis.
    """

    def __init__(
        self,
        name: str | None = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            L.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )

    def update(self, state, y_true, y_pred, sample_weight=None):
        values = self.fn(jnp.asarray(y_true), jnp.asarray(y_pred), **self.fn_kwargs)
        ignore_class = self.fn_kwargs["ignore_class"]
        # As Keras: ignored entries leave the count only when weights are given
        # (``compile`` always gives them: the mask of real rows).
        if ignore_class is not None and sample_weight is not None:
            labels = jnp.asarray(y_true)
            if labels.ndim == jnp.ndim(y_pred) and labels.shape[self.fn_kwargs["axis"]] == 1:
                labels = jnp.squeeze(labels, self.fn_kwargs["axis"])
            mask = (labels != ignore_class).astype(jnp.float32)
            sample_weight = L.broadcast_weight(sample_weight, mask) * mask
        return self.update_values(state, values, sample_weight)


class RootMeanSquaredError(Mean):
    """Square root of the (weighted) mean squared error.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    # ``update_state(y_true, y_pred, sample_weight=None)``, not Mean's ``(values, ...)``.
    _update_args = MeanMetricWrapper._update_args

    def __init__(self, name: str | None = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update(self, state, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(as_float(y_true), as_float(y_pred))
        return self.update_values(state, jnp.square(y_pred - y_true), sample_weight)

    def result(self, state: State = None) -> jax.Array:
        return jnp.sqrt(super().result(state))
