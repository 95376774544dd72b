"""The Adam family: Adam, AdamW, Adamax, Nadam, Lamb and ScheduleFreeAdamW.

Each keeps Adam's first and second moments (or an infinity norm) per variable, with
Keras's placement of epsilon and of the bias corrections, which differ from optax's
optimizers of the same names; ``scale_by_keras_adam`` is Adam's scaling as a plain
optax transformation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from kerax.optimizers.base import Optimizer


def power(base: float, exponent: jax.Array) -> jax.Array:
    """``base ** exponent`` in the exponent's dtype (a bias correction's ``beta**t``)."""
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

    _slot_names = ("momentum", "velocity", "velocity_hat")

    def _keras_slot_groups(self, n_slots: int) -> list[list[int]]:
        # Keras creates the moments together, then the velocity hats (amsgrad).
        return [[0, 1], [2]] if n_slots == 3 else [list(range(n_slots))]

    def _update_variable(self, grad, var, slots, lr, step, shared):
        m, v = slots[0], slots[1]
        alpha = lr * jnp.sqrt(1 - power(self.beta_2, step)) / (1 - power(self.beta_1, step))
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
        denominator = (1 - power(self.beta_1, step)) * (u + self.epsilon)
        return var - (lr * m) / denominator, (m, u)


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
        return (product * self.beta_1 * (1.0 - 0.5 * power(0.96, step)),)

    def _update_variable(self, grad, var, slots, lr, step, shared):
        dtype = var.dtype
        step = step.astype(dtype)
        beta_1 = jnp.asarray(self.beta_1, dtype)
        beta_2 = jnp.asarray(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * power(0.96, step))
        u_next = beta_1 * (1.0 - 0.5 * power(0.96, step + 1))
        product = shared[0].astype(dtype)
        product_next = product * u_next
        m, v = slots
        m = m + (grad - m) * (1 - beta_1)
        v = v + (jnp.square(grad) - v) * (1 - beta_2)
        m_hat = (u_next * m) / (1 - product_next) + ((1 - u_t) * grad) / (1 - product)
        v_hat = v / (1 - jnp.power(beta_2, step))
        return var - (m_hat * lr) / (jnp.sqrt(v_hat) + self.epsilon), (m, v)


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
        m_hat = m / (1.0 - power(self.beta_1, step))
        v_hat = v / (1.0 - power(self.beta_2, step))
        update = m_hat / (jnp.sqrt(v_hat) + self.epsilon)
        var_norm = jnp.sqrt(jnp.sum(jnp.square(var)))
        update_norm = jnp.sqrt(jnp.sum(jnp.square(update)))
        both = (var_norm > 0) & (update_norm > 0)
        ratio = jnp.where(both, var_norm / jnp.where(both, update_norm, 1.0), 1.0)
        return var - ratio * lr * update, (m, v)


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
