"""Keras 3's object configs, both ways: ``serialize_keras_object`` and
``deserialize_keras_object``.

An object is written ``{"module", "class_name", "config", "registered_name"}``; a
function ``{"module": "builtins", "class_name": "function", "config": <name>,
"registered_name": "function"}``; a Python lambda ``{"class_name": "__lambda__",
"config": {"code", "defaults", "closure"}}`` (its marshalled bytecode).

Reading is closed: a name is looked up in the user's objects
(:mod:`kerax.saving.object_registration`) and in kerax's own namespaces, never imported,
and only classes and functions defined by kerax or by the user are used. Running stored
bytecode (a lambda) needs ``safe_mode=False`` or
``kerax.config.enable_unsafe_deserialization()``.
"""

from __future__ import annotations

import importlib
import types
import warnings
from typing import Any

from kerax.saving import object_registration as _registration
from kerax.saving.lambdas import (
    SafeModeScope,
    dump_lambda,
    in_safe_mode,
    load_lambda,
    scoped_safe_mode,
)

__all__ = [
    "SafeModeScope",
    "deserialize",
    "deserialize_keras_object",
    "in_safe_mode",
    "lambda_layer_function",
    "resolve_class",
    "resolve_function",
    "serialize_keras_object",
]


# What a config entry may be, and the kerax modules that hold the classes and functions
# of each kind.
_NAMESPACES: dict[str, tuple[str, ...]] = {
    "layer": ("kerax.layers", "kerax.models", "kerax.ops", "kerax.mixed_precision"),
    "activation": ("kerax.activations",),
    "initializer": ("kerax.initializers",),
    "regularizer": ("kerax.regularizers",),
    "constraint": ("kerax.constraints",),
    "loss": ("kerax.losses",),
    "metric": ("kerax.metrics", "kerax.losses"),
    "optimizer": ("kerax.optimizers", "kerax.optimizers.schedules", "kerax.schedules"),
}
_ANY = tuple(dict.fromkeys(m for mods in _NAMESPACES.values() for m in mods))
# Keras's class names that kerax spells differently.
_ALIASES = {"Functional": "Model"}


# ---------------------------------------------------------------------------- writing


def _function_config(fn: Any) -> dict[str, Any]:
    if getattr(fn, "__name__", None) == "<lambda>":
        warnings.warn(
            "Saving a Python lambda stores its bytecode: the file loads only with "
            "safe_mode=False, and only on this Python version. Prefer a named function "
            "registered with kerax.saving.register_keras_serializable().",
            stacklevel=3,
        )
        code, defaults, closure = dump_lambda(fn)
        return {"class_name": "__lambda__", "config": {"value": (code, defaults, closure)}}
    return {
        "module": "builtins",
        "class_name": "function",
        "config": _registration.get_registered_name(fn),
        "registered_name": "function",
    }


def lambda_layer_function(fn: Any) -> Any:
    """A ``Lambda`` layer's ``function`` entry: a Python lambda as
    ``{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}`` (the
    layer's form in Keras files), any other function as :func:`serialize_keras_object`."""
    if getattr(fn, "__name__", None) != "<lambda>":
        return serialize_keras_object(fn)
    config = serialize_keras_object(fn)["config"]["value"]
    return {
        "class_name": "__lambda__",
        "config": dict(zip(("code", "defaults", "closure"), config)),
    }


def _keras_module(obj: Any) -> str:
    """The module Keras files name for a kerax class (``kerax.layers.core`` ->
    ``keras.layers``), so that Keras finds its own class; user classes keep theirs."""
    module = type(obj).__module__
    if not module.startswith("kerax."):
        return module
    public = module.split(".")[1]
    return {"models": "keras.models", "mixed_precision": "keras"}.get(public, f"keras.{public}")


def serialize_keras_object(obj: Any) -> Any:
    """The JSON-friendly config of ``obj``, in Keras 3's layout.

    ``None``, numbers, strings and bools are returned as they are, lists, tuples and
    dicts entry by entry, functions by (registered) name,
    lambdas as bytecode, and objects with ``get_config()`` as ``{"module",
    "class_name", "config", "registered_name"}``.

    Raises:
        TypeError: For an object that has no config.
    """
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(serialize_keras_object(v) for v in obj)
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, types.FunctionType | types.BuiltinFunctionType):
        return _function_config(obj)
    from kerax.layers._base import Layer

    if isinstance(obj, Layer):
        from kerax.saving.serialization import serialize_layer

        return serialize_layer(obj)
    if hasattr(obj, "get_config"):
        registered = _registration.get_registered_name(type(obj))
        is_user = _registration.is_user_object(type(obj))
        return {
            "module": _keras_module(obj),
            "class_name": type(obj).__name__,
            "config": serialize_keras_object(obj.get_config()),
            "registered_name": registered if is_user else None,
        }
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):
        return obj.tolist()
    raise TypeError(
        f"Cannot serialize {obj!r} ({type(obj).__name__}): it is not a function and has no "
        "get_config() method."
    )


# ---------------------------------------------------------------------------- reading


def _modules(kind: str | None) -> list[Any]:
    found = []
    for name in _NAMESPACES.get(kind or "", _ANY):
        try:
            found.append(importlib.import_module(name))
        except ImportError:  # a kerax namespace not present in this version
            continue
    return found


