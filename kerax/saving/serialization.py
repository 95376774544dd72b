"""Layer configs in Keras's ``{"module", "class_name", "config"}`` form."""

from __future__ import annotations

from typing import Any

_REGISTRY: dict[str, Any] = {}


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Class decorator: makes a user layer (or model) loadable from saved configs.

    The class is stored under ``"<package>>:<name>"`` (name defaults to the class
    name), which is written as the ``registered_name`` of its configs, as in Keras.
    """

    def register(cls: Any) -> Any:
        key = f"{package}>{name or cls.__name__}"
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"{key!r} is already registered to {_REGISTRY[key]!r}.")
        _REGISTRY[key] = cls
        cls._registered_name = key
        return cls

    return register


def get_registered_name(cls: Any) -> str:
    """The name a class is saved under (its registered name, else its class name)."""
    return getattr(cls, "_registered_name", None) or cls.__name__


# Keys Keras 3 writes into layer configs that have no meaning in kerax.
KERAS_ONLY_KEYS = frozenset({"ragged", "quantization_config", "lora_rank", "lora_alpha"})


def _keras_identity(layer: Any) -> tuple[str, str]:
    """The ``(module, class_name)`` under which Keras 3 finds this layer's class, so
    that files kerax writes load in Keras; kerax-only classes keep their own module."""
    from kerax import layers
    from kerax.models.functional import Model
    from kerax.models.sequential import Sequential

    cls = type(layer)
    if cls is Sequential:
        return "keras", "Sequential"
    if cls is Model:
        return "keras.src.models.functional", "Functional"
    if getattr(layers, cls.__name__, None) is cls:
        return "keras.layers", cls.__name__
    return cls.__module__, cls.__name__


def serialize_layer(layer: Any) -> dict[str, Any]:
    """The Keras-style config entry of ``layer``."""
    module, class_name = _keras_identity(layer)
    return {
        "module": module,
        "class_name": class_name,
        "config": layer.get_config(),
        "registered_name": None if module.startswith("keras") else get_registered_name(type(layer)),
    }


def deserialize_layer(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Re-creates a layer from :func:`serialize_layer` output."""
    from kerax import layers, models, ops

    name = config["class_name"]
    name = {"Functional": "Model"}.get(name, name)
    registered = config.get("registered_name")
    cls = (
        (custom_objects or {}).get(name)
        or (custom_objects or {}).get(registered or "")
        or _REGISTRY.get(registered or "")
        or getattr(layers, name, None)
        or getattr(models, name, None)
        or getattr(ops, name, None)
    )
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{name}'. Pass it in `custom_objects={{'{name}': cls}}`."
        )
    if isinstance(cls, type) and issubclass(cls, models.Model):
        return cls.from_config(dict(config["config"]), custom_objects=custom_objects)
    return cls.from_config(dict(config["config"]))
