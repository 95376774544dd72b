"""Probabilistic losses: crossentropies (plain and focal, binary, categorical and
sparse), the Kullback-Leibler divergence and the Poisson loss."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses import _functions as F
from kerax.losses._base import LossFunctionWrapper


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence of ``y_pred`` from ``y_true``.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "kl_divergence",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.kl_divergence,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class Poisson(LossFunctionWrapper):
    """Poisson loss: ``y_pred - y_true * log(y_pred)``.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "poisson",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.poisson,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy for 0/1 labels.

    Args:
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Label smoothing in ``[0, 1]``.
        axis: The axis the loss reduces.
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Focal crossentropy for 0/1 labels.

    Args:
        apply_class_balancing: Weigh positives by ``alpha`` and negatives by ``1 - alpha``.
        alpha: The weighting factor.
        gamma: The focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Label smoothing in ``[0, 1]``.
        axis: The axis the loss reduces.
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for one-hot labels.

    Args:
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Label smoothing in ``[0, 1]``.
        axis: The axis the loss reduces.
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Focal crossentropy for one-hot labels.

    Args:
        alpha: The weighting factor.
        gamma: The focusing exponent.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: Label smoothing in ``[0, 1]``.
        axis: The axis the loss reduces.
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer labels.

    Args:
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label left out of the loss: its entries count 0 and the mean
            runs over the other entries only.
        reduction: See :class:`~kerax.losses.Loss`.
        axis: The class axis.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str | None = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )

    def mask(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array | None:
        ignore_class = self.fn_kwargs["ignore_class"]
        if ignore_class is None:
            return None
        axis = self.fn_kwargs["axis"]
        y_true = jnp.asarray(y_true)
        y_pred = jnp.asarray(y_pred)
        if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
            y_true = jnp.squeeze(y_true, axis)
        return y_true != ignore_class
