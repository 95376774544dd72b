"""Keras's optimizers, one update formula each, on kerax's optimizer base.

Each class takes Keras's arguments with Keras's defaults and reproduces Keras 3's
update of one variable; the arguments every optimizer shares (``weight_decay``,
clipping, EMA, gradient accumulation, ...) are described on ``Optimizer``. Where
optax has an optimizer of the same name its formula differs from Keras's in places
(epsilon placement, where the learning rate enters a momentum, bias corrections), so
the formulas are written out here.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from kerax.optimizers.base import Optimizer


def _power(base: float, exponent: jax.Array) -> jax.Array:
    return jnp.power(jnp.asarray(base, exponent.dtype), exponent)


class _TwoMoments(Optimizer):
    """Base of Adamax, Nadam and Lamb: Adam's ``beta_1``, ``beta_2`` and ``epsilon``
    (with Keras's defaults, and in the config), and two zero slots per variable (the
    first moment and a second moment or norm). A subclass writes ``_update_variable``.

    Adam and ScheduleFreeAdamW keep their own constructors: they take more arguments,
    and a further ``super()`` level would move where the ``decay`` warning points.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _init_slots(self, param):
        return (jnp.zeros_like(param), jnp.zeros_like(param))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


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


class _AdamState(NamedTuple):
    count: jax.Array
    m: Any
    v: Any


def scale_by_keras_adam(
    beta_1: float, beta_2: float, epsilon: float
) -> optax.GradientTransformation:
    """Adam's scaling with Keras's placement of epsilon (outside the bias correction).

    A plain optax building block (no weight decay, clipping or accumulation): chain it
    with ``optax.scale_by_learning_rate`` for Keras's Adam update.
    """

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
    """Adam, with Keras's epsilon placement: ``var -= alpha * m / (sqrt(v) + epsilon)``.

    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``; optax's Adam adds epsilon to
    the bias-corrected ``sqrt(v_hat)`` instead.

    Args:
        learning_rate: Float or schedule; default 0.001.
        beta_1: Decay of the first moment; default 0.9.
        beta_2: Decay of the second moment; default 0.999.
        epsilon: Default 1e-7.
        amsgrad: Use the running maximum of the second moment; default False.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _init_slots(self, param):
        zeros = jnp.zeros_like(param)
        return (zeros, zeros, zeros) if self.amsgrad else (zeros, zeros)

    def _update_variable(self, grad, var, slots, lr, step, shared):
        m, v = slots[0], slots[1]
        alpha = lr * jnp.sqrt(1 - _power(self.beta_2, step)) / (1 - _power(self.beta_1, step))
        m = m + (grad - m) * (1 - self.beta_1)
        v = v + (jnp.square(grad) - v) * (1 - self.beta_2)
        new = (m, v)
        if self.amsgrad:
            v_hat = jnp.maximum(slots[2], v)
            new, v = (m, v, v_hat), v_hat
        return var - (m * alpha) / (jnp.sqrt(v) + self.epsilon), new

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras's ``var -= var * weight_decay * lr``).

    Args:
        learning_rate: Float or schedule; default 0.001.
        weight_decay: Default 0.004; must not be None.
        beta_1: Default 0.9.
        beta_2: Default 0.999.
        epsilon: Default 1e-7.
        amsgrad: Default False.
        **kwargs: The common arguments of ``Optimizer``.

    Raises:
        ValueError: When ``weight_decay`` is None.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError("`weight_decay` must be a float for AdamW, received None.")
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs
        )


class Adamax(_TwoMoments):
    """Adamax, Adam on the infinity norm: ``var -= lr * m / ((1 - beta_1**t) * (u + eps))``.

    Args:
        learning_rate: Float or schedule; default 0.001.
        beta_1: Decay of the first moment; default 0.9.
        beta_2: Decay of the infinity norm; default 0.999.
        epsilon: Default 1e-7.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def _update_variable(self, grad, var, slots, lr, step, shared):
        m, u = slots
        m = m + (grad - m) * (1 - self.beta_1)
        u = jnp.maximum(self.beta_2 * u, jnp.abs(grad))
        denominator = (1 - _power(self.beta_1, step)) * (u + self.epsilon)
        return var - (lr * m) / denominator, (m, u)


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


