"""The Adagrad family: per-variable rates from accumulated squared gradients.

Adagrad sums the squared gradients; RMSprop and Adadelta average them with a decay,
Adafactor factors the average over a weight's last two axes, and Ftrl adds L1/L2
regularization to Adagrad-style rates. None keeps a first moment, RMSprop's optional
momentum aside.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad: ``acc += g**2; var -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: Float or schedule; default 0.001.
        initial_accumulator_value: Starting value of ``acc``; default 0.1.
        epsilon: Default 1e-7.
        **kwargs: The common arguments of ``Optimizer``.

    Raises:
        ValueError: When ``initial_accumulator_value`` is negative.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError(
                "`initial_accumulator_value` must be non-negative, received "
                f"initial_accumulator_value={initial_accumulator_value!r}."
            )
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _init_slots(self, param):
        return (jnp.full_like(param, self.initial_accumulator_value),)

    def _update_variable(self, grad, var, slots, lr, step, shared):
        acc = slots[0] + jnp.square(grad)
        return var - (lr * grad) / jnp.sqrt(acc + self.epsilon), (acc,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class RMSprop(Optimizer):
    """RMSprop: ``var -= lr * g / sqrt(v + epsilon)`` with ``v`` the mean squared gradient.

    Args:
        learning_rate: Float or schedule; default 0.001.
        rho: Decay of the squared-gradient average; default 0.9.
        momentum: Momentum on the increments; default 0.0.
        epsilon: Added inside the square root; default 1e-7.
        centered: Divide by the gradient's estimated variance instead of its second
            moment; default False.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if momentum < 0:
            raise ValueError(f"`momentum` must be non-negative, received momentum={momentum!r}.")
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _init_slots(self, param):
        zeros = jnp.zeros_like(param)
        momentum = (zeros,) if self.momentum > 0 else ()
        average = (zeros,) if self.centered else ()
        return (zeros, *momentum, *average)

    @property
    def _slot_names(self) -> tuple[str, ...]:  # type: ignore[override]
        momentum = ("momentum",) if self.momentum > 0 else ()
        return ("velocity", *momentum, *(("average_gradient",) if self.centered else ()))

    def _keras_slot_groups(self, n_slots: int) -> list[list[int]]:
        # Keras creates all velocities, then all momentums, then all average gradients.
        return [[k] for k in range(n_slots)]

    def _update_variable(self, grad, var, slots, lr, step, shared):
        rho = self.rho
        velocity, rest = slots[0], list(slots[1:])
        momentum = rest.pop(0) if self.momentum > 0 else None
        average = rest.pop(0) if self.centered else None
        velocity = rho * velocity + (1 - rho) * jnp.square(grad)
        if average is not None:
            average = rho * average + (1 - rho) * grad
            denominator = velocity - jnp.square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = lr * grad / jnp.sqrt(denominator)
        if momentum is not None:
            momentum = self.momentum * momentum + increment
            var = var - momentum
        else:
            var = var - increment
        new = (velocity,) + ((momentum,) if momentum is not None else ())
        return var, new + ((average,) if average is not None else ())

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adadelta(Optimizer):
    """Adadelta, with Keras's learning rate on the step: ``var += lr * delta``.

    Args:
        learning_rate: Float or schedule; default 0.001.
        rho: Decay of both running averages; default 0.95.
        epsilon: Default 1e-7.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _init_slots(self, param):
        return (jnp.zeros_like(param), jnp.zeros_like(param))

    def _update_variable(self, grad, var, slots, lr, step, shared):
        rho, eps = self.rho, self.epsilon
        acc_grad, acc_delta = slots
        acc_grad = rho * acc_grad + (1 - rho) * jnp.square(grad)
        delta = -(jnp.sqrt(acc_delta + eps) * grad) / jnp.sqrt(acc_grad + eps)
        acc_delta = rho * acc_delta + (1 - rho) * jnp.square(delta)
        return var + lr * delta, (acc_grad, acc_delta)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adafactor(Optimizer):
    """Adafactor: second moments factored over the last two axes of each weight.

    The step size is ``max(epsilon_2, rms(var)) * min(lr, 1 / sqrt(t))``; weights with
    fewer than two dimensions keep an unfactored second moment.

    Args:
        learning_rate: Float or schedule; default 0.001.
        beta_2_decay: Exponent of the second-moment decay ``1 - t**beta_2_decay``;
            default -0.8.
        epsilon_1: Added to the squared gradient; default 1e-30.
        epsilon_2: Lower bound of the weight's RMS in the step size; default 1e-3.
        clip_threshold: Bound on the RMS of the normalized update; default 1.0.
        relative_step: Cap the rate by ``1 / sqrt(t)``; default True. (Keras caps it
            in the step size regardless, so this changes nothing numerically.)
        **kwargs: The common arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def _init_slots(self, param):
        if param.ndim < 2:
            scalar = jnp.zeros((), param.dtype)
            return (scalar, scalar, jnp.zeros_like(param))
        r = jnp.zeros(param.shape[:-1], param.dtype)
        c = jnp.zeros(param.shape[:-2] + param.shape[-1:], param.dtype)
        return (r, c, jnp.zeros_like(param))

    @staticmethod
    def _rms(x: jax.Array) -> jax.Array:
        return jnp.sqrt(jnp.mean(jnp.square(x)))

    def _update_variable(self, grad, var, slots, lr, step, shared):
        r, c, v = slots
        step = step.astype(var.dtype)
        rho_t = jnp.minimum(lr, 1 / jnp.sqrt(step))
        alpha_t = jnp.maximum(jnp.asarray(self.epsilon_2, var.dtype), self._rms(var)) * rho_t
        squared = jnp.square(grad) + self.epsilon_1
        beta_2_t = 1 - jnp.power(step, self.beta_2_decay)
        if var.ndim >= 2:
            r = beta_2_t * r + (1 - beta_2_t) * jnp.mean(squared, axis=-1)
            c = beta_2_t * c + (1 - beta_2_t) * jnp.mean(squared, axis=-2)
            row = jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1)
            v = row * jnp.expand_dims(c, -2)
        else:
            v = beta_2_t * v + (1 - beta_2_t) * squared
        u = grad / jnp.sqrt(v)
        u_hat = u / jnp.maximum(1.0, self._rms(u) / self.clip_threshold)
        return var - alpha_t * u_hat, (r, c, v)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }


