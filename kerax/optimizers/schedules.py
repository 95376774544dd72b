"""``kerax.optimizers.schedules``: the learning-rate schedules of ``kerax.schedules``."""

from typing import Any

from kerax.schedules import *  # noqa: F403
from kerax.schedules import __all__ as _SCHEDULES

__all__ = [*_SCHEDULES, "deserialize", "serialize"]


def serialize(learning_rate_schedule: Any) -> Any:
    """Keras's config form of a schedule: ``{"module", "class_name", "config"}``."""
    from kerax.saving import serialize_keras_object

    return serialize_keras_object(learning_rate_schedule)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The schedule a Keras config describes; ``custom_objects`` maps names to the
    user's classes."""
    from kerax.saving import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, kind="optimizer")