class Nadam(_TwoMoments):
    """Nadam (Adam with Nesterov momentum), with Keras's momentum schedule.

    ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``; the running product of the ``u_t`` is an
    optimizer variable shared by all weights.

    Args:
        learning_rate: Float or schedule; default 0.001.
        beta_1: Default 0.9.
        beta_2: Default 0.999.
        epsilon: Default 1e-7.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def _init_shared(self):
        return (jnp.ones((), jnp.float32),)

    def _update_shared(self, shared, step):
        (product,) = shared
        return (product * self.beta_1 * (1.0 - 0.5 * _power(0.96, step)),)

    def _update_variable(self, grad, var, slots, lr, step, shared):
        dtype = var.dtype
        step = step.astype(dtype)
        beta_1 = jnp.asarray(self.beta_1, dtype)
        beta_2 = jnp.asarray(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * _power(0.96, step))
        u_next = beta_1 * (1.0 - 0.5 * _power(0.96, step + 1))
        product = shared[0].astype(dtype)
        product_next = product * u_next
        m, v = slots
        m = m + (grad - m) * (1 - beta_1)
        v = v + (jnp.square(grad) - v) * (1 - beta_2)
        m_hat = (u_next * m) / (1 - product_next) + ((1 - u_t) * grad) / (1 - product)
        v_hat = v / (1 - jnp.power(beta_2, step))
        return var - (m_hat * lr) / (jnp.sqrt(v_hat) + self.epsilon), (m, v)


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


class Lamb(_TwoMoments):
    """LAMB: Adam's bias-corrected step, rescaled per variable by a trust ratio.

    ``update = m_hat / (sqrt(v_hat) + epsilon)`` and ``var -= ratio * lr * update``,
    where ``ratio = ||var|| / ||update||`` (1 when either norm is zero). Unlike Keras's
    Adam, epsilon is added to the bias-corrected ``sqrt(v_hat)``.

    Args:
        learning_rate: Float or schedule; default 0.001.
        beta_1: Decay of the first moment; default 0.9.
        beta_2: Decay of the second moment; default 0.999.
        epsilon: Default 1e-7.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def _update_variable(self, grad, var, slots, lr, step, shared):
        step = step.astype(var.dtype)
        m, v = slots
        m = m + (grad - m) * (1 - self.beta_1)
        v = v + (jnp.square(grad) - v) * (1 - self.beta_2)
        m_hat = m / (1.0 - _power(self.beta_1, step))
        v_hat = v / (1.0 - _power(self.beta_2, step))
        update = m_hat / (jnp.sqrt(v_hat) + self.epsilon)
        var_norm = jnp.sqrt(jnp.sum(jnp.square(var)))
        update_norm = jnp.sqrt(jnp.sum(jnp.square(update)))
        both = (var_norm > 0) & (update_norm > 0)
        ratio = jnp.where(both, var_norm / jnp.where(both, update_norm, 1.0), 1.0)
        return var - ratio * lr * update, (m, v)


