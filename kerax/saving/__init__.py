"""Saving: configs, Keras-format files, native checkpoints and exports."""

from kerax.saving.checkpoint import restore_checkpoint, save_checkpoint
from kerax.saving.export import ExportedModel, load_exported
from kerax.saving.file_editor import KerasFileEditor
from kerax.saving.keras_file import load_model
from kerax.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kerax.saving.saving_api import load_weights, save_model, save_weights
from kerax.saving.serialization import deserialize_layer, serialize_layer
from kerax.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

__all__ = [
    "CustomObjectScope",
    "ExportedModel",
    "KerasFileEditor",
    "custom_object_scope",
    "deserialize_keras_object",
    "deserialize_layer",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_exported",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "restore_checkpoint",
    "save_checkpoint",
    "save_model",
    "save_weights",
    "serialize_keras_object",
    "serialize_layer",
]
