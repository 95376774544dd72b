"""Keras's stateful metric API over kerax's pure metric functions.

A kerax metric is three pure functions (``init``, ``update``, ``result``) over an
explicit state; ``fit`` keeps the states in its train state. Outside ``fit`` (a custom
loop, a notebook), Keras code calls the metric object itself::

    m = kerax.metrics.AUC()
    m.update_state(y_true, y_pred)
    m.result()          # the value so far
    m.reset_state()

:class:`StatefulMetric` gives :class:`~kerax.metrics.Metric` those methods as a thin
facade: the facade's state is one attribute, ``_state``, and every method only calls
the pure functions on it. ``variables`` shows that state as a list of handles, in the
order Keras lists a metric's variables, and the ``stateless_*`` methods take and return
lists of arrays in that order (jittable, as in Keras).

Metrics written the Keras way (``add_variable`` in ``__init__``, ``update_state`` that
assigns to those variables, ``result()`` that reads them) work too: their pure
functions run the Keras methods against explicit values (:class:`StateScope`), so such a
metric also runs inside ``fit``'s jitted step.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.losses._base import compute_dtype
from kerax.metrics._variables import (
    StateScope,
    StateVariable,
    check_count,
    leaves,
    named_leaves,
    rebuild,
)


def _takes_state(fn: Callable[..., Any]) -> bool:
    """Whether ``fn(self, ...)`` has a parameter after ``self`` (the state)."""
    params = list(inspect.signature(fn).parameters.values())
    return len(params) >= 2


def _with_own_state(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a subclass's ``result`` so that ``result()`` reads the facade's state.

    ``result(self, state)`` (kerax's pure form) gets ``state=None`` as "my own state";
    ``result(self)`` (Keras's form) runs against ``state`` when one is given.
    """
    pure = _takes_state(fn)

    @functools.wraps(fn)
    def result(self: StatefulMetric, state: Any = None) -> Any:
        if pure:
            return fn(self, self._own_state() if state is None else state)
        if state is None:
            return fn(self)
        saved = self._state  # ``super().result()`` reads the object's own state
        try:
            self._state = state
            with StateScope(self, leaves(state)):
                return fn(self)
        finally:
            self._state = saved

    result._kerax_own_state = True  # type: ignore[attr-defined]
    return result


