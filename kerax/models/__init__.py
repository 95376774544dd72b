"""Models: the functional ``Model`` and ``Sequential``."""

from kerax.models.functional import Model
from kerax.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
