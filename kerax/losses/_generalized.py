"""The generalized cross-entropy, a noise-robust classification loss."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses._base import LossFunctionWrapper


def categorical_generalized_cross_entropy(
    y_true: jax.Array, y_pred: jax.Array, q: float
) -> jax.Array:
    """The generalized cross-entropy ``(1 - p**q) / q``, ``p`` the true class's
    predicted probability.

    ``q`` near 0 approaches the cross-entropy, ``q = 1`` the mean absolute error.

    Args:
        y_true: Integer class labels, ``(batch,)`` or ``(batch, 1)``.
        y_pred: Class probabilities, ``(batch, num_classes)``.
        q: The noise parameter, in ``(0, 1)``.

    Returns:
        The loss per example, ``(batch,)``.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    onehot = jax.nn.one_hot(y_true.astype(jnp.int32), y_pred.shape[-1], dtype=y_pred.dtype)
    p = jnp.sum(y_pred * onehot, axis=-1)
    return (1.0 - jnp.power(p, q)) / q


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """The generalized cross-entropy (Zhang and Sabuncu, 2018) of integer labels.

    ``loss = (1 - p**q) / q`` with ``p`` the predicted probability of the true class:
    more robust to noisy labels than the cross-entropy as ``q`` grows.

    Args:
        q: The noise parameter, strictly between 0 and 1 (default 0.5).
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.

    Raises:
        ValueError: When ``q`` is not in ``(0, 1)``.
    """

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(
                "CategoricalGeneralizedCrossEntropy: `q` must be strictly between 0 and 1, "
                f"received q={q!r}."
            )
        super().__init__(
            categorical_generalized_cross_entropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            q=q,
        )
        self.q = q
