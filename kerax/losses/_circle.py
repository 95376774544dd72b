"""The Circle loss, for metric learning on L2-normalized embeddings."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses._base import LossFunctionWrapper


def circle(
    y_true: jax.Array,
    y_pred: jax.Array,
    ref_labels: jax.Array | None = None,
    ref_embeddings: jax.Array | None = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> jax.Array:
    """The Circle loss of each query embedding against the reference embeddings.

    With ``d`` the clipped cosine distance ``max(1 - q . r, 0)``, positives (same label)
    contribute ``-gamma * max(margin + d, 0) * (margin - d)`` and negatives (other label)
    ``gamma * max(1 + margin - d, 0) * (1 - margin - d)``; the loss of a query is
    ``softplus(logsumexp(positives) + logsumexp(negatives))``. A query without
    positives or without negatives has loss 0.

    Args:
        y_true: Integer labels, ``(batch,)``.
        y_pred: L2-normalized embeddings, ``(batch, dim)``.
        ref_labels: Labels of the reference embeddings; defaults to ``y_true``.
        ref_embeddings: L2-normalized reference embeddings; defaults to ``y_pred``.
        remove_diagonal: Whether a query is not its own positive (query ``i`` against
            reference ``i``).
        gamma: Scale of the similarity scores.
        margin: The relaxation margin.

    Returns:
        The loss per query, ``(batch,)``.
    """
    return _circle(
        jnp.asarray(y_true),
        jnp.asarray(y_pred),
        None if ref_labels is None else jnp.asarray(ref_labels),
        None if ref_embeddings is None else jnp.asarray(ref_embeddings),
        bool(remove_diagonal),
        gamma,
        margin,
    )


# One program rather than a few dozen single-op ones when called eagerly; inlined into
# an enclosing trace (the train step) as any function is.
@functools.partial(jax.jit, static_argnames=("remove_diagonal",))
def _circle(
    y_true: jax.Array,
    y_pred: jax.Array,
    ref_labels: jax.Array | None,
    ref_embeddings: jax.Array | None,
    remove_diagonal: bool,
    gamma: Any,
    margin: Any,
) -> jax.Array:
    labels = y_true.astype(jnp.int32).reshape(-1)
    refs = y_pred if ref_embeddings is None else jnp.asarray(ref_embeddings, y_pred.dtype)
    ref_lab = labels if ref_labels is None else jnp.asarray(ref_labels).astype(jnp.int32)
    ref_lab = ref_lab.reshape(-1)
    dist = jnp.maximum(1.0 - y_pred @ refs.T, 0.0)
    positive = labels[:, None] == ref_lab[None, :]
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~jnp.eye(labels.size, ref_lab.size, dtype=bool)
    pos_weight = jnp.maximum((margin + dist) * positive, 0.0)
    neg_weight = jnp.maximum((1.0 + margin - dist) * negative, 0.0)
    pos_logits = -gamma * pos_weight * (margin - dist)
    neg_logits = gamma * neg_weight * (1.0 - margin - dist)
    pos_term = jax.nn.logsumexp(jnp.where(positive, pos_logits, -jnp.inf), axis=1)
    neg_term = jax.nn.logsumexp(jnp.where(negative, neg_logits, -jnp.inf), axis=1)
    return jax.nn.softplus(pos_term + neg_term)


class Circle(LossFunctionWrapper):
    """The Circle loss between integer labels and L2-normalized embeddings.

    Each embedding of the batch is compared with every other one (see :func:`circle`).
    The reduction averages over the embeddings whose loss is positive, as Keras does:
    those with no positive or no negative in the batch do not count.

    Args:
        gamma: Scale of the similarity scores (default 80).
        margin: The relaxation margin (default 0.4).
        remove_diagonal: Whether an embedding is not its own positive (default True).
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "circle",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            circle,
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def mask(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
        return (self.call(y_true, y_pred) > 0).astype(jnp.float32)
