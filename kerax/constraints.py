"""Weight constraints by Keras name and class, with Keras's formulas.

A constraint is a function ``weight -> weight`` applied to a trainable weight after each
optimizer update (``Dense(..., kernel_constraint=MaxNorm(2))``); inside ``fit`` it runs in
the jitted train step, on the new value of the weight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.errors import unknown_name

Axis = int | Sequence[int]


def _epsilon() -> float:
    from kerax import backend

    return backend.epsilon()


def _axis(axis: Axis) -> int | tuple[int, ...]:
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _norms(w: jax.Array, axis: Axis) -> jax.Array:
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=_axis(axis), keepdims=True))


class Constraint:
    """Base class: subclasses implement ``__call__(w)``; the base leaves ``w`` as is."""

    def __call__(self, w: jax.Array) -> jax.Array:
        return w

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Re-creates the constraint from :meth:`get_config`'s dict."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales each slice whose L2 norm over ``axis`` exceeds ``max_value`` down to it.

    Args:
        max_value: The largest norm allowed.
        axis: The axis (or axes) the norm is taken over; 0 for a ``Dense`` kernel of
            shape ``(input_dim, units)`` constrains each unit's incoming weights.
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: jax.Array) -> jax.Array:
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (_epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of each slice over ``axis`` into ``[min_value, max_value]``.

    Args:
        min_value: The smallest norm allowed.
        max_value: The largest norm allowed.
        rate: How far to move: 1.0 moves the norm all the way into the interval; less
            moves it that fraction of the way (``rate * clipped + (1 - rate) * norm``).
        axis: The axis (or axes) the norm is taken over.
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: jax.Array) -> jax.Array:
        norms = _norms(w, self.axis)
        clipped = jnp.clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (_epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w: jax.Array) -> jax.Array:
        return w * (w >= 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Scales each slice to unit L2 norm over ``axis``.

    Args:
        axis: The axis (or axes) the norm is taken over.
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: jax.Array) -> jax.Array:
        return w / (_epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


# Keras's lower-case names for the same classes.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

_BY_NAME: dict[str, type[Constraint]] = {
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}
_BY_CLASS = {cls.__name__: cls for cls in (Constraint, *_BY_NAME.values())}


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """Keras's config form of a constraint: ``{"module", "class_name", "config"}``."""
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise TypeError(
            f"serialize: expected a kerax.constraints.Constraint, received {constraint!r}; "
            "a plain function has no config (subclass Constraint and define get_config)."
        )
    return {
        "module": "keras.constraints",
        "class_name": type(constraint).__name__,
        "config": constraint.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Constraint:
    """The constraint a Keras config dict describes; ``custom_objects`` (name to class)
    is searched first.

    Raises:
        ValueError: For an unknown class name.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"deserialize: expected a dict with 'class_name' and 'config', received {config!r}."
        )
    name = config["class_name"]
    known = {**_BY_CLASS, **_BY_NAME, **(custom_objects or {})}
    if name not in known:
        raise unknown_name("constraint", name, known)
    return known[name].from_config(config.get("config") or {})


def get(identifier: Any) -> Constraint | Callable[[jax.Array], jax.Array] | None:
    """Resolves a constraint given as ``None``, a name (``"max_norm"`` or
    ``"MaxNorm"``), a config dict, or a callable (returned as is).

    Raises:
        ValueError: For an unknown name or an identifier of another type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is None:
            raise unknown_name("constraint", identifier, _BY_NAME)
        return cls()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier {identifier!r}: expected None, a name, "
        "a config dict or a callable."
    )