class Ftrl(Optimizer):
    """Follow The Regularized Leader, Keras's formulation (with L1/L2 and shrinkage).

    Args:
        learning_rate: Float or schedule; default 0.001.
        learning_rate_power: Non-positive; default -0.5.
        initial_accumulator_value: Non-negative; default 0.1.
        l1_regularization_strength: Non-negative; default 0.0.
        l2_regularization_strength: Non-negative; default 0.0.
        l2_shrinkage_regularization_strength: Non-negative; default 0.0.
        beta: Default 0.0.
        **kwargs: The common arguments of ``Optimizer``.

    Raises:
        ValueError: When an argument is outside its range.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        if learning_rate_power > 0:
            raise ValueError(
                "`learning_rate_power` must be negative or zero, received "
                f"learning_rate_power={learning_rate_power!r}."
            )
        for arg, value in (
            ("initial_accumulator_value", initial_accumulator_value),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0:
                raise ValueError(f"`{arg}` must be non-negative, received {arg}={value!r}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _init_slots(self, param):
        return (jnp.full_like(param, self.initial_accumulator_value), jnp.zeros_like(param))

    def _update_variable(self, grad, var, slots, lr, step, shared):
        accum, linear = slots
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrunk_grad = grad + 2 * self.l2_shrinkage_regularization_strength * var
        new_accum = accum + jnp.square(grad)
        sigma = (jnp.power(new_accum, power) - jnp.power(accum, power)) / lr
        linear = linear + (shrunk_grad - sigma * var)
        quadratic = jnp.power(new_accum, power) / lr + 2 * l2
        var = (jnp.clip(linear, -l1, l1) - linear) / quadratic
        return var, (new_accum, linear)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
