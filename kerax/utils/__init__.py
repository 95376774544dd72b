"""Utilities under Keras's names."""

from kerax.backend import clear_session
from kerax.random import set_random_seed
from kerax.utils.numerical import to_categorical

__all__ = ["clear_session", "set_random_seed", "to_categorical"]
