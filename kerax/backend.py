"""Session utilities, under Keras's names."""

from __future__ import annotations

from kerax import _naming


def clear_session() -> None:
    """Resets the default layer and model names (``dense``, ``dense_1``, ...)."""
    _naming.reset()


def backend() -> str:
    """The array backend: always ``"jax"``."""
    return "jax"
