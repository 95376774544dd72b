"""Momentum methods without a second moment: SGD (plain, momentum, Nesterov) and Lion.

SGD's velocity carries the learning rate, as in Keras, which is where it departs from
``optax.sgd``; Lion steps by the sign of an interpolated momentum.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from kerax.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent, with optional momentum and Nesterov momentum.

    With momentum, the velocity carries the learning rate, as in Keras:
    ``v = momentum * v - lr * g``; then ``var += v`` (or, with ``nesterov``,
    ``var += momentum * v - lr * g``). This differs from ``optax.sgd`` when the rate
    changes between steps.

    Args:
        learning_rate: Float or schedule; default 0.01.
        momentum: In ``[0, 1]``; default 0.0.
        nesterov: Use Nesterov momentum; default False.
        **kwargs: The common arguments of ``Optimizer``.

    Raises:
        ValueError: When ``momentum`` is outside ``[0, 1]``.
    """

    _slot_names = ("momentum",)

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if isinstance(momentum, bool) or not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float in [0, 1], received {momentum!r}.")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _init_slots(self, param):
        return (jnp.zeros_like(param),) if self.momentum != 0 else ()

    def _update_variable(self, grad, var, slots, lr, step, shared):
        if self.momentum == 0:
            return var - grad * lr, ()
        momentum = jnp.asarray(self.momentum, var.dtype)
        (m,) = slots
        m = m * momentum - grad * lr
        if self.nesterov:
            return var + (m * momentum - grad * lr), (m,)
        return var + m, (m,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Lion(Optimizer):
    """Lion: ``var -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then ``m`` decays by beta_2.

    Args:
        learning_rate: Float or schedule; default 0.001.
        beta_1: In ``(0, 1]``; default 0.9.
        beta_2: Default 0.99.
        **kwargs: The common arguments of ``Optimizer``.

    Raises:
        ValueError: When ``beta_1`` is outside ``(0, 1]``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"`beta_1` must be in (0, 1], received beta_1={beta_1!r}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def _init_slots(self, param):
        return (jnp.zeros_like(param),)

    def _update_variable(self, grad, var, slots, lr, step, shared):
        (m,) = slots
        beta_1 = jnp.asarray(self.beta_1, var.dtype)
        beta_2 = jnp.asarray(self.beta_2, var.dtype)
        var = var - lr * jnp.sign(m * beta_1 + grad * (1.0 - beta_1))
        return var, (m * beta_2 + grad * (1.0 - beta_2),)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
