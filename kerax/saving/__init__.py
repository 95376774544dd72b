"""Serialization of layers and models (configs)."""

from kerax.saving.serialization import deserialize_layer, serialize_layer

__all__ = ["deserialize_layer", "serialize_layer"]
