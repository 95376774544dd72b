"""Metrics as pure state machines, with Keras's names.

A metric is three pure functions over an explicit state pytree:
``init() -> state``, ``update(state, y_true, y_pred, sample_weight) -> state`` and
``result(state) -> scalar``. The train state holds every metric's state, so metrics
update inside the jitted step and are read only at log points.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from kerax.losses import _squeeze_sparse, broadcast_weight

State = Any


class Metric:
    """Base class of metrics.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str | None = None, dtype: Any = "float32") -> None:
        self.name = name or type(self).__name__.lower()
        self.dtype = dtype

    def init(self) -> State:
        raise NotImplementedError

    def update(self, state: State, y_true: Any, y_pred: Any, sample_weight: Any = None) -> State:
        raise NotImplementedError

    def result(self, state: State) -> jax.Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class Mean(Metric):
    """The (weighted) mean of the values it is given: ``update(state, values, weight)``."""

    def init(self) -> State:
        return (jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32))

    def update_values(self, state: State, values: Any, sample_weight: Any = None) -> State:
        values = jnp.asarray(values, jnp.float32)
        if sample_weight is None:
            weight = jnp.ones_like(values)
        else:
            weight = jnp.broadcast_to(broadcast_weight(sample_weight, values), values.shape)
        total, count = state
        return (total + jnp.sum(values * weight), count + jnp.sum(weight))

    def update(self, state, y_true, y_pred=None, sample_weight=None):
        return self.update_values(state, y_true, sample_weight)

    def result(self, state: State) -> jax.Array:
        total, count = state
        return jnp.where(count > 0, total / jnp.maximum(count, 1e-12), 0.0)


class MeanMetricWrapper(Mean):
    """The weighted mean of ``fn(y_true, y_pred)`` over all examples seen."""

    def __init__(
        self,
        fn: Callable[..., jax.Array],
        name: str | None = None,
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update(self, state, y_true, y_pred, sample_weight=None):
        values = self.fn(jnp.asarray(y_true), jnp.asarray(y_pred), **self.fn_kwargs)
        return self.update_values(state, values, sample_weight)


def accuracy(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """1.0 where ``y_pred == y_true`` exactly."""
    return jnp.equal(y_true, y_pred).astype(jnp.float32)


def binary_accuracy(y_true: jax.Array, y_pred: jax.Array, threshold: float = 0.5) -> jax.Array:
    """Mean over the last axis of ``(y_pred > threshold) == y_true``."""
    pred = (y_pred > threshold).astype(y_pred.dtype)
    return jnp.mean(jnp.equal(jnp.asarray(y_true, y_pred.dtype), pred).astype(jnp.float32), -1)


def categorical_accuracy(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """1.0 where the arg-max of ``y_pred`` equals the arg-max of one-hot ``y_true``."""
    return jnp.equal(jnp.argmax(y_true, -1), jnp.argmax(y_pred, -1)).astype(jnp.float32)


def sparse_categorical_accuracy(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """1.0 where the arg-max of ``y_pred`` equals the integer label ``y_true``."""
    y_true = _squeeze_sparse(y_true, y_pred)
    return jnp.equal(y_true.astype(jnp.int32), jnp.argmax(y_pred, -1)).astype(jnp.float32)


def _wrapper(fn: Callable[..., jax.Array], name: str) -> type[MeanMetricWrapper]:
    def __init__(self, name: str = name, dtype: Any = "float32", **kwargs: Any) -> None:
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **kwargs)

    cls_name = "".join(p.capitalize() for p in name.split("_"))
    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": fn.__doc__})


Accuracy = _wrapper(accuracy, "accuracy")
BinaryAccuracy = _wrapper(binary_accuracy, "binary_accuracy")
CategoricalAccuracy = _wrapper(categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper(sparse_categorical_accuracy, "sparse_categorical_accuracy")

_BY_NAME: dict[str, type[Metric]] = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean": Mean,
}


def get(
    identifier: Any,
    y_true_shape: tuple | None = None,
    y_pred_shape: tuple | None = None,
    loss_name: str | None = None,
) -> Metric:
    """Resolves a metric from a name, a class, an instance or a ``fn(y_true, y_pred)``.

    ``"accuracy"`` / ``"acc"`` picks the variant Keras picks: binary accuracy for a
    single-unit output or a binary loss, sparse categorical accuracy for integer labels
    (or a sparse loss), categorical accuracy otherwise; the logged name stays
    ``"accuracy"``.

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
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
            cls = (
                BinaryAccuracy
                if binary
                else (SparseCategoricalAccuracy if sparse else CategoricalAccuracy)
            )
            return cls(name=identifier)
        cls = _BY_NAME.get(identifier) or {c.__name__: c for c in _BY_NAME.values()}.get(identifier)
        if cls is not None:
            return cls()
        known = sorted([*_BY_NAME, "accuracy"])
        close = difflib.get_close_matches(identifier, known, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown metric: {identifier!r}.{hint} Known names: {', '.join(known)}.")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}.")
