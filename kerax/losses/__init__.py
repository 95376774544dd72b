"""Losses with Keras's names, formulas and reduction.

A loss is called ``loss(y_true, y_pred, sample_weight=None)`` and returns a scalar
reduced with ``reduction`` (default ``"sum_over_batch_size"``: the weighted sum divided
by the number of loss values, as Keras does). ``loss.call(y_true, y_pred)`` gives the
unreduced values (one per example, the last axis reduced), which the train step reduces
with sample weights and the mask of a padded last batch.

Arguments are always ``(y_true, y_pred)``, Keras's order (optax's is the reverse).
"""

from __future__ import annotations

from typing import Any

from kerax.errors import unknown_name
from kerax.losses._base import (
    EPSILON,
    REDUCTIONS,
    Loss,
    LossFunctionWrapper,
    broadcast_weight,
    check_reduction,
    reduce_values,
    same_rank,
)
from kerax.losses._base import (
    _squeeze_sparse as _squeeze_sparse,
)
from kerax.losses._circle import Circle, circle
from kerax.losses._ctc import CTC, ctc
from kerax.losses._functions import (
    _log_probs as _log_probs,
)
from kerax.losses._functions import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from kerax.losses._generalized import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from kerax.losses._hinge import CategoricalHinge, Hinge, SquaredHinge
from kerax.losses._overlap import Dice, Tversky, dice, tversky
from kerax.losses._probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from kerax.losses._regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

_CLASSES: tuple[type[Loss], ...] = (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
)
# Built-in losses whose targets are not shaped like the model's output (labels against
# logits or embeddings): resolved by name, but not held to the output-shape check.
_OTHER_TARGETS: tuple[type[Loss], ...] = (CTC, Circle, CategoricalGeneralizedCrossEntropy)

#: Every name :func:`get` resolves: class names, function names and Keras's aliases.
_BY_NAME: dict[str, type[Loss]] = {
    **{cls.__name__: cls for cls in _CLASSES + _OTHER_TARGETS},
    "binary_crossentropy": BinaryCrossentropy,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_hinge": CategoricalHinge,
    "cosine_similarity": CosineSimilarity,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "huber": Huber,
    "huber_loss": Huber,
    "kl_divergence": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "kld": KLDivergence,
    "KLD": KLDivergence,
    "log_cosh": LogCosh,
    "logcosh": LogCosh,
    "poisson": Poisson,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "ctc": CTC,
    "circle": Circle,
    "dice": Dice,
    "tversky": Tversky,
    "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy,
}


def serialize(loss: Loss) -> dict[str, Any]:
    """Returns ``{"class_name": ..., "config": ...}`` for a built-in loss class."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict[str, Any]) -> Loss:
    """Rebuilds a loss from :func:`serialize`'s output."""
    name = config["class_name"]
    cls = _BY_NAME.get(name)
    if cls is None:
        _unknown(name)
    return cls.from_config(config.get("config", {}))


def _unknown(identifier: str) -> None:
    raise unknown_name("loss", identifier, _BY_NAME, ignore_case=True)


def get(identifier: Any) -> Loss:
    """Resolves a loss from a name, a class, an instance, a config dict or a
    ``fn(y_true, y_pred)``.

    A name gives a fresh instance whose ``name`` is that string, as Keras's
    ``compile`` names it.

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            _unknown(identifier)
        loss = cls()
        if identifier != cls.__name__:
            loss.name = identifier
        return loss
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}.")


__all__ = [
    "EPSILON",
    "REDUCTIONS",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "broadcast_weight",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "check_reduction",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "reduce_values",
    "same_rank",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]
