"""Learning-rate schedules with Keras's names and formulas (``kerax.optimizers.schedules``).

A schedule is a pure function of the optimizer step, ``schedule(step) -> lr``, traced
inside the jitted train step (optax calls it with its update count, starting at 0, the
same step Keras passes for the first update).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate``, plus ``get_config``."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)


def _positive(name: str, value: Any) -> None:
    if not value > 0:
        raise ValueError(f"`{name}` must be positive, received {name}={value!r}.")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps per factor of ``decay_rate``.
        decay_rate: The decay factor.
        staircase: Decay in whole steps of ``decay_steps`` (integer division).
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = jnp.asarray(step, jnp.float32) / self.decay_steps
        if self.staircase:
            p = jnp.floor(p)
        return self.initial_learning_rate * jnp.power(self.decay_rate, p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]`` (inclusive), then ``values[1]``, ...

    Args:
        boundaries: Increasing step boundaries.
        values: One more value than boundaries.
    """

    def __init__(
        self, boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"
    ) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "`values` must have one more entry than `boundaries`; received "
                f"{len(boundaries)} boundaries and {len(values)} values."
            )
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        step = jnp.asarray(step, jnp.float32)
        index = jnp.sum(step > jnp.asarray(self.boundaries, jnp.float32))
        return jnp.asarray(self.values, jnp.float32)[index]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps to reach ``end_learning_rate``.
        end_learning_rate: The final rate (default 1e-4).
        power: The polynomial's power (default 1: linear).
        cycle: Restart the decay every ``decay_steps`` (with growing periods).
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power, self.cycle = end_learning_rate, power, cycle
        self.name = name

    def __call__(self, step):
        step = jnp.asarray(step, jnp.float32)
        steps = jnp.asarray(self.decay_steps, jnp.float32)
        if self.cycle:
            mult = jnp.where(step == 0, 1.0, jnp.ceil(step / steps))
            steps = steps * mult
        else:
            step = jnp.minimum(step, steps)
        frac = 1.0 - step / steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * jnp.power(frac, self.power) + self.end_learning_rate

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: The time unit of the decay.
        decay_rate: The decay rate.
        staircase: Use whole numbers of ``decay_steps``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        p = jnp.asarray(step, jnp.float32) / self.decay_steps
        if self.staircase:
            p = jnp.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Steps of the cosine decay (after the warmup).
        alpha: Floor of the decay, as a fraction of the starting rate.
        warmup_target: Rate reached at the end of the warmup (None: no warmup).
        warmup_steps: Steps of linear warmup.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        _positive("decay_steps", decay_steps)
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate,
            decay_steps,
            alpha,
        )
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def _decay(self, step, start):
        completed = jnp.minimum(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + jnp.cos(math.pi * completed))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = jnp.asarray(step, jnp.float32)
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate)
        warm = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * (
            step / max(self.warmup_steps, 1)
        )
        decayed = self._decay(step - self.warmup_steps, self.warmup_target)
        return jnp.where(step < self.warmup_steps, warm, decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    Args:
        initial_learning_rate: The rate at step 0.
        first_decay_steps: Length of the first period.
        t_mul: Growth factor of each period's length.
        m_mul: Factor of each restart's starting rate.
        alpha: Floor, as a fraction of the starting rate.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        _positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate, self.first_decay_steps = (
            initial_learning_rate,
            first_decay_steps,
        )
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        completed = jnp.asarray(step, jnp.float32) / self.first_decay_steps
        if self.t_mul == 1.0:
            i_restart = jnp.floor(completed)
            completed = completed - i_restart
        else:
            i_restart = jnp.floor(
                jnp.log(1.0 - completed * (1.0 - self.t_mul)) / math.log(self.t_mul)
            )
            sum_r = (1.0 - self.t_mul**i_restart) / (1.0 - self.t_mul)
            completed = (completed - sum_r) / self.t_mul**i_restart
        m_fac = self.m_mul**i_restart
        cosine = 0.5 * m_fac * (1.0 + jnp.cos(math.pi * completed))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]
