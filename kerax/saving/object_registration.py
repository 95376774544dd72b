"""The user's objects known to the loader: registered ones, and scoped custom objects.

Loading a saved model never imports a module named in a file. A name in a file is looked
up, in this order, in the ``custom_objects`` passed to the loader, the innermost
:class:`CustomObjectScope`, the objects registered with
:func:`register_keras_serializable` (or put into :func:`get_custom_objects`), and last
kerax's own namespaces.
"""

from __future__ import annotations

import threading
from typing import Any

# Registered name ("package>name") -> object, and object -> registered name.
_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_SCOPES = threading.local()


def _scope_stack() -> list[dict[str, Any]]:
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


class CustomObjectScope:
    """Makes objects known to the loader inside a ``with`` block, by name.

    ```python
    with kerax.saving.CustomObjectScope({"my_act": my_act}):
        model = kerax.models.load_model("m.keras")
    ```

    Args:
        custom_objects: ``{name: object}``; several dicts may be passed, later ones win.
    """

    def __init__(self, custom_objects: dict[str, Any] | None, *more: dict[str, Any]) -> None:
        self.custom_objects: dict[str, Any] = {}
        for objects in (custom_objects, *more):
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(
                    "CustomObjectScope expects dicts of {name: object}; received "
                    f"{type(objects).__name__} {objects!r}."
                )
            self.custom_objects.update(objects)

    def __enter__(self) -> CustomObjectScope:
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _scope_stack().pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict[str, Any]:
    """The process-wide ``{name: object}`` dict of registered objects.

    Adding an entry to it (``get_custom_objects()["my_act"] = my_act``) makes the object
    loadable by that name, as registering it does.
    """
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Decorator: makes a user class or function loadable from saved files.

    The object is stored under ``"<package>><name>"`` (``name`` defaults to the class or
    function name); configs written for it carry that registered name, as in Keras.

    Registering another object under a taken name replaces it, as in Keras.

    Raises:
        ValueError: If ``package`` contains ``">"``, or a class has no ``get_config``.
    """
    if ">" in package:
        raise ValueError(f"The package name must not contain '>'; received package={package!r}.")

    def register(obj: Any) -> Any:
        if not isinstance(obj, type) and not callable(obj):
            raise ValueError(
                f"register_keras_serializable decorates classes and functions; received {obj!r}."
            )
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a registered class needs a get_config() method."
            )
        key = f"{package}>{name or obj.__name__}"
        # A name registered again (a notebook cell run twice) now means the new object;
        # the old object keeps its name, as in Keras.
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return register


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is saved under: its registered name, else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(
    name: str,
    custom_objects: dict[str, Any] | None = None,
    module_objects: dict[str, Any] | None = None,
) -> Any:
    """The object saved under ``name``, or ``None`` if no table knows it.

    Looks in the open :class:`CustomObjectScope` blocks (innermost first), the registered
    objects, ``custom_objects`` and ``module_objects``, in that order, as Keras does.
    """
    for scope in reversed(_scope_stack()):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def lookup_user_object(names: list[str | None], custom_objects: dict[str, Any] | None) -> Any:
    """The user's object for the first of ``names`` that is known: the open scopes
    first, then the registry, then ``custom_objects`` (Keras's order); ``None``
    otherwise."""
    for name in names:
        if name:
            found = get_registered_object(name, custom_objects)
            if found is not None:
                return found
    return None


def is_user_object(obj: Any) -> bool:
    """Whether ``obj`` was registered or is in an open scope (so that it may be used as a
    base of a loaded class)."""
    try:
        if obj in _GLOBAL_CUSTOM_NAMES:
            return True
    except TypeError:
        return False
    return any(obj is v for scope in _scope_stack() for v in scope.values())
