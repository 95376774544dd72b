"""Losses with Keras's names, formulas and reduction.

A loss is called ``loss(y_true, y_pred, sample_weight=None)`` and returns a scalar
reduced with ``reduction`` (default ``"sum_over_batch_size"``: the weighted sum divided
by the number of loss values, as Keras does). ``loss.call(y_true, y_pred)`` gives the
unreduced values (one per example, the last axis reduced), which the train step reduces
with sample weights and the mask of a padded last batch.

Arguments are always ``(y_true, y_pred)``, Keras's order (optax's is the reverse).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


def _squeeze_sparse(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    return y_true


def _log_probs(y_pred: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    """Log-probabilities from logits, or from probabilities renormalised and clipped to
    ``[EPSILON, 1 - EPSILON]`` as Keras does."""
    if from_logits:
        return jax.nn.log_softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(output, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Crossentropy between one-hot (or soft) labels and predicted probabilities."""
    y_true = jnp.asarray(y_true, y_pred.dtype)
    if label_smoothing:
        num_classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    log_prob = _log_probs(y_pred, from_logits, axis)
    return -jnp.sum(y_true * log_prob, axis=axis)


def sparse_categorical_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> jax.Array:
    """Crossentropy between integer labels and predicted probabilities."""
    y_true = _squeeze_sparse(jnp.asarray(y_true), y_pred)
    labels = y_true.astype(jnp.int32)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = jnp.where(valid, labels, 0)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[axis], dtype=y_pred.dtype, axis=axis)
    log_prob = _log_probs(y_pred, from_logits, axis)
    out = -jnp.sum(one_hot * log_prob, axis=axis)
    return out if valid is None else jnp.where(valid, out, 0.0)


def binary_crossentropy(
    y_true: jax.Array,
    y_pred: jax.Array,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Crossentropy between binary labels and predicted probabilities, averaged over
    the last axis."""
    y_true = jnp.asarray(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = -y_true * jax.nn.log_sigmoid(y_pred) - (1.0 - y_true) * jax.nn.log_sigmoid(-y_pred)
    else:
        p = jnp.clip(y_pred, EPSILON, 1.0 - EPSILON)
        values = -(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))
    return jnp.mean(values, axis=axis)


def mean_squared_error(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean((y_pred - y_true) ** 2)`` over the last axis."""
    return jnp.mean(jnp.square(y_pred - jnp.asarray(y_true, y_pred.dtype)), axis=-1)


def mean_absolute_error(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """``mean(|y_pred - y_true|)`` over the last axis."""
    return jnp.mean(jnp.abs(y_pred - jnp.asarray(y_true, y_pred.dtype)), axis=-1)


def reduce_values(values: jax.Array, sample_weight: Any = None, reduction: Any = None) -> jax.Array:
    """Applies ``sample_weight`` and Keras's ``reduction`` to unreduced loss values."""
    reduction = "sum_over_batch_size" if reduction is None else reduction
    if sample_weight is not None:
        values = values * broadcast_weight(sample_weight, values)
    if reduction == "none":
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    return total / values.size


def broadcast_weight(weight: Any, values: jax.Array) -> jax.Array:
    """Reshapes per-example weights so they broadcast against ``values``."""
    weight = jnp.asarray(weight, values.dtype)
    while weight.ndim > values.ndim and weight.shape[-1] == 1:
        weight = jnp.squeeze(weight, -1)
    while weight.ndim < values.ndim:
        weight = weight[..., None]
    return weight


class Loss:
    """Base class of losses.

    Args:
        name: Name used in logs.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"`` or
            ``"none"``.
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size"):
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"Invalid value for argument `reduction`: expected one of {REDUCTIONS[:-1]}, "
                f"received reduction={reduction!r}."
            )
        self.name = name or type(self).__name__
        self.reduction = reduction

    def call(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> jax.Array:
        y_pred = jnp.asarray(y_pred)
        return reduce_values(self.call(jnp.asarray(y_true), y_pred), sample_weight, self.reduction)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A loss from a function ``fn(y_true, y_pred, **kwargs) -> values``."""

    def __init__(
        self,
        fn: Callable[..., jax.Array],
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _wrapper(
    fn: Callable[..., jax.Array], default_name: str, doc: str
) -> type[LossFunctionWrapper]:
    import inspect

    extra = [p for p in inspect.signature(fn).parameters.values() if p.default is not p.empty]

    def __init__(
        self,
        *args: Any,
        reduction: str | None = "sum_over_batch_size",
        name: str = default_name,
        **kwargs: Any,
    ) -> None:
        for param, value in zip(extra, args):
            kwargs[param.name] = value
        for param in extra:
            kwargs.setdefault(param.name, param.default)
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, **kwargs)

    def from_config(cls, config):
        return cls(**config)

    cls_name = "".join(part.capitalize() for part in default_name.split("_"))
    return type(
        cls_name,
        (LossFunctionWrapper,),
        {"__init__": __init__, "__doc__": doc, "from_config": classmethod(from_config)},
    )


CategoricalCrossentropy = _wrapper(
    categorical_crossentropy,
    "categorical_crossentropy",
    "Crossentropy for one-hot labels. Args: ``from_logits``, ``label_smoothing``, ``axis``.",
)
SparseCategoricalCrossentropy = _wrapper(
    sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    "Crossentropy for integer labels. Args: ``from_logits``, ``ignore_class``, ``axis``.",
)
BinaryCrossentropy = _wrapper(
    binary_crossentropy,
    "binary_crossentropy",
    "Crossentropy for 0/1 labels. Args: ``from_logits``, ``label_smoothing``, ``axis``.",
)
MeanSquaredError = _wrapper(mean_squared_error, "mean_squared_error", "Mean of squared errors.")
MeanAbsoluteError = _wrapper(mean_absolute_error, "mean_absolute_error", "Mean of absolute errors.")

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_BY_NAME: dict[str, type[Loss]] = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}


def get(identifier: Any) -> Loss:
    """Resolves a loss from a name, a class, an instance or a ``fn(y_true, y_pred)``.

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or {c.__name__: c for c in _BY_NAME.values()}.get(identifier)
        if cls is not None:
            loss = cls()
            loss.name = identifier if identifier in _BY_NAME else loss.name
            return loss
        close = difflib.get_close_matches(identifier, _BY_NAME, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown loss: {identifier!r}.{hint} Known names: {', '.join(sorted(_BY_NAME))}."
        )
    if callable(identifier):
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", "loss"))
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}.")
