"""Regression losses: errors between real-valued targets and predictions."""

from __future__ import annotations

from typing import Any

from kerax.losses import _functions as F
from kerax.losses._base import LossFunctionWrapper


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors over the last axis.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_squared_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.mean_squared_error,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors over the last axis.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_absolute_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.mean_absolute_error,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error over the last axis.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_absolute_percentage_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.mean_absolute_percentage_error,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error over the last axis.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_squared_logarithmic_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.mean_squared_logarithmic_error,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along ``axis``.

    Args:
        axis: The axis the loss reduces.
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "cosine_similarity",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.cosine_similarity,
            reduction=reduction,
            name=name,
            dtype=dtype,
            axis=axis,
        )


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic below ``delta``, linear above.

    Args:
        delta: Where the loss turns from quadratic to linear.
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "huber_loss",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.huber,
            reduction=reduction,
            name=name,
            dtype=dtype,
            delta=delta,
        )


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "log_cosh",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.log_cosh,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
