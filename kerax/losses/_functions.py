"""Loss functions with Keras's names, arguments and formulas.

Each takes ``(y_true, y_pred)`` (Keras's order) and returns the unreduced loss, one
value per example (the class axis, or the last axis, reduced).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from kerax.losses._base import EPSILON, same_rank


def _prepare(y_true: jax.Array, y_pred: jax.Array, squeeze: bool = True):
    y_pred = jnp.asarray(y_pred)
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype(jnp.float32)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    if squeeze:
        y_true, y_pred = same_rank(y_true, y_pred)
    return y_true, y_pred


def _log_probs(y_pred: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    """Log-probabilities from logits, or from probabilities renormalised and clipped to
    ``[EPSILON, 1 - EPSILON]`` as Keras does."""
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(output, EPSILON, 1.0 - EPSILON))


def _check_axis(axis: int) -> None:
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis}")


def _binary_crossentropy_values(
    y_true: jax.Array, y_pred: jax.Array, from_logits: bool
) -> jax.Array:
    if from_logits:
        return -y_true * jax.nn.log_sigmoid(y_pred) - (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred)
    p = jnp.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))


def categorical_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Crossentropy between one-hot (or soft) labels and predicted probabilities.

    Args:
        y_true: One-hot labels, shaped like ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Mixes the labels with the uniform distribution over the
            classes (of ``y_true``'s last axis, as Keras).
        axis: The class axis.
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    return -jnp.sum(y_true * _log_probs(y_pred, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> jax.Array:
    """Crossentropy between integer labels and predicted probabilities.

    Args:
        y_true: Integer labels, shaped like ``y_pred`` without the class axis (or
            with a unit class axis).
        y_pred: Probabilities, or logits when ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label whose entries get a loss of 0 (and which the class
            form leaves out of the mean).
        axis: The class axis.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis)
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = jnp.where(valid, y_true, 0)
    labels = y_true.astype(jnp.int32)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[axis], dtype=y_pred.dtype, axis=axis)
    out = -jnp.sum(one_hot * _log_probs(y_pred, from_logits, axis), axis=axis)
    return out if valid is None else jnp.where(valid, out, 0.0)


def binary_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Crossentropy between 0/1 labels and probabilities, averaged over ``axis``.

    Args:
        y_true: 0/1 labels, shaped like ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Squeezes the labels towards 0.5.
        axis: The axis averaged over.
    """
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if y_pred.ndim and y_pred.shape[axis] == 1 and y_true.shape == y_pred.shape:
        # The mean of one value is that value: computing on the squeezed arrays gives the
        # same numbers, and XLA's CPU compiler handles a trailing axis of 1 in the
        # gradient of this expression badly (10x slower measured at (256, 64, 1)).
        y_true, y_pred = jnp.squeeze(y_true, axis), jnp.squeeze(y_pred, axis)
        return _binary_crossentropy_values(y_true, y_pred, from_logits)
    return jnp.mean(_binary_crossentropy_values(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma``, averaged over ``axis``.

    Args:
        y_true: 0/1 labels, shaped like ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits``.
        apply_class_balancing: Also weighs positives by ``alpha`` and negatives by
            ``1 - alpha``.
        alpha: The class balance weight.
        gamma: The focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Squeezes the labels towards 0.5.
        axis: The axis averaged over.
    """
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _binary_crossentropy_values(y_true, y_pred, False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Categorical crossentropy scaled per class by ``alpha * (1 - p) ** gamma``.

    Args:
        y_true: One-hot labels, shaped like ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits``.
        alpha: The weighting factor.
        gamma: The focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Mixes the labels with the uniform distribution.
        axis: The class axis.
    """
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * jnp.log(output)
    return jnp.sum(alpha * jnp.power(1.0 - output, gamma) * cce, axis=axis)


def mean_squared_error(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean((y_true - y_pred) ** 2)`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean(|y_true - y_pred|)`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, EPSILON))`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), EPSILON))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """Mean over the last axis of ``(log(1 + y_pred) - log(1 + y_true)) ** 2``, both
    floored at ``EPSILON``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    first = jnp.log(jnp.maximum(y_pred, EPSILON) + 1.0)
    second = jnp.log(jnp.maximum(y_true, EPSILON) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def _l2_normalize(x: jax.Array, axis: int) -> jax.Array:
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / EPSILON)


def cosine_similarity(y_true: jax.Array, y_pred: jax.Array, axis: int = -1) -> jax.Array:
    """Negative cosine similarity along ``axis`` (-1 for aligned vectors, 0 when
    orthogonal or a vector is zero)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true: jax.Array, y_pred: jax.Array, delta: float = 1.0) -> jax.Array:
    """Mean over the last axis of ``0.5 * e ** 2`` where ``|e| <= delta`` and
    ``delta * |e| - 0.5 * delta ** 2`` elsewhere, with ``e = y_pred - y_true``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    delta = jnp.asarray(delta, y_pred.dtype)
    return jnp.mean(
        jnp.where(
            abs_error <= delta, 0.5 * jnp.square(error), delta * abs_error - 0.5 * jnp.square(delta)
        ),
        axis=-1,
    )


def log_cosh(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """Mean over the last axis of ``log(cosh(y_pred - y_true))``, computed stably."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - jnp.log(2.0).astype(x.dtype), axis=-1)


def kl_divergence(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``sum(y_true * log(y_true / y_pred))`` over the last axis, both clipped to
    ``[EPSILON, 1]``."""
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    y_true = jnp.clip(y_true, EPSILON, 1.0)
    y_pred = jnp.clip(y_pred, EPSILON, 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean(y_pred - y_true * log(y_pred + EPSILON))`` over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + EPSILON), axis=-1)


def _hinge_labels(y_true: jax.Array) -> jax.Array:
    """Maps 0/1 labels to -1/1 when every label is 0 or 1 (Keras's rule)."""
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean(max(1 - y_true * y_pred, 0))`` over the last axis, 0/1 labels mapped to
    -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    y_true = _hinge_labels(y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean(max(1 - y_true * y_pred, 0) ** 2)`` over the last axis, 0/1 labels
    mapped to -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    y_true = _hinge_labels(y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last
    axis."""
    y_true, y_pred = _prepare(y_true, y_pred, squeeze=False)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)
