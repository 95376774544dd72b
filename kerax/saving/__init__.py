"""Saving: configs, Keras-format files, native checkpoints and exports."""

from kerax.saving.checkpoint import restore_checkpoint, save_checkpoint
from kerax.saving.export import ExportedModel, load_exported
from kerax.saving.keras_file import load_model
from kerax.saving.serialization import (
    deserialize_layer,
    get_registered_name,
    register_keras_serializable,
    serialize_layer,
)

__all__ = [
    "ExportedModel",
    "deserialize_layer",
    "get_registered_name",
    "load_exported",
    "load_model",
    "register_keras_serializable",
    "restore_checkpoint",
    "save_checkpoint",
    "serialize_layer",
]
