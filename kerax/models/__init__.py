"""Models: the functional ``Model`` and ``Sequential``."""

from kerax.models.cloning import clone_model
from kerax.models.functional import Model
from kerax.models.sequential import Sequential
from kerax.saving.keras_file import load_model
from kerax.saving.saving_api import save_model


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Model:
    """Rebuilds a model (fresh weights) from ``model.to_json()``."""
    import json

    from kerax.saving.serialization import deserialize_layer

    return deserialize_layer(json.loads(json_string), custom_objects)


__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
