"""Dtype policies: compute in low precision, keep variables in float32.

``set_global_policy("mixed_bfloat16")`` (or ``"mixed_float16"``) makes every layer
created afterwards store its weights in float32 and compute in bfloat16 (float16);
``dtype=`` on a layer sets its own policy. The lowering casts a layer's floating inputs
and weights to its compute dtype as it applies it, so layers hold no casting code, and
gradients flow back to the float32 weights through the casts.
"""

from __future__ import annotations

from typing import Any

from kerax.graph.spec import canonical_dtype

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


class DTypePolicy:
    """A layer's variable dtype and compute dtype.

    Args:
        name: A dtype name (``"float32"``, ``"bfloat16"``...), where variables and
            computation share it, or ``"mixed_float16"`` / ``"mixed_bfloat16"``.
    """

    def __init__(self, name: str = "float32") -> None:
        if isinstance(name, DTypePolicy):
            name = name.name
        if name in _MIXED:
            self.variable_dtype, self.compute_dtype = "float32", _MIXED[name]
        else:
            try:
                dtype = canonical_dtype(name)
            except TypeError as err:
                raise ValueError(
                    f"Unknown dtype policy {name!r}: expected a dtype name or one of "
                    f"{sorted(_MIXED)}."
                ) from err
            self.variable_dtype = self.compute_dtype = dtype
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy
_global = {"policy": DTypePolicy("float32")}


def set_global_policy(policy: str | DTypePolicy) -> None:
    """Sets the policy of layers created from now on (``"mixed_bfloat16"``...)."""
    _global["policy"] = DTypePolicy(policy)


def global_policy() -> DTypePolicy:
    """The policy new layers get when they are given no ``dtype``."""
    return _global["policy"]


# Keras 3's newer names for the same two functions.
dtype_policy = global_policy
set_dtype_policy = set_global_policy


def resolve(dtype: Any) -> DTypePolicy:
    """The policy for a layer's ``dtype=`` argument (None: the global policy)."""
    if dtype is None:
        return global_policy()
    if isinstance(dtype, dict):  # Keras 3 configs serialize the policy
        dtype = dtype.get("config", {}).get("name", "float32")
    return DTypePolicy(dtype)


def __getattr__(name: str) -> Any:
    # Keras also exposes the loss-scaling optimizer here; imported lazily (optimizers
    # import the layers, which import this module).
    if name == "LossScaleOptimizer":
        from kerax.optimizers import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module 'kerax.mixed_precision' has no attribute {name!r}")
