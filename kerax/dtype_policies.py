"""``kerax.dtype_policies``: Keras's namespace of dtype policies. kerax has one policy
class, :class:`~kerax.mixed_precision.DTypePolicy`, for float and mixed policies;
quantized policies are not supported."""

from __future__ import annotations

from typing import Any

from kerax.mixed_precision import DTypePolicy, global_policy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]


class FloatDTypePolicy(DTypePolicy):
    """Keras's float policy class: a :class:`DTypePolicy` whose config keeps this class
    name."""


_CLASSES: dict[str, type[DTypePolicy]] = {
    "DTypePolicy": DTypePolicy,
    "FloatDTypePolicy": FloatDTypePolicy,
}


def serialize(dtype_policy: DTypePolicy) -> dict[str, Any]:
    """Keras's config form of a policy: ``{"module", "class_name", "config"}``."""
    if not isinstance(dtype_policy, DTypePolicy):
        raise TypeError(f"serialize: expected a DTypePolicy, received {dtype_policy!r}.")
    return {
        "module": "keras",
        "class_name": type(dtype_policy).__name__,
        "config": {"name": dtype_policy.name},
        "registered_name": None,
    }


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """The policy a Keras config describes; ``custom_objects`` maps class names to the
    user's policy classes.

    Raises:
        ValueError: For a policy class kerax does not have (quantized policies).
    """
    name = config.get("class_name") if isinstance(config, dict) else None
    if custom_objects and name in custom_objects:
        return custom_objects[name](**config.get("config", {}))
    if name not in _CLASSES:
        raise ValueError(
            f"deserialize: unknown dtype policy {name!r}; kerax has {sorted(_CLASSES)} only "
            "(quantized policies are not supported)."
        )
    return _CLASSES[name](**config.get("config", {}))


def get(identifier: Any) -> DTypePolicy:
    """A policy from ``None`` (the global policy), a name (``"mixed_bfloat16"``), a
    config dict or a policy (returned as is).

    Raises:
        ValueError: For anything else.
    """
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    raise ValueError(
        f"Cannot interpret dtype policy identifier {identifier!r}: expected None, a name, a "
        "config dict or a DTypePolicy."
    )
