"""kerax's exceptions. They derive from the builtin types Keras code already catches."""

from __future__ import annotations


class KeraxError(Exception):
    """Base class of kerax's own exceptions."""


class GraphError(KeraxError, ValueError):
    """A functional graph that cannot be built: disconnected, duplicate names, cycles."""


class NotCompiledError(KeraxError, RuntimeError):
    """Training or evaluation was asked of a model that was not compiled."""
