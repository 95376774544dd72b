"""Metrics as pure state machines, with Keras's names.

A metric is three pure functions over an explicit state pytree:
``init() -> state``, ``update(state, y_true, y_pred, sample_weight) -> state`` and
``result(state) -> value``. The train state holds every metric's state, so metrics
update inside the jitted step and are read only at log points. Metrics whose state
size depends on the data (``F1Score``, ``R2Score``, multi-label ``AUC``) read it in
``build(y_true_shape, y_pred_shape)``, which :func:`get` calls with the output shape.

Outside ``fit``, metrics have Keras's stateful API over those functions
(``update_state``, ``result()``, ``reset_state``, ``variables``, ``stateless_*``; see
:mod:`kerax.metrics._stateful`), and a metric may be written the Keras way
(``add_variable`` + ``update_state`` + ``result()``) and still run inside ``fit``.
"""

from __future__ import annotations

from typing import Any

from kerax._naming import to_snake_case
from kerax.errors import unknown_name
from kerax.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
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
from kerax.metrics._auc import AUC
from kerax.metrics._base import (
    Mean,
    MeanMetricWrapper,
    Metric,
    State,
    Sum,
    divide_no_nan,
)
from kerax.metrics._confusion import (
    FalseNegatives,
    FalsePositives,
    TrueNegatives,
    TruePositives,
    confusion_counts,
)
from kerax.metrics._correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from kerax.metrics._iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerax.metrics._precision_recall import Precision, Recall
from kerax.metrics._scores import F1Score, FBetaScore, R2Score
from kerax.metrics._sensitivity_specificity import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from kerax.metrics._wrapped import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

_CLASSES: tuple[type[Metric], ...] = (
    Mean,
    Sum,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    ConcordanceCorrelation,
)

#: Every name :func:`get` resolves: class names, their snake-case forms, Keras's aliases.
_BY_NAME: dict[str, type[Metric]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{to_snake_case(cls.__name__): cls for cls in _CLASSES},
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
    "rmse": RootMeanSquaredError,
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "kld": KLDivergence,
    "KLD": KLDivergence,
    "logcosh": LogCoshError,
    "log_cosh": LogCoshError,
    "log_cosh_error": LogCoshError,
    "auc": AUC,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_iou": MeanIoU,
}
_ACCURACY_NAMES = ("accuracy", "acc")


def serialize(metric: Metric) -> dict[str, Any]:
    """Returns ``{"class_name": ..., "config": ...}`` for a built-in metric class."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config: dict[str, Any]) -> Metric:
    """Rebuilds a metric from :func:`serialize`'s output."""
    name = config["class_name"]
    cls = _BY_NAME.get(name)
    if cls is None:
        _unknown(name)
    return cls.from_config(config.get("config", {}))


def _unknown(identifier: str) -> None:
    raise unknown_name("metric", identifier, {*_BY_NAME, *_ACCURACY_NAMES}, ignore_case=True)


def _accuracy_class(
    y_true_shape: tuple | None, y_pred_shape: tuple | None, loss_name: str | None
) -> type[Metric]:
    loss_name = loss_name or ""
    binary = "binary" in loss_name or (y_pred_shape is not None and y_pred_shape[-1] == 1)
    sparse = "sparse" in loss_name or (
        y_true_shape is not None
        and y_pred_shape is not None
        and (
            len(y_true_shape) == len(y_pred_shape) - 1
            or (y_true_shape[-1] == 1 and y_pred_shape[-1] != 1)
        )
    )
    if binary:
        return BinaryAccuracy
    return SparseCategoricalAccuracy if sparse else CategoricalAccuracy


def get(
    identifier: Any,
    y_true_shape: tuple | None = None,
    y_pred_shape: tuple | None = None,
    loss_name: str | None = None,
) -> Metric:
    """Resolves a metric from a name, a class, an instance, a config dict or a
    ``fn(y_true, y_pred)``, and builds it for the given shapes.

    ``"accuracy"`` / ``"acc"`` picks the variant Keras picks: binary accuracy for a
    single-unit output or a binary loss, sparse categorical accuracy for integer labels
    (or a sparse loss), categorical accuracy otherwise. A metric named by a string logs
    under that string, as in Keras.

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if isinstance(identifier, Metric):
        metric = identifier
    elif isinstance(identifier, type) and issubclass(identifier, Metric):
        metric = identifier()
    elif isinstance(identifier, dict):
        metric = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier.lower() in _ACCURACY_NAMES:
            cls = _accuracy_class(y_true_shape, y_pred_shape, loss_name)
        else:
            cls = _BY_NAME.get(identifier)
            if cls is None:
                _unknown(identifier)
        metric = cls(name=identifier)
    elif callable(identifier):
        metric = MeanMetricWrapper(identifier)
    else:
        raise ValueError(f"Could not interpret metric identifier: {identifier!r}.")
    if y_true_shape is not None or y_pred_shape is not None:
        metric.build(y_true_shape, y_pred_shape)
    return metric


# The direction a monitoring callback follows with ``mode="auto"`` (Keras's
# ``_direction``): which way each metric improves. Counts (TruePositives, ...) have none.
for _cls, _way in (
    *((c, "up") for c in (
        AUC, Accuracy, BinaryAccuracy, BinaryIoU, CategoricalAccuracy, ConcordanceCorrelation,
        CosineSimilarity, F1Score, FBetaScore, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
        PearsonCorrelation, Precision, PrecisionAtRecall, R2Score, Recall, RecallAtPrecision,
        SensitivityAtSpecificity, SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
        SpecificityAtSensitivity, TopKCategoricalAccuracy,
    )),
    *((c, "down") for c in (
        BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge, KLDivergence,
        LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
        MeanSquaredLogarithmicError, Poisson, RootMeanSquaredError,
        SparseCategoricalCrossentropy, SquaredHinge,
    )),
):  # fmt: skip
    _cls._direction = _way

__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "State",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "confusion_counts",
    "deserialize",
    "divide_no_nan",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
