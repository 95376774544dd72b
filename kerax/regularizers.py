"""Weight penalties by Keras name and class: ``l1``, ``l2``, ``l1_l2``,
``orthogonal_regularizer``."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar`` penalty added to the loss."""

    def __call__(self, x: jax.Array) -> jax.Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    Args:
        l1: Factor of the L1 term (default 0).
        l2: Factor of the L2 term (default 0).
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        for arg, value in (("l1", l1), ("l2", l2)):
            if value < 0:
                raise ValueError(f"`{arg}` must be non-negative, received {arg}={value}.")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: jax.Array) -> jax.Array:
        out = jnp.zeros((), jnp.float32)
        if self.l1:
            out = out + self.l1 * jnp.sum(jnp.abs(x))
        if self.l2:
            out = out + self.l2 * jnp.sum(jnp.square(x))
        return out

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|x|)`` (Keras default factor 0.01)."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(x**2)`` (Keras default factor 0.01)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a rank-2 weight towards mutual orthogonality.

    The penalty is ``factor * 0.5 * sum(|G - diag(G)|) / (n * (n - 1) / 2)``, where ``G``
    is the Gram matrix of the L2-normalized rows (``mode="rows"``) or columns
    (``mode="columns"``) and ``n`` their number: ``factor`` times the mean absolute
    cosine similarity over the distinct pairs.

    Args:
        factor: Non-negative strength of the penalty (default 0.01).
        mode: ``"rows"`` (default) or ``"columns"``: which vectors should be orthogonal.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        if (
            isinstance(factor, bool)
            or not isinstance(factor, float | int)
            or not math.isfinite(factor)
            or factor < 0
        ):
            raise ValueError(
                "Invalid value for argument `factor` of OrthogonalRegularizer: expected a "
                f"non-negative finite float, received factor={factor!r}."
            )
        if mode not in ("rows", "columns"):
            raise ValueError(
                "Invalid value for argument `mode` of OrthogonalRegularizer: expected "
                f'"rows" or "columns", received mode={mode!r}.'
            )
        self.factor, self.mode = float(factor), mode

    def __call__(self, x: jax.Array) -> jax.Array:
        x = jnp.asarray(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer expects a rank-2 weight, received shape {tuple(x.shape)}."
            )
        vectors = x if self.mode == "rows" else x.T
        sq = jnp.sum(jnp.square(vectors), axis=1, keepdims=True)
        # Keras's L2 normalization: x * min(rsqrt(sum x**2), 1 / epsilon).
        unit = vectors * jnp.minimum(jax.lax.rsqrt(sq), 1.0 / 1e-7)
        gram = unit @ unit.T
        n = vectors.shape[0]
        off_diagonal = gram * (1.0 - jnp.eye(n, dtype=gram.dtype))
        pairs = n * (n - 1.0) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


def _l1_l2_by_name() -> L1L2:
    """What the name ``"l1_l2"`` gives: tf.keras's 0.01 for both factors."""
    return L1L2(l1=0.01, l2=0.01)


# Keras 3 binds the lower-case names to the classes (``l1_l2(l1=0.0, l2=0.0)``).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer
_BY_NAME = {
    "l1": L1,
    "l2": L2,
    "l1_l2": _l1_l2_by_name,
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
    "OrthogonalRegularizer": OrthogonalRegularizer,
}


def get(identifier: Any) -> Any:
    """Resolves a regularizer from ``None``, a name, an instance or a callable."""
    if identifier is None or callable(identifier) and not isinstance(identifier, str):
        return identifier
    if isinstance(identifier, dict):
        return _BY_NAME[identifier["class_name"]].from_config(identifier.get("config", {}))
    if identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    raise ValueError(
        f"Unknown regularizer: {identifier!r}. Known names: {', '.join(sorted(_BY_NAME))}."
    )


def serialize(regularizer: Any) -> Any:
    """Keras's config form of a regularizer: ``{"module", "class_name", "config"}``."""
    from kerax.saving import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The regularizer a Keras config describes; ``custom_objects`` maps names to the
    user's classes."""
    from kerax.saving import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, kind="regularizer")
