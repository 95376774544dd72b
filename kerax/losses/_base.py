"""The loss base class, the wrapper of loss functions, and Keras's reductions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from kerax._naming import to_snake_case, unique_name

EPSILON = 1e-7
_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def compute_dtype(dtype: Any) -> Any:
    """The compute dtype of a dtype or policy name (``"mixed_float16"`` -> ``"float16"``)."""
    name = getattr(dtype, "name", dtype)
    return _MIXED.get(name, name)


def _squeeze_sparse(y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
    """Drops a trailing unit axis of integer labels given as ``(..., 1)``."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    return y_true


def same_rank(
    x1: jax.Array, x2: jax.Array, expand_rank_1: bool = True
) -> tuple[jax.Array, jax.Array]:
    """Squeezes or expands a trailing unit axis when the ranks differ by one, as Keras.

    A rank-1 array facing a ``(n, 1)`` array is expanded (if ``expand_rank_1``);
    otherwise the array with the extra trailing unit axis is squeezed.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def broadcast_weight(weight: Any, values: jax.Array) -> jax.Array:
    """Reshapes per-example weights so they broadcast against ``values``."""
    weight = jnp.asarray(weight, values.dtype)
    while weight.ndim > values.ndim and weight.shape[-1] == 1:
        weight = jnp.squeeze(weight, -1)
    while weight.ndim < values.ndim:
        weight = weight[..., None]
    return weight


def check_reduction(reduction: Any) -> Any:
    """Returns ``reduction`` if Keras accepts it.

    Raises:
        ValueError: For any other value.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: expected one of {REDUCTIONS}, "
            f"received reduction={reduction!r}."
        )
    return reduction


def reduce_values(
    values: jax.Array,
    sample_weight: Any = None,
    reduction: Any = "sum_over_batch_size",
    mask: Any = None,
) -> jax.Array:
    """Applies ``sample_weight``, an optional 0/1 ``mask`` and Keras's ``reduction``.

    ``"sum_over_batch_size"`` and ``"mean"`` divide the weighted sum by the number of
    values (by the number of unmasked ones when a mask is given), ``"sum"`` does not
    divide, ``"mean_with_sample_weight"`` divides by the sum of the sample weights, and
    ``"none"`` / ``None`` return the weighted values unreduced. A scalar is returned
    as it is.
    """
    values = jnp.asarray(values)
    if mask is not None:
        mask = jnp.asarray(mask, values.dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            # Unmasked values weigh total/valid, so the mean over all values becomes
            # the mean over the unmasked ones.
            valid = jnp.sum(mask)
            scale = jnp.where(valid > 0, mask.size / jnp.where(valid > 0, valid, 1.0), 0.0)
            mask = mask * scale
        if sample_weight is None:
            sample_weight = mask
        else:
            mask, sample_weight = same_rank(mask, jnp.asarray(sample_weight, values.dtype))
            sample_weight = broadcast_weight(sample_weight, mask) * mask
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, values.dtype)
        # Keras's rank rule first (a (n, 1) weight turns (n,) values into (n, 1)),
        # then per-example weights broadcast over any further value axes.
        values, sample_weight = same_rank(values, sample_weight)
        values = values * broadcast_weight(sample_weight, values)
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = jnp.sum(sample_weight)
    else:
        divisor = jnp.asarray(values.size, total.dtype)
    return jnp.where(divisor != 0, total / jnp.where(divisor != 0, divisor, 1.0), 0.0)


class Loss:
    """Base class of losses.

    Subclasses implement :meth:`call`, which returns the unreduced loss values (one
    per example); calling the loss applies sample weights and the reduction.

    Args:
        name: Name used in logs. Defaults to the snake-case class name, made unique.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"`` / ``None``.
        dtype: Keras's dtype or policy; ``dtype`` reports its compute dtype
            (``"float16"`` for ``"mixed_float16"``), but kerax losses compute in
            float32.
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.reduction = check_reduction(reduction)
        self.dtype = dtype or "float32"

    @property
    def dtype(self) -> Any:
        """The compute dtype, as Keras's ``Loss.dtype`` (``"float32"`` by default)."""
        return compute_dtype(self.__dict__.get("_dtype"))

    @dtype.setter
    def dtype(self, value: Any) -> None:
        self._dtype = value

    def call(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
        """Returns the unreduced loss values."""
        raise NotImplementedError

    def mask(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array | None:
        """Returns a 0/1 mask of the loss values that count, or None when all do.

        Only losses that leave entries out (``ignore_class``) return a mask; the
        reduction then averages over the unmasked entries only, as Keras does.
        """
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> jax.Array:
        y_pred = jnp.asarray(y_pred, jnp.float32)
        y_true = jnp.asarray(y_true, jnp.float32)
        values = self.call(y_true, y_pred)
        mask = self.mask(y_true, y_pred)
        return reduce_values(values, sample_weight, self.reduction, mask)

    def get_config(self) -> dict[str, Any]:
        """Returns the arguments that rebuild this loss."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Rebuilds a loss from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A loss from a function ``fn(y_true, y_pred, **kwargs) -> values``.

    Args:
        fn: The loss function.
        reduction: See :class:`Loss`.
        name: Name used in logs; defaults to the function's name.
        dtype: See :class:`Loss`.
        **kwargs: Passed on to ``fn``.
    """

    def __init__(
        self,
        fn: Callable[..., jax.Array],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            name=name or getattr(fn, "__name__", "loss"), reduction=reduction, dtype=dtype
        )
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true: jax.Array, y_pred: jax.Array) -> jax.Array:
        y_true, y_pred = jnp.asarray(y_true), jnp.asarray(y_pred)
        y_true, y_pred = same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self.fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        if cls is LossFunctionWrapper:
            raise ValueError(
                "A LossFunctionWrapper's config holds no function; rebuild it with "
                "LossFunctionWrapper(fn, **config)."
            )
        return cls(**config)
