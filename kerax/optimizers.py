"""Optimizers with Keras's names, defaults and update formulas, built on optax.

Each optimizer builds an ``optax.GradientTransformation`` whose hyper-parameters live
in its state (``optax.inject_hyperparams``), so ``model.optimizer.learning_rate = x``
takes effect without recompiling. Any ``optax.GradientTransformation`` is accepted by
``compile`` as it is.
"""

from __future__ import annotations

import difflib
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class Optimizer:
    """Base class: Keras's hyper-parameters in, an optax transformation out.

    Args:
        learning_rate: A float or a schedule ``fn(step) -> lr``.
        name: Name of the optimizer.
    """

    def __init__(self, learning_rate: Any = 0.001, name: str | None = None) -> None:
        self._learning_rate = learning_rate
        self.name = name or type(self).__name__.lower()
        self._model: Any = None

    def _factory(self, learning_rate: Any) -> optax.GradientTransformation:
        raise NotImplementedError

    def transform(self) -> optax.GradientTransformation:
        """The optax transformation; its ``learning_rate`` is a state hyper-parameter."""
        return optax.inject_hyperparams(self._factory)(learning_rate=self._learning_rate)

    @property
    def learning_rate(self) -> Any:
        """The current learning rate (read from the live train state when training)."""
        state = self._model._live_opt_state() if self._model is not None else None
        if state is not None and hasattr(state, "hyperparams"):
            return float(state.hyperparams["learning_rate"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self._learning_rate = value
        if self._model is not None:
            self._model._set_learning_rate(value)

    def get_config(self) -> dict[str, Any]:
        lr = self._learning_rate
        return {"name": self.name, "learning_rate": lr if isinstance(lr, float | int) else None}


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum.

    Args:
        learning_rate: Default 0.01.
        momentum: Default 0.0.
        nesterov: Default False.
    """

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str = "SGD",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, name)
        if momentum < 0:
            raise ValueError(f"`momentum` must be non-negative, received momentum={momentum}.")
        self.momentum, self.nesterov = momentum, nesterov

    def _factory(self, learning_rate):
        return optax.sgd(learning_rate, momentum=self.momentum or None, nesterov=self.nesterov)


class RMSprop(Optimizer):
    """RMSprop as Keras computes it: ``lr * g / sqrt(v + epsilon)``.

    Args:
        learning_rate: Default 0.001.
        rho: Decay of the squared-gradient average; default 0.9.
        momentum: Default 0.0.
        epsilon: Default 1e-7.
        centered: Default False.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        name: str = "rmsprop",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, name)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _factory(self, learning_rate):
        return optax.rmsprop(
            learning_rate,
            decay=self.rho,
            eps=self.epsilon,
            centered=self.centered,
            momentum=self.momentum or None,
        )


class _AdamState(NamedTuple):
    count: jax.Array
    m: Any
    v: Any


def scale_by_keras_adam(
    beta_1: float, beta_2: float, epsilon: float
) -> optax.GradientTransformation:
    """Adam's scaling with Keras's placement of epsilon (outside the bias correction)."""

    def init(params):
        zeros = lambda: jax.tree_util.tree_map(jnp.zeros_like, params)  # noqa: E731
        return _AdamState(jnp.zeros((), jnp.int32), zeros(), zeros())

    def update(grads, state, params=None):
        count = state.count + 1
        t = count.astype(jnp.float32)
        m = jax.tree_util.tree_map(lambda m, g: m + (g - m) * (1 - beta_1), state.m, grads)
        v = jax.tree_util.tree_map(lambda v, g: v + (g * g - v) * (1 - beta_2), state.v, grads)
        alpha = jnp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        updates = jax.tree_util.tree_map(lambda m, v: alpha * m / (jnp.sqrt(v) + epsilon), m, v)
        return updates, _AdamState(count, m, v)

    return optax.GradientTransformation(init, update)


class Adam(Optimizer):
    """Adam as Keras computes it.

    Args:
        learning_rate: Default 0.001.
        beta_1: Default 0.9.
        beta_2: Default 0.999.
        epsilon: Default 1e-7.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, name)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _factory(self, learning_rate):
        return optax.chain(
            scale_by_keras_adam(self.beta_1, self.beta_2, self.epsilon),
            optax.scale_by_learning_rate(learning_rate),
        )


_BY_NAME: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(identifier: Any) -> Optimizer | optax.GradientTransformation:
    """Resolves an optimizer from a name, a class, an instance or an optax transformation.

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if isinstance(identifier, Optimizer | optax.GradientTransformation):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is not None:
            return cls()
        close = difflib.get_close_matches(identifier.lower(), _BY_NAME, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"Unknown optimizer: {identifier!r}.{hint} Known names: {', '.join(sorted(_BY_NAME))}."
        )
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}.")
