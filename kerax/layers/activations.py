"""Activation layers: ReLU, LeakyReLU, PReLU, ELU and Softmax.

Each computes Keras 3's formula for the same arguments, so that outputs and gradients
agree with Keras for the same inputs (and, for PReLU, the same ``alpha``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._base import InputSpec, Layer


def _check_number(layer: str, arg: str, value: Any, *, allow_none: bool = False) -> None:
    """Raises ValueError unless ``value`` is a non-negative number (or an allowed None)."""
    if value is None and allow_none:
        return
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected a non-negative "
            f"number, received {arg}={value!r}."
        )


def _relu(
    x: jax.Array, negative_slope: float, max_value: float | None, threshold: float
) -> jax.Array:
    """Keras's generalised ReLU: 0 up to ``threshold`` (inclusive), ``x`` above, capped
    at ``max_value``, minus ``negative_slope * (threshold - x)`` below ``threshold``."""
    if negative_slope != 0 and max_value is None and threshold == 0:
        return jax.nn.leaky_relu(x, negative_slope)
    if threshold != 0:
        y = jnp.where(x > jnp.asarray(threshold, x.dtype), x, jnp.zeros((), x.dtype))
    else:
        y = jax.nn.relu(x)
    if max_value is not None:
        y = jnp.clip(y, jnp.zeros((), x.dtype), jnp.asarray(max_value, x.dtype))
    if negative_slope != 0:
        y = y - negative_slope * jax.nn.relu(threshold - x)
    return y


class ReLU(Layer):
    """The rectified linear unit, with an optional cap, threshold and negative slope.

    ``f(x) = min(x, max_value)`` for ``x > threshold``; for ``x <= threshold``,
    ``f(x) = negative_slope * (x - threshold)`` (0 with the default slope).

    Args:
        max_value: Upper bound of the output; ``None`` (default) for no bound. Must be
            non-negative.
        negative_slope: Slope below the threshold (default 0). Must be non-negative.
        threshold: Inputs at or below it are not passed through (default 0). Must be
            non-negative.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_number("ReLU", "max_value", max_value, allow_none=True)
        _check_number("ReLU", "negative_slope", negative_slope)
        _check_number("ReLU", "threshold", threshold)
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return _relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """The leaky ReLU: ``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: Slope for negative inputs, non-negative (default 0.3, Keras 3's
            layer default; the ``leaky_relu`` function defaults to 0.2). The deprecated
            Keras name ``alpha`` is accepted as a keyword.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        _check_number("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jax.nn.leaky_relu(inputs, self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """The parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a
    learned ``alpha`` per input element.

    Args:
        alpha_initializer: Initializer of ``alpha`` (default ``"zeros"``).
        alpha_regularizer: Optional penalty on ``alpha``.
        alpha_constraint: Optional projection of ``alpha`` after updates.
        shared_axes: Axes (1-based, the batch axis being 0) along which one ``alpha``
            is shared, e.g. ``[1, 2]`` for one slope per channel of ``(batch, height,
            width, channels)`` feature maps.

    Input shape:
        Any, with known sizes on the axes that are not shared.

    Output shape:
        Same as the input.

    Weights:
        ``alpha`` of shape ``input_shape[1:]``, with size 1 on the shared axes.
    """

    supports_masking = True

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = _initializers.get(alpha_initializer)
        self.alpha_regularizer = _regularizers.get(alpha_regularizer)
        self.alpha_constraint = alpha_constraint
        if shared_axes is None:
            self.shared_axes: list[int] | None = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, list | tuple) else [shared_axes]
            if not all(isinstance(a, int) and not isinstance(a, bool) and a > 0 for a in axes):
                raise ValueError(
                    "Received an invalid value for `shared_axes` in PReLU: expected "
                    "positive axis indices (the batch axis 0 cannot be shared), received "
                    f"shared_axes={shared_axes!r}."
                )
            self.shared_axes = axes

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        rank = len(input_shape)
        shared = set(self.shared_axes or ())
        if any(a >= rank for a in shared):
            raise ValueError(
                f"Layer '{self.name}' (PReLU): shared_axes={self.shared_axes} is out of "
                f"range for inputs of shape {tuple(input_shape)}."
            )
        shape = [1 if i in shared else input_shape[i] for i in range(1, rank)]
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer '{self.name}' (PReLU) needs known sizes on the axes that are not "
                f"shared; received input shape {tuple(input_shape)} with "
                f"shared_axes={self.shared_axes}."
            )
        self.alpha = self.add_weight(
            "alpha",
            shape,
            self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        self.input_spec = InputSpec(
            ndim=rank, axes={i: input_shape[i] for i in range(1, rank) if i not in shared}
        )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jax.nn.relu(inputs) - ctx.params["alpha"] * jax.nn.relu(-inputs)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": _initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": _serialize_regularizer(self.alpha_regularizer),
            "alpha_constraint": self.alpha_constraint,
            "shared_axes": self.shared_axes,
        }


def _serialize_regularizer(reg: Any) -> Any:
    """A regularizer in Keras's ``{"class_name", "config"}`` form (None stays None)."""
    if reg is None or not hasattr(reg, "get_config"):
        return None
    return {"class_name": type(reg).__name__, "config": reg.get_config()}


class ELU(Layer):
    """The exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)``
    otherwise.

    Args:
        alpha: Scale of the negative part (default 1.0).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(alpha, int | float) or isinstance(alpha, bool):
            raise ValueError(
                f"Received an invalid value for `alpha` in ELU: expected a number, "
                f"received alpha={alpha!r}."
            )
        self.alpha = alpha

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return jax.nn.elu(inputs, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype: Any) -> float:
    """The value that masked logits take: small enough to vanish after ``exp``."""
    return -3e4 if jnp.dtype(dtype) == jnp.float16 else -1e9


class Softmax(Layer):
    """The softmax along one or more axes, with optional masking.

    When a mask is given (the incoming mask, or ``mask=`` in the call), the masked
    positions get a large negative logit before the softmax, so they receive no
    probability, and are set to 0 afterwards (so a fully masked row is all zeros).

    Args:
        axis: Axis, or list of axes, to normalize over (default -1).

    Call arguments:
        inputs: The logits.
        mask: Optional boolean (or 0/1) mask broadcastable to ``inputs``; True (or
            ``> 0.5``) marks the positions to keep.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple):
            ok = len(axis) > 0 and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
        else:
            ok = isinstance(axis, int) and not isinstance(axis, bool)
        if not ok:
            raise ValueError(
                "Received an invalid value for `axis` in Softmax: expected an integer or "
                f"a list of integers, received axis={axis!r}."
            )
        self.axis: int | list[int] = list(axis) if isinstance(axis, list | tuple) else axis

    def apply(self, ctx: Any, inputs: jax.Array, mask: Any = None) -> jax.Array:
        x = inputs
        if mask is not None:
            mask = jnp.asarray(mask)
            if mask.ndim > x.ndim or any(
                isinstance(m, int) and isinstance(d, int) and m not in (1, d)
                for m, d in zip(mask.shape[::-1], x.shape[::-1])
            ):
                raise ValueError(
                    f"Layer '{self.name}' (Softmax): the mask of shape {mask.shape} does "
                    f"not broadcast to the inputs of shape {x.shape}."
                )
            if mask.dtype != jnp.bool_:
                mask = mask > 0.5
            x = jnp.where(mask, x, jnp.asarray(_large_negative(x.dtype), x.dtype))
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        out = jax.nn.softmax(x, axis=axis)
        if mask is not None:
            out = jnp.where(mask, out, jnp.zeros((), out.dtype))
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
