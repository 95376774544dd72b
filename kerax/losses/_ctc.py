"""The CTC loss, for sequence labelling without alignment."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses._base import Loss, LossFunctionWrapper


def ctc(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """The per-sequence CTC loss (negative log-likelihood of the labels).

    Class 0 is the blank and also pads the labels: each label sequence's length is its
    number of non-zero entries. Every output sequence counts in full.

    Args:
        y_true: Integer labels, ``(batch, max_label_length)``, zero-padded.
        y_pred: Logits (not softmax probabilities), ``(batch, time, num_classes)``.

    Returns:
        The loss per sequence, ``(batch,)``.

    Raises:
        ValueError: When ``y_true`` is not rank 2 or ``y_pred`` not rank 3.
    """
    y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
    if y_true.ndim != 2:
        raise ValueError(
            "ctc: `y_true` must be integer labels of shape (batch_size, max_length), "
            f"received shape {tuple(y_true.shape)}."
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc: `y_pred` must be logits of shape (batch_size, max_length, num_classes), "
            f"received shape {tuple(y_pred.shape)}."
        )
    return _ctc(y_true, y_pred)


# One program rather than many single-op ones when called eagerly (see _circle.py).
@jax.jit
def _ctc(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    from kerax.ops.nn import ctc_loss

    labels = y_true.astype(jnp.int32)
    batch, time = y_pred.shape[:2]
    label_length = jnp.sum(labels != 0, axis=-1).astype(jnp.int32)
    output_length = jnp.full((batch,), time, jnp.int32)
    return ctc_loss(labels, y_pred, label_length, output_length, mask_index=0)


class CTC(LossFunctionWrapper):
    """The CTC (Connectionist Temporal Classification) loss; see :func:`ctc`.

    Its targets are zero-padded label sequences, ``(batch, max_label_length)``, and its
    predictions logits ``(batch, time, num_classes)``; class 0 is the blank.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "ctc",
        dtype: Any = None,
    ) -> None:
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return Loss.get_config(self)