class StatefulMetric:
    """Mixin of :class:`~kerax.metrics.Metric`: Keras's stateful methods.

    The facade state is ``_state`` (``None`` until first used: created by ``init()``,
    after ``build`` with the first batch's shapes for metrics whose state size depends
    on the data).
    """

    name: str
    _state: Any
    _declared: list[tuple[str, tuple[int, ...], str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("result")
        if fn is not None and not getattr(fn, "_kerax_own_state", False):
            cls.result = _with_own_state(fn)  # type: ignore[method-assign]
        # A class that writes its own ``update_state`` (Keras's way) but no ``update``
        # gets an ``update`` that runs it, so ``fit`` and ``stateless_update_state``
        # see the same update as ``update_state``.
        if "update_state" in cls.__dict__ and "update" not in cls.__dict__:
            cls.update = StatefulMetric._update_from_update_state  # type: ignore[method-assign]

    # The pure functions, declared for the facade (Metric defines them).
    def build(self, y_true_shape: tuple | None, y_pred_shape: tuple | None) -> None: ...

    def init(self) -> Any:
        raise NotImplementedError

    def update(self, state: Any, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        raise NotImplementedError

    def result(self, state: Any = None) -> jax.Array:
        raise NotImplementedError

    # ------------------------------------------------------------------ dtype
    @property
    def dtype(self) -> Any:
        """The compute dtype (``"float32"`` by default; ``"float16"`` for
        ``dtype="mixed_float16"``), as Keras's ``Metric.dtype``."""
        return compute_dtype(self.__dict__.get("_dtype"))

    @dtype.setter
    def dtype(self, value: Any) -> None:
        self._dtype = value

    # ------------------------------------------------------------------ facade state
    def _own_state(self) -> Any:
        if self._state is None:
            self._state = self.init()
        return self._state

    def _update_args(
        self, y_true: Any, y_pred: Any = None, sample_weight: Any = None
    ) -> tuple[Any, Any, Any]:
        """Binds ``update_state``'s arguments to ``update``'s ``(y_true, y_pred,
        sample_weight)``; ``Mean`` and ``Sum`` bind ``(values, sample_weight)``."""
        return y_true, y_pred, sample_weight

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Adds one batch to the metric's own state (``update`` on ``_state``).

        Takes Keras's arguments: ``(y_true, y_pred, sample_weight=None)``, or
        ``(values, sample_weight=None)`` for ``Mean`` and ``Sum``. The first call
        builds metrics whose state size depends on the data's shapes.
        """
        y_true, y_pred, sample_weight = self._update_args(*args, **kwargs)
        if self._state is None:
            self.build(np.shape(y_true), None if y_pred is None else np.shape(y_pred))
        self._state = self._pure_update()(self._own_state(), y_true, y_pred, sample_weight)

    def _pure_update(self) -> Callable[..., Any]:
        """The nearest ``update`` that is not derived from ``update_state`` (a subclass
        that overrides ``update_state`` and calls ``super().update_state`` reaches it)."""
        for klass in type(self).__mro__:
            fn = klass.__dict__.get("update")
            if fn is not None and fn is not StatefulMetric._update_from_update_state:
                return fn.__get__(self)
        raise NotImplementedError

    def reset_state(self) -> None:
        """Returns the metric's own state to ``init()``."""
        self._state = None

    def __call__(self, *args: Any, **kwargs: Any) -> jax.Array:
        """``update_state(*args, **kwargs)``, then ``result()``, as Keras."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------------ variables
    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> StateVariable:
        """Declares a state variable, for metrics written the Keras way.

        Call it in ``__init__``; ``init()`` then returns the variables' initial values
        and ``update``/``result`` run the metric's ``update_state``/``result`` on them.

        Args:
            shape: The variable's shape.
            initializer: An initializer name, instance or callable.
            dtype: Its dtype (default: the metric's dtype).
            aggregation: Accepted for Keras compatibility (kerax metrics run on one
                replica's view of the batch).
            name: Its name (default ``variable_<n>``).

        Returns:
            The handle, which reads and assigns the metric's state.
        """
        from kerax import initializers

        index = len(self._declared)
        name = name or f"variable_{index}"
        dtype = str(dtype or self.dtype or "float32")
        shape = tuple(int(d) for d in shape)
        self._declared.append((name, shape, dtype, initializers.get(initializer)))
        return StateVariable(self, index, name, shape, dtype)

    def add_weight(
        self,
        shape: Sequence[int] = (),
        initializer: Any = None,
        dtype: Any = None,
        name: Any = None,
    ) -> StateVariable:
        """``add_variable`` with Keras's ``add_weight`` defaults (zeros)."""
        return self.add_variable(shape, initializer or "zeros", dtype=dtype, name=name)

    def _declared_init(self) -> list[jax.Array]:
        from kerax import initializers

        key = jax.random.key(0)
        return [
            initializers.initialize(init, key, shape, dtype)
            for _, shape, dtype, init in self._declared
        ]

    def _own_update_state(self) -> bool:
        return type(self).update_state is not StatefulMetric.update_state

    def _run_update_state(self, state: Any, *args: Any, **kwargs: Any) -> Any:
        """The state after this object's ``update_state(*args, **kwargs)`` ran on
        ``state``; the object's own state is left as it was."""
        saved = self._state
        try:
            self._state = state
            with StateScope(self, leaves(state)) as scope:
                self.update_state(*args, **kwargs)
            new = self._state
        finally:
            self._state = saved
        # Keras-style variables wrote into the scope; facade calls into ``_state``.
        return rebuild(self._template(), scope.values) if self._declared else new

    def _update_from_update_state(
        self, state: Any, y_true: Any, y_pred: Any = None, sample_weight: Any = None
    ) -> Any:
        """``update`` of a class that defines ``update_state``: that method, run on
        ``state``."""
        return self._run_update_state(state, y_true, y_pred, sample_weight=sample_weight)

    @property
    def variables(self) -> list[StateVariable]:
        """The state as Keras lists it (Mean: total, count; AUC: true_positives,
        false_positives, true_negatives, false_negatives): handles whose ``value``
        reads the metric's own state. Empty for a metric that needs the data's
        shapes and has seen none."""
        try:
            state = self._own_state()
        except ValueError:  # the state's size depends on data not seen yet
            return []
        names = [d[0] for d in self._declared] or getattr(self, "_variable_names", None)
        names = names or [n for n, _ in named_leaves(state, like=self._template())]
        return [
            StateVariable(self, i, name, jnp.shape(v), str(jnp.asarray(v).dtype))
            for i, (name, v) in enumerate(zip(names, self._leaves(state), strict=True))
        ]

    def _read_variable(self, index: int) -> Any:
        return self._leaves(self._own_state())[index]

    def _write_variable(self, index: int, value: Any) -> None:
        values = self._leaves(self._own_state())
        values[index] = value
        self._state = rebuild(self._template(), values)

    # ------------------------------------------------------------------ stateless
    def _template(self) -> Any:
        """A state whose dicts are in ``init()``'s order, the order of ``variables``
        (an updated or jitted state may order its dict keys otherwise)."""
        return self.init()

    def _leaves(self, state: Any) -> list[Any]:
        return leaves(state, like=self._template())

    def stateless_update_state(
        self, metric_variables: Sequence[Any], *args: Any, **kwargs: Any
    ) -> list[Any]:
        """``update_state`` on explicit values: pure, jittable.

        Args:
            metric_variables: Arrays in ``variables`` order.
            *args: ``y_true, y_pred`` (or ``values`` for ``Mean``/``Sum``).
            **kwargs: ``sample_weight``.

        Returns:
            The new values, in ``variables`` order.
        """
        template = self._template()
        check_count(self, metric_variables, len(leaves(template)), "metric_variables")
        state = rebuild(template, metric_variables)
        if self._own_update_state():  # Keras's way: its update_state, on these values
            return self._leaves(self._run_update_state(state, *args, **kwargs))
        y_true, y_pred, sample_weight = self._update_args(*args, **kwargs)
        return self._leaves(self.update(state, y_true, y_pred, sample_weight))

    def stateless_result(self, metric_variables: Sequence[Any]) -> jax.Array:
        """``result`` of explicit values (in ``variables`` order); pure, jittable."""
        template = self._template()
        check_count(self, metric_variables, len(leaves(template)), "metric_variables")
        return self.result(rebuild(template, metric_variables))

    def stateless_reset_state(self) -> list[Any]:
        """The initial values, in ``variables`` order."""
        return leaves(self.init())