def orthogonalize(x: jax.Array, steps: int, a: float, b: float, c: float) -> jax.Array:
    """Muon's quintic Newton-Schulz iteration: roughly ``U V^T`` of ``x = U S V^T``.

    ``x`` is first scaled to a Frobenius norm of about 1, then ``steps`` times
    ``x <- a x + (b A + c A^2) x`` with ``A = x x^T`` (on the wide orientation of ``x``:
    a tall matrix is transposed before and after).

    Args:
        x: A matrix (or a batch of matrices over the leading axes).
        steps: Number of iterations.
        a: Coefficient of ``x``.
        b: Coefficient of ``A x``.
        c: Coefficient of ``A^2 x``.

    Raises:
        ValueError: When ``x`` has fewer than two dimensions.
    """
    if x.ndim < 2:
        raise ValueError(f"Muon orthogonalizes matrices; received shape {x.shape}.")
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = jnp.swapaxes(x, -1, -2)
    x = x / (jnp.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
    for _ in range(steps):
        gram = x @ jnp.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return jnp.swapaxes(x, -1, -2) if tall else x


class Muon(Optimizer):
    """Muon for matrices, with an AdamW step for every other variable, as Keras splits.

    A 2-D variable takes the Muon step: ``m = momentum * m + g``; the direction
    (``g + momentum * m`` with ``nesterov``, else ``m``) is orthogonalized by
    :func:`orthogonalize`, and ``var -= lr * o * sqrt(max(rows, cols)) * rms_rate``
    (without the last two factors when ``rms_rate`` is None). Any other variable, a
    variable whose path (``"layer/weight"``) contains ``"embedding"`` (with
    ``exclude_embeddings``), or one whose path matches a regular expression of
    ``exclude_layers``, takes Keras's Adam step at ``lr * adam_lr_ratio``. Weight decay
    is ``weight_decay`` for Muon variables and ``adam_weight_decay`` for the others
    (both at ``lr``).

    Args:
        learning_rate: Float or schedule; default 0.001.
        adam_beta_1: Adam's first-moment decay; default 0.9.
        adam_beta_2: Adam's second-moment decay; default 0.999.
        adam_weight_decay: Weight decay of the Adam variables; default 0.004.
        epsilon: Adam's epsilon; default 1e-7.
        weight_decay: Weight decay of the Muon variables; default 0.004.
        exclude_layers: Regular expressions of variable paths that take the Adam step.
        exclude_embeddings: Embeddings take the Adam step; default True.
        muon_a: Newton-Schulz coefficient; default 3.4445.
        muon_b: Newton-Schulz coefficient; default -4.7750.
        muon_c: Newton-Schulz coefficient; default 2.0315.
        adam_lr_ratio: Learning-rate factor of the Adam step; default 1.
        momentum: Muon's momentum; default 0.95.
        ns_steps: Newton-Schulz iterations; default 5.
        nesterov: Nesterov momentum for Muon; default True.
        rms_rate: Update scale of Liu et al. (2025); default 0.2, None to disable.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        exclude_layers: list[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.adam_weight_decay = adam_weight_decay
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = exclude_embeddings
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum = adam_lr_ratio, momentum
        self.ns_steps, self.nesterov, self.rms_rate = ns_steps, nesterov, rms_rate

    def _uses_adam(self, param: jax.Array, path: str) -> bool:
        """Whether the variable at ``path`` takes the Adam step (Keras's rule)."""
        if param.ndim != 2:
            return True
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def _init_slots_at(self, param, path):
        if self._uses_adam(param, path):
            return (jnp.zeros_like(param), jnp.zeros_like(param))
        return (jnp.zeros_like(param),)

    def _weight_decay_at(self, path, param):
        return self.adam_weight_decay if self._uses_adam(param, path) else self.weight_decay

    def _update_variable_at(self, grad, var, slots, lr, step, shared, path):
        if self._uses_adam(var, path):
            return self._adam_step(grad, var, slots, lr * self.adam_lr_ratio, step)
        (m,) = slots
        m = m + (grad + m * (self.momentum - 1))
        direction = grad + self.momentum * m if self.nesterov else m
        update = lr * orthogonalize(direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        if self.rms_rate is not None:
            update = update * jnp.sqrt(float(max(var.shape[0], var.shape[1]))) * self.rms_rate
        return var - update, (m,)

    def _adam_step(self, grad, var, slots, lr, step):
        m, v = slots
        step = step.astype(var.dtype)
        beta_1_power = _power(self.adam_beta_1, step)
        beta_2_power = _power(self.adam_beta_2, step)
        alpha = lr * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m = m + (grad - m) * (1 - self.adam_beta_1)
        v = v + (jnp.square(grad) - v) * (1 - self.adam_beta_2)
        return var - (m * alpha) / (jnp.sqrt(v) + self.epsilon), (m, v)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024), Keras's formulation.

    Each variable keeps ``z`` (initialized to the weights) and Adam's second moment
    ``v``. With ``c = 1 / t``: ``z -= lr_t * g / (sqrt(v / (1 - beta_2**t)) + eps)``,
    ``x = (y - (1 - beta_1) * z_old) / beta_1`` recovers the average, which moves to
    ``(1 - c) * x + c * z``, and the weights become ``y = (1 - beta_1) * z + beta_1 * x``.
    ``lr_t`` ramps up linearly over ``warmup_steps``.

    Args:
        learning_rate: Float or schedule; default 0.0025.
        beta_1: Interpolation between ``z`` and the average; default 0.9.
        beta_2: Decay of the second moment; default 0.999.
        epsilon: Default 1e-8.
        warmup_steps: Steps of linear learning-rate warm-up; default 0.
        **kwargs: The common arguments of ``Optimizer``.
    """

    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.warmup_steps = warmup_steps

    def _init_slots(self, param):
        return (jnp.copy(param), jnp.zeros_like(param))

    def _update_variable(self, grad, var, slots, lr, step, shared):
        dtype = var.dtype
        step = step.astype(dtype)
        beta_1 = jnp.asarray(self.beta_1, dtype)
        beta_2 = jnp.asarray(self.beta_2, dtype)
        if self.warmup_steps > 0:
            lr = lr * jnp.minimum(step / self.warmup_steps, 1.0)
        z_old, v = slots
        v = v + (jnp.square(grad) - v) * (1 - beta_2)
        denominator = jnp.sqrt(v / (1 - jnp.power(beta_2, step))) + self.epsilon
        z = z_old - lr * grad / denominator
        weight = 1.0 / step
        x_old = (var - (1 - beta_1) * z_old) / beta_1
        x = (1 - weight) * x_old + weight * z
        return (1 - beta_1) * z + beta_1 * x, (z, v)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "warmup_steps": self.warmup_steps,
        }
