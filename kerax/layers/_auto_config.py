"""Keras's automatic configs: a user's class that does not write ``get_config`` is still
serializable when its constructor was called with plain values.

At construction (``Layer.__new__``) the arguments are bound to the class's ``__init__``
signature, defaults applied, ``name`` left to the base config and ``**kwargs`` merged in.
They are kept only if every value is a string, a number, a bool or None (in lists,
tuples and dicts): then ``get_config`` can return them and ``from_config`` can call
the constructor with them again. Variadic positional arguments, positional-only
parameters or other values (a layer, an array) make the class write its own
``get_config``, and saving says so.
"""

from __future__ import annotations

import inspect
from typing import Any

_PLAIN = (str, int, float, bool, type(None))


def capture(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The constructor arguments as a config, or None when they cannot be one."""
    try:
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in params[1:]):
        return None
    bound.apply_defaults()
    values = dict(bound.arguments)
    values.pop(params[0].name, None)
    for p in params[1:]:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            values.update(values.pop(p.name, {}) or {})
        elif p.kind is inspect.Parameter.VAR_POSITIONAL:
            if values.pop(p.name, ()):
                return None
    values.pop("name", None)
    return values if all(_plain(v) for v in values.values()) else None


def _plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def missing_config_error(obj: Any) -> NotImplementedError:
    """The error for a user class that cannot be configured automatically."""
    name = type(obj).__name__
    return NotImplementedError(
        f"{name} was created with constructor arguments that are not plain values "
        "(strings, numbers, bools, None, or lists and dicts of them), so kerax cannot "
        f"write its config by itself. Give {name} a `get_config()` that returns the "
        "arguments of its `__init__` (and, if they are objects, a `from_config`)."
    )
