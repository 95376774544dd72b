"""Layer configs in Keras's ``{"module", "class_name", "config"}`` form."""

from __future__ import annotations

from typing import Any


def serialize_layer(layer: Any) -> dict[str, Any]:
    """The Keras-style config entry of ``layer``."""
    return {
        "module": type(layer).__module__,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
    }


def deserialize_layer(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Re-creates a layer from :func:`serialize_layer` output."""
    from kerax import layers, models, ops

    name = config["class_name"]
    name = {"Functional": "Model"}.get(name, name)
    cls = (
        (custom_objects or {}).get(name)
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
