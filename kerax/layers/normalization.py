"""Normalization over features: LayerNormalization, GroupNormalization and
UnitNormalization (BatchNormalization is in ``batch_normalization.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers import _math
from kerax.layers._base import InputSpec, Layer


def _check_axes(layer: str, axis: Any) -> int | list[int]:
    """Validates an ``axis`` argument: an integer or a non-empty list of integers."""
    if isinstance(axis, list | tuple):
        ok = len(axis) > 0 and all(isinstance(a, int) and not isinstance(a, bool) for a in axis)
    else:
        ok = isinstance(axis, int) and not isinstance(axis, bool)
    if not ok:
        raise ValueError(
            f"Received an invalid value for `axis` in {layer}: expected an integer or a "
            f"list of integers, received axis={axis!r}."
        )
    return list(axis) if isinstance(axis, list | tuple) else axis


def _check_epsilon(layer: str, epsilon: Any) -> float:
    if not isinstance(epsilon, int | float) or isinstance(epsilon, bool) or epsilon < 0:
        raise ValueError(
            f"Received an invalid value for `epsilon` in {layer}: expected a non-negative "
            f"number, received epsilon={epsilon!r}."
        )
    return float(epsilon)


def _axes_in_range(layer: Layer, axes: Sequence[int], input_shape: Sequence[Any]) -> None:
    rank = len(input_shape)
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}): axis {a} is out of range "
                f"for inputs of shape {tuple(input_shape)}."
            )


def _serialize_regularizer(reg: Any) -> Any:
    """A regularizer in Keras's ``{"class_name", "config"}`` form (None stays None)."""
    if reg is None or not hasattr(reg, "get_config"):
        return None
    return {"class_name": type(reg).__name__, "config": reg.get_config()}


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` to zero mean and unit variance, then scales
    by ``gamma`` and shifts by ``beta``.

    ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta``, with the mean and variance
    taken over ``axis`` within each sample, in float32 whatever the input dtype.

    Args:
        axis: Axis or list of axes to normalize over (default -1).
        epsilon: Added to the variance (default 1e-3).
        center: Whether to add the offset ``beta``.
        scale: Whether to multiply by ``gamma``.
        rms_scaling: Keras's deprecated flag: divide by ``sqrt(var + epsilon)`` without
            centering, and scale by ``gamma``; no ``beta``.
        beta_initializer: Default ``"zeros"``.
        gamma_initializer: Default ``"ones"``.
        beta_regularizer: Optional penalty on ``beta``.
        gamma_regularizer: Optional penalty on ``gamma``.
        beta_constraint: Optional projection of ``beta`` after updates.
        gamma_constraint: Optional projection of ``gamma`` after updates.

    Input shape:
        Any, with known sizes along ``axis``.

    Output shape:
        Same as the input.

    Weights:
        ``gamma`` and ``beta``, each of shape ``tuple(input_shape[a] for a in
        sorted(axis))``.
    """

    supports_masking = True
    autocast = False

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.axis = _check_axes("LayerNormalization", axis)
        self.epsilon = _check_epsilon("LayerNormalization", epsilon)
        self.center, self.scale, self.rms_scaling = bool(center), bool(scale), bool(rms_scaling)
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint

    def _axes(self) -> list[int]:
        # Keras orders the weight's axes by the raw (possibly negative) axis values.
        return sorted(self.axis) if isinstance(self.axis, list) else [self.axis]

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        axes = self._axes()
        _axes_in_range(self, axes, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer '{self.name}' (LayerNormalization) needs known sizes on axis "
                f"{self.axis}; received input shape {tuple(input_shape)}."
            )
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                "gamma",
                shape,
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                "beta",
                shape,
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        params = ctx.params
        return _math.layer_norm(
            inputs,
            params.get("gamma"),
            params.get("beta"),
            axes=tuple(sorted({a % inputs.ndim for a in self._axes()})),
            epsilon=float(self.epsilon),
            rms_scaling=bool(self.rms_scaling),
            dtype=jnp.dtype(self.compute_dtype),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": _initializers.serialize(self.beta_initializer),
            "gamma_initializer": _initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
        }


class GroupNormalization(Layer):
    """Splits the channels into ``groups`` and normalizes each group of each sample
    over its channels and all other non-batch axes (Wu & He, 2018).

    ``groups=1`` normalizes over everything but the batch (like LayerNormalization
    over all axes); ``groups=-1`` (one group per channel) is instance normalization.

    Args:
        groups: Number of groups, dividing the number of channels (default 32), or -1
            for one group per channel.
        axis: The channel axis (default -1).
        epsilon: Added to the variance (default 1e-3).
        center: Whether to add the per-channel offset ``beta``.
        scale: Whether to multiply by the per-channel ``gamma``.
        beta_initializer: Default ``"zeros"``.
        gamma_initializer: Default ``"ones"``.
        beta_regularizer: Optional penalty on ``beta``.
        gamma_regularizer: Optional penalty on ``gamma``.
        beta_constraint: Optional projection of ``beta`` after updates.
        gamma_constraint: Optional projection of ``gamma`` after updates.

    Input shape:
        Any rank >= 2, with a known number of channels on ``axis``.

    Output shape:
        Same as the input.

    Weights:
        ``gamma`` and ``beta``, each of shape ``(channels,)``.
    """

    supports_masking = True
    autocast = False

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (
            not isinstance(groups, int)
            or isinstance(groups, bool)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "Received an invalid value for `groups` in GroupNormalization: expected a "
                f"positive integer or -1, received groups={groups!r}."
            )
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ValueError(
                "Received an invalid value for `axis` in GroupNormalization: expected an "
                f"integer, received axis={axis!r}."
            )
        self.groups, self.axis = groups, axis
        self.epsilon = _check_epsilon("GroupNormalization", epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = _initializers.get(beta_initializer)
        self.gamma_initializer = _initializers.get(gamma_initializer)
        self.beta_regularizer = _regularizers.get(beta_regularizer)
        self.gamma_regularizer = _regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self._groups = groups

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        _axes_in_range(self, [self.axis], input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization) needs a known number of "
                f"channels on axis {self.axis}; received input shape {tuple(input_shape)}."
            )
        groups = dim if self.groups == -1 else self.groups
        if groups > dim or dim % groups:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization): groups={self.groups} must "
                f"divide the number of channels, {dim} (axis {self.axis} of input shape "
                f"{tuple(input_shape)})."
            )
        self._groups = groups
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                (dim,),
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
            )
        if self.center:
            self.beta = self.add_weight(
                "beta",
                (dim,),
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
            )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        axis = self.axis % inputs.ndim
        groups = self._groups
        shape = inputs.shape
        grouped = shape[:axis] + (groups, shape[axis] // groups) + shape[axis + 1 :]
        x = inputs.reshape(grouped).astype(jnp.result_type(inputs.dtype, jnp.float32))
        reduce = tuple(i for i in range(1, x.ndim) if i != axis)
        bshape = [1] * x.ndim
        bshape[axis], bshape[axis + 1] = groups, shape[axis] // groups
        mean = jnp.mean(x, reduce, keepdims=True)
        var = jnp.var(x, reduce, keepdims=True)
        inv = jax.lax.rsqrt(var + self.epsilon)
        params = ctx.params
        if self.scale:
            inv = inv * params["gamma"].astype(x.dtype).reshape(bshape)
        offset = -mean * inv
        if self.center:
            offset = offset + params["beta"].astype(x.dtype).reshape(bshape)
        y = (x * inv + offset).astype(inputs.dtype).reshape(shape)
        return y.astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": _initializers.serialize(self.beta_initializer),
            "gamma_initializer": _initializers.serialize(self.gamma_initializer),
            "beta_regularizer": _serialize_regularizer(self.beta_regularizer),
            "gamma_regularizer": _serialize_regularizer(self.gamma_regularizer),
        }


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Args:
        axis: Axis or list of axes over which the norm is taken (default -1).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = _check_axes("UnitNormalization", axis)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        _axes_in_range(self, self.axis if isinstance(self.axis, list) else [self.axis], input_shape)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        inv = jax.lax.rsqrt(jnp.sum(jnp.square(inputs), axis=axis, keepdims=True))
        return inputs * jnp.minimum(inv, jnp.asarray(1e12, inputs.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