def _own_object(modules: list[Any], name: str, want_class: bool) -> Any:
    """A public class (or function) of kerax's modules named ``name``, or None."""
    if not name or name.startswith("_"):
        return None
    for module in modules:
        obj = vars(module).get(name)
        if obj is None:
            continue
        if want_class and not isinstance(obj, type):
            continue
        if not want_class and not isinstance(obj, types.FunctionType):
            continue
        if getattr(obj, "__module__", "").split(".")[0] == "kerax":
            return obj
    return None


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}" if where else message)


def resolve_function(
    name: str, kind: str | None, custom_objects: dict[str, Any] | None, where: str = ""
) -> Any:
    """The function saved as ``name``: the user's, else kerax's of that kind.

    Raises:
        ValueError: Naming ``where`` and ``name`` when nothing is known by that name.
    """
    bare = name.split(">")[-1]
    found = _registration.lookup_user_object([name, bare], custom_objects)
    if found is not None:
        return found
    if kind == "activation":
        from kerax import activations

        table = activations._BY_NAME
        if name in table:
            return table[name]
    found = _own_object(_modules(kind), name, want_class=False)
    if found is None:
        raise _fail(
            where,
            f"Unknown function {name!r}. If it is yours, register it with "
            "@kerax.saving.register_keras_serializable() or pass "
            f"custom_objects={{{bare!r}: {bare}}} to the loading function.",
        )
    return found


def deserialize_keras_object(
    config: Any,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Re-creates an object from :func:`serialize_keras_object` output (or Keras's).

    Args:
        config: The config (a dict, or a plain value, returned as it is).
        custom_objects: ``{name: class or function}`` for the user's objects.
        safe_mode: When True (the default), refuse stored bytecode (Python lambdas).
        **kwargs: ``module_objects`` (an extra ``{name: object}`` table) and ``kind``
            (``"layer"``, ``"activation"``, ``"loss"``, ... to search only kerax's
            namespace of that kind), ``where`` (named in errors).

    Raises:
        ValueError: For a name that neither the user nor kerax defines, or a lambda
            in safe mode; the message names the entry.
    """
    module_objects = kwargs.pop("module_objects", None)
    kind = kwargs.pop("kind", None)
    where = kwargs.pop("where", "")
    if kwargs:
        raise TypeError(f"deserialize_keras_object() got unexpected arguments {sorted(kwargs)}.")
    objects = {**(module_objects or {}), **(custom_objects or {})}
    with SafeModeScope(safe_mode and scoped_safe_mode() is not False):
        return deserialize(config, kind, objects or None, where)


def deserialize(
    config: Any, kind: str | None, custom_objects: dict[str, Any] | None, where: str = ""
) -> Any:
    """:func:`deserialize_keras_object` under the current safe mode (the loader's)."""
    if isinstance(config, list):
        return [deserialize(c, kind, custom_objects, where) for c in config]
    if isinstance(config, str):
        found = _registration.lookup_user_object([config], custom_objects)
        return config if found is None else found
    if isinstance(config, dict) and "class_name" not in config:  # e.g. a loss per output
        return {k: deserialize(v, kind, custom_objects, where) for k, v in config.items()}
    if not isinstance(config, dict):
        return config
    class_name = config["class_name"]
    if not isinstance(class_name, str):
        raise _fail(where, f"'class_name' must be a string; received {class_name!r}.")
    inner = config.get("config")
    if class_name == "__tuple__":
        return tuple(deserialize(v, kind, custom_objects, where) for v in inner["value"])
    if class_name == "__lambda__":
        return load_lambda(inner, where)
    if class_name == "function":
        if not isinstance(inner, str):
            raise _fail(where, f"a function entry must name the function; received {inner!r}.")
        return resolve_function(inner, kind, custom_objects, where)
    if kind == "layer":
        from kerax.saving.serialization import deserialize_layer

        return deserialize_layer(config, custom_objects)
    cls = resolve_class(config, kind, custom_objects, where)
    from kerax.layers._base import Layer

    if isinstance(cls, type) and issubclass(cls, Layer):
        from kerax.saving.serialization import deserialize_layer

        return deserialize_layer(config, custom_objects)
    if not hasattr(cls, "from_config"):
        raise _fail(where, f"{class_name!r} has no from_config() method.")
    try:
        return cls.from_config(inner if isinstance(inner, dict) else {})
    except Exception as err:  # the message gains the entry that failed
        raise _fail(where, f"cannot re-create {class_name} from {inner!r}: {err}") from err


def resolve_class(
    config: dict[str, Any], kind: str | None, custom_objects: dict[str, Any] | None, where: str
) -> Any:
    """The class an entry names: the user's (by registered name, then class name), else
    kerax's public class of that name in the namespaces of ``kind``.

    Raises:
        ValueError: Naming ``where``, the module and the class, when neither knows it.
    """
    class_name = config["class_name"]
    registered = config.get("registered_name")
    module = config.get("module")
    found = _registration.lookup_user_object([registered, class_name], custom_objects)
    if found is not None:
        return found
    name = _ALIASES.get(class_name, class_name)
    own_module = module is None or (
        isinstance(module, str) and module.split(".")[0] in ("keras", "kerax")
    )
    if own_module:
        found = _own_object(_modules(kind), name, want_class=True)
        if found is not None:
            return found
    what = f"{kind} class" if kind else "class"
    origin = f" of module {module!r}" if module else ""
    hint = (
        ""
        if own_module
        else " kerax never imports modules named in a file: only kerax's own classes and "
        "the ones you register or pass are used."
    )
    raise _fail(
        where,
        f"Unknown {what} {class_name!r}{origin}.{hint} If it is yours, register it with "
        "@kerax.saving.register_keras_serializable() or pass "
        f"custom_objects={{{class_name!r}: {class_name}}} to the loading function.",
    )
