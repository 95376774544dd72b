"""Muon: momentum orthogonalized by a Newton-Schulz iteration, for matrices.

Variables that are not matrices (and embeddings, and excluded layers) take Keras's Adam
step instead, as Keras splits them.
"""

from __future__ import annotations

import re
from typing import Any

import jax
import jax.numpy as jnp

from kerax.optimizers._adam import power
from kerax.optimizers.base import Optimizer


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
        beta_1_power = power(self.adam_beta_1, step)
        beta_2_power = power(self.adam_beta_2, step)
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
