"""The metric base class, and the metrics that average or sum values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from kerax._naming import to_snake_case, unique_name
from kerax.losses import broadcast_weight, same_rank
from kerax.metrics._stateful import StatefulMetric

State = Any


def as_float(x: Any) -> jax.Array:
    """``x`` as a float32 array (integer and low-precision inputs included)."""
    return jnp.asarray(x).astype(jnp.float32)


def divide_no_nan(a: jax.Array, b: jax.Array) -> jax.Array:
    """``a / b``, and 0 where ``b`` is 0."""
    safe = jnp.where(b == 0, 1.0, b)
    return jnp.where(b == 0, 0.0, a / safe)


class Metric(StatefulMetric):
    """Base class of metrics: three pure functions over an explicit state pytree.

    Subclasses implement :meth:`init`, :meth:`update` and :meth:`result`. A metric
    whose state shape depends on the data (the number of classes) reads it in
    :meth:`build`, which ``compile`` calls with the output's shape.

    Outside ``fit``, a metric also has Keras's stateful API (see
    :class:`~kerax.metrics._stateful.StatefulMetric`): ``update_state``, ``result()``,
    ``reset_state``, ``variables`` and the ``stateless_*`` methods, over a state the
    object keeps in ``_state``. A subclass may instead be written the Keras way
    (``add_variable`` in ``__init__``, ``update_state`` and ``result(self)``); kerax
    then derives ``init``/``update``/``result(state)`` from those.

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 2.0, 3.0])
        >>> float(m.result())
        2.0
        >>> float(m.result(m.update(m.init(), [4.0])))
        4.0

    Args:
        name: Name used in logs. Defaults to the snake-case class name, made unique
            (``precision``, ``precision_1``, ...), as Keras names metrics.
        dtype: Dtype of the state.
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = dtype or "float32"
        self._state: State = None
        self._declared: list[tuple[str, tuple[int, ...], str, Any]] = []

    def build(self, y_true_shape: tuple | None, y_pred_shape: tuple | None) -> None:
        """Reads the data shapes the state depends on (nothing by default)."""

    def init(self) -> State:
        """Returns the initial state (a Keras-style metric's: its variables' values)."""
        if self._declared:
            return self._declared_init()
        raise NotImplementedError

    def update(self, state: State, y_true: Any, y_pred: Any, sample_weight: Any = None) -> State:
        """Returns the state after one batch; pure and jittable."""
        raise NotImplementedError

    def result(self, state: State = None) -> jax.Array:
        """Returns the metric's value for ``state`` (None: the object's own state)."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Returns the arguments that rebuild this metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuilds a metric from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """The (weighted) mean of the values it is given: ``update(state, values, weight)``.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    _variable_names = ("total", "count")

    def __init__(self, name: str | None = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def _update_args(self, values: Any, sample_weight: Any = None) -> tuple[Any, Any, Any]:
        return values, None, sample_weight

    def init(self) -> State:
        return (jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32))

    def update_values(self, state: State, values: Any, sample_weight: Any = None) -> State:
        """Adds ``values`` (weighted by ``sample_weight``, broadcast per example).

        As in Keras, each example's values are first averaged to one number (over the
        axes the weight does not have), so ``count`` counts examples, not entries.
        """
        values = as_float(values)
        if sample_weight is None:
            weight = jnp.ones(values.shape[:1], jnp.float32)
        else:
            weight = jnp.asarray(sample_weight, jnp.float32)
            values, weight = same_rank(values, weight)
            if values.ndim > weight.ndim:
                values = jnp.mean(values, axis=tuple(range(weight.ndim, values.ndim)))
            weight = jnp.broadcast_to(broadcast_weight(weight, values), values.shape)
            values = values * weight
            weight = jnp.mean(weight, axis=tuple(range(1, weight.ndim)))
        values = jnp.mean(values, axis=tuple(range(1, values.ndim)))
        total, count = state
        return (total + jnp.sum(values), count + jnp.sum(weight))

    def update(self, state, y_true, y_pred=None, sample_weight=None):
        return self.update_values(state, y_true, sample_weight)

    def result(self, state: State = None) -> jax.Array:
        total, count = state
        return divide_no_nan(total, count)


class Sum(Metric):
    """The (weighted) sum of the values it is given: ``update(state, values, weight)``.

    Args:
        name: Name used in logs.
        dtype: Dtype of the state.
    """

    _variable_names = ("total",)

    def __init__(self, name: str | None = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def _update_args(self, values: Any, sample_weight: Any = None) -> tuple[Any, Any, Any]:
        return values, None, sample_weight

    def init(self) -> State:
        return jnp.zeros((), jnp.float32)

    def update_values(self, state: State, values: Any, sample_weight: Any = None) -> State:
        """Adds ``values`` (weighted by ``sample_weight``, broadcast per example)."""
        values = as_float(values)
        if sample_weight is not None:
            values = values * broadcast_weight(sample_weight, values)
        return state + jnp.sum(values)

    def update(self, state, y_true, y_pred=None, sample_weight=None):
        return self.update_values(state, y_true, sample_weight)

    def result(self, state: State = None) -> jax.Array:
        return state


class MeanMetricWrapper(Mean):
    """The weighted mean of ``fn(y_true, y_pred, **kwargs)`` over all examples seen.

    Args:
        fn: The per-example function.
        name: Name used in logs; defaults to the function's name.
        dtype: Dtype of the state.
        **kwargs: Passed on to ``fn``.
    """

    # ``update_state(y_true, y_pred, sample_weight=None)``, not Mean's ``(values, ...)``.
    _update_args = StatefulMetric._update_args

    def __init__(
        self,
        fn: Callable[..., jax.Array],
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update(self, state, y_true, y_pred, sample_weight=None):
        values = self.fn(jnp.asarray(y_true), jnp.asarray(y_pred), **self.fn_kwargs)
        return self.update_values(state, values, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        if cls is MeanMetricWrapper:
            raise ValueError(
                "A MeanMetricWrapper's config holds no function; rebuild it with "
                "MeanMetricWrapper(fn, **config)."
            )
        return cls(**config)
