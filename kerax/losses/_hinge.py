"""Hinge losses: margin losses for labels in {-1, 1} (0 and 1 are mapped there)
and their categorical form."""

from __future__ import annotations

from typing import Any

from kerax.losses import _functions as F
from kerax.losses._base import LossFunctionWrapper


class Hinge(LossFunctionWrapper):
    """Hinge loss (0/1 labels mapped to -1/1).

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.hinge,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss (0/1 labels mapped to -1/1).

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "squared_hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.squared_hinge,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels.

    Args:
        reduction: See :class:`~kerax.losses.Loss`.
        name: Name used in logs.
        dtype: Accepted for Keras compatibility.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            F.categorical_hinge,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )
