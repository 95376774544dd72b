"""Overlap losses for segmentation: Dice and Tversky."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses._base import EPSILON, LossFunctionWrapper


def _axis(axis: Any) -> Any:
    # A config read back from JSON holds a list; jnp reductions want a tuple.
    return tuple(axis) if isinstance(axis, list) else axis


def dice(y_true: jax.Array, y_pred: jax.Array, axis: Any = None) -> jax.Array:
    """The Dice loss, ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))``.

    Args:
        y_true: Target masks.
        y_pred: Predicted masks (probabilities).
        axis: The axes the sums run over; ``None`` (default) sums over everything and
            gives one scalar.

    Returns:
        The loss, with the ``axis`` axes reduced.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true, y_pred.dtype)
    axis = _axis(axis)
    overlap = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + EPSILON
    return 1.0 - 2.0 * overlap / total


def tversky(
    y_true: jax.Array,
    y_pred: jax.Array,
    alpha: float = 0.5,
    beta: float = 0.5,
    axis: Any = None,
) -> jax.Array:
    """The Tversky loss, ``1 - TP / (TP + alpha * FP + beta * FN)``.

    ``TP = sum(y_true * y_pred)``, ``FP = sum(y_true * (1 - y_pred))`` and
    ``FN = sum((1 - y_true) * y_pred)``, as Keras weighs them; ``alpha = beta = 0.5`` is
    the Dice loss.

    Args:
        y_true: Target masks.
        y_pred: Predicted masks (probabilities).
        alpha: Weight of the ``FP`` term.
        beta: Weight of the ``FN`` term.
        axis: The axes the sums run over; ``None`` (default) sums over everything.

    Returns:
        The loss, with the ``axis`` axes reduced.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true, y_pred.dtype)
    axis = _axis(axis)
    tp = jnp.sum(y_true * y_pred, axis=axis)
    fp = jnp.sum(y_true * (1.0 - y_pred), axis=axis)
    fn = jnp.sum((1.0 - y_true) * y_pred, axis=axis)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + EPSILON)


class Dice(LossFunctionWrapper):
    """The Dice loss between target and predicted masks.

    ``loss = 1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))``, the sums
    over ``axis``.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        axis: The axes the sums run over; ``None`` (default) sums over the whole batch
            and gives one value.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "dice",
        axis: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis


class Tversky(LossFunctionWrapper):
    """The Tversky loss: the Dice loss with separate weights for the two error kinds.

    Args:
        alpha: Weight of the ``sum(y_true * (1 - y_pred))`` term (default 0.5).
        beta: Weight of the ``sum((1 - y_true) * y_pred)`` term (default 0.5).
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        axis: The axes the sums run over; ``None`` (default) sums over everything.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "tversky",
        axis: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            tversky,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            beta=beta,
            axis=axis,
        )
        self.alpha, self.beta, self.axis = alpha, beta, axis
