"""Correlation metrics: Pearson's and the concordance correlation coefficient, each
averaged over the examples of every batch seen."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses import EPSILON, same_rank
from kerax.metrics._base import MeanMetricWrapper, as_float


def _prepare(y_true: Any, y_pred: Any, axis: Any) -> tuple[jax.Array, jax.Array, Any]:
    y_true, y_pred = same_rank(as_float(y_true), as_float(y_pred))
    return y_true, y_pred, tuple(axis) if isinstance(axis, list) else axis


def pearson_correlation(y_true: jax.Array, y_pred: jax.Array, axis: Any = -1) -> jax.Array:
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``.

    Both are centred and scaled by their (population) standard deviation along
    ``axis``; the result is the mean of their product.

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: The axis (or axes) the correlation runs over (default ``-1``).

    Returns:
        The coefficients, with ``axis`` reduced.
    """
    y_true, y_pred, axis = _prepare(y_true, y_pred, axis)
    t = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    p = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    t = t / jnp.std(t, axis=axis, keepdims=True)
    p = p / jnp.std(p, axis=axis, keepdims=True)
    return jnp.mean(t * p, axis=axis)


def concordance_correlation(y_true: jax.Array, y_pred: jax.Array, axis: Any = -1) -> jax.Array:
    """The concordance correlation coefficient of ``y_true`` and ``y_pred`` along
    ``axis``, with Keras 3's formula.

    ``mean(2 * (y_true - m_pred) * (y_pred - m_pred) / (v_true + v_pred +
    (m_true - m_pred)**2 + epsilon))``, where ``m`` and ``v`` are the means and
    variances along ``axis``. Keras centres ``y_true`` on the *prediction's* mean in
    the numerator; kerax keeps that, so that the two libraries report the same values.

    Args:
        y_true: Targets.
        y_pred: Predictions.
        axis: The axis (or axes) the coefficient runs over (default ``-1``).

    Returns:
        The coefficients, with ``axis`` reduced.
    """
    y_true, y_pred, axis = _prepare(y_true, y_pred, axis)
    m_true = jnp.mean(y_true, axis=axis, keepdims=True)
    m_pred = jnp.mean(y_pred, axis=axis, keepdims=True)
    v_true = jnp.var(y_true, axis=axis, keepdims=True)
    v_pred = jnp.var(y_pred, axis=axis, keepdims=True)
    covariance = (y_true - m_pred) * (y_pred - m_pred)
    scale = v_true + v_pred + jnp.square(m_true - m_pred)
    return jnp.mean(2.0 * covariance / (scale + EPSILON), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean Pearson correlation coefficient over all examples seen.

    Each example's coefficient is taken along ``axis`` (see
    :func:`pearson_correlation`); the metric averages them, weighted by
    ``sample_weight``, across batches. Higher is better.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        axis: The axis (or axes) the correlation runs over (default ``-1``).
    """

    _direction = "up"

    def __init__(
        self, name: str | None = "pearson_correlation", dtype: Any = None, axis: Any = -1
    ) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean concordance correlation coefficient over all examples seen.

    Each example's coefficient is taken along ``axis`` (see
    :func:`concordance_correlation`); the metric averages them, weighted by
    ``sample_weight``, across batches. Higher is better.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
        axis: The axis (or axes) the coefficient runs over (default ``-1``).
    """

    _direction = "up"

    def __init__(
        self, name: str | None = "concordance_correlation", dtype: Any = None, axis: Any = -1
    ) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
