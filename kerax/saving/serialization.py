"""Layer configs in Keras's ``{"module", "class_name", "config"}`` form."""

from __future__ import annotations

import inspect
import types
from typing import Any

from kerax.saving import serialization_lib as _lib
from kerax.saving.object_registration import (
    get_registered_name,
    is_user_object,
    lookup_user_object,
    register_keras_serializable,
)

__all__ = [
    "KERAS_ONLY_KEYS",
    "deserialize_layer",
    "get_registered_name",
    "register_keras_serializable",
    "serialize_layer",
]

# Keys Keras 3 writes into layer configs that have no meaning in kerax.
# ``quantization_config`` is only ever dropped when None (see ``_check_keras_only``);
# ``lora_rank`` / ``lora_alpha`` are real arguments of the layers with ``enable_lora``.
KERAS_ONLY_KEYS = frozenset({"ragged", "quantization_config"})

# The layer-config keys of Keras's LoRA.
_LORA_KEYS = ("lora_rank", "lora_alpha")

# Layer arguments that hold objects, by the kind of object (from the argument's name).
_SUFFIXES = (
    ("_initializer", "initializer"),
    ("_regularizer", "regularizer"),
    ("_constraint", "constraint"),
    ("activation", "activation"),
)


# The dtype-policy classes of Keras files that kerax reads (by their policy name).
_POLICIES = frozenset({"DTypePolicy", "FloatDTypePolicy"})


def _kind_of(key: str) -> str | None:
    for suffix, kind in _SUFFIXES:
        if key.endswith(suffix):
            return kind
    return None


def _keras_identity(layer: Any) -> tuple[str, str]:
    """The ``(module, class_name)`` under which Keras 3 finds this layer's class, so
    that files kerax writes load in Keras; kerax-only classes keep their own module."""
    from kerax import layers
    from kerax.models.functional import Model
    from kerax.models.sequential import Sequential

    cls = type(layer)
    if cls is Sequential:
        return "keras", "Sequential"
    if cls is Model:
        return "keras.src.models.functional", "Functional"
    if getattr(layers, cls.__name__, None) is cls:
        return "keras.layers", cls.__name__
    return cls.__module__, cls.__name__


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values())
    return False


def _with_objects(layer: Any, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the layer's functions and objects written as Keras writes them:
    user activations by (registered) name, a ``Lambda``'s function (bytecode for a Python
    lambda), regularizer and constraint objects as configs."""
    from kerax import activations
    from kerax.layers.core import Lambda

    config = dict(config)
    for key, value in list(config.items()):
        kind = _kind_of(key)
        current = getattr(layer, key, None)
        if kind == "activation" and isinstance(current, types.FunctionType):
            if not any(current is known for known in activations._BY_NAME.values()):
                config[key] = _lib.serialize_keras_object(current)
        elif not _is_plain(value):
            config[key] = _lib.serialize_keras_object(value)
    if isinstance(layer, Lambda) and callable(layer.function):
        config["function"] = _lib.lambda_layer_function(layer.function)
    try:
        params = inspect.signature(type(layer).__init__).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        params = {}
    for name in params:
        if _kind_of(name) in ("regularizer", "constraint") and name not in config:
            value = getattr(layer, name, None)
            if value is not None:
                config[name] = _lib.serialize_keras_object(value)
    return config


def serialize_layer(layer: Any) -> dict[str, Any]:
    """The Keras-style config entry of ``layer``."""
    module, class_name = _keras_identity(layer)
    try:
        config = _with_objects(layer, layer.get_config())
    except TypeError as err:
        raise TypeError(f"Layer {layer.name!r} ({class_name}): {err}") from err
    registered = None
    if not module.startswith("keras"):
        registered = get_registered_name(type(layer)) if is_user_object(type(layer)) else None
        registered = registered or class_name
    entry = {
        "module": module,
        "class_name": class_name,
        "config": config,
        "registered_name": registered,
    }
    build = layer.get_build_config()
    if build is not None:
        entry["build_config"] = build
    return entry


def _resolve_argument(
    key: str, value: Any, custom_objects: dict[str, Any] | None, where: str
) -> Any:
    """A layer argument's saved object re-created (checked now, not at ``fit``)."""
    if key == "dtype" and isinstance(value, dict):
        if value.get("class_name") not in _POLICIES:
            raise ValueError(
                f"{where}, argument 'dtype': unknown dtype policy class "
                f"{value.get('class_name')!r}; kerax reads {', '.join(sorted(_POLICIES))}."
            )
        return value
    kind = _kind_of(key)
    if kind is None or value is None:
        return value
    entry = f"{where}, argument '{key}'"
    if isinstance(value, dict):
        return _lib.deserialize(value, kind, custom_objects, entry)
    if isinstance(value, str):
        found = lookup_user_object([value, value.split(">")[-1]], custom_objects)
        if found is not None:
            return found
        if kind == "constraint":
            return _constraint_by_name(value, entry)
    return value


def _constraint_by_name(name: str, where: str) -> Any:
    try:
        from kerax import constraints
    except ImportError:
        raise ValueError(
            f"{where}: unknown constraint {name!r} (this kerax has no kerax.constraints)."
        ) from None
    try:
        return constraints.get(name)
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{where}: {err}") from err


def _lambda_function(value: Any, custom_objects: dict[str, Any] | None, where: str) -> Any:
    entry = f"{where}, argument 'function'"
    if isinstance(value, dict):
        return _lib.deserialize(value, None, custom_objects, entry)
    if isinstance(value, str):
        return _lib.resolve_function(value, None, custom_objects, entry)
    if isinstance(value, list):  # Keras 2's (code, defaults, closure)
        code, defaults, closure = (list(value) + [None, None])[:3]
        return _lib.deserialize(
            {
                "class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure},
            },
            None,
            custom_objects,
            entry,
        )
    return value


def _check_keras_only(cls: type, inner: dict[str, Any], where: str) -> None:
    """Refuses, by name, the Keras features that a config asks for and this layer class
    cannot honour (so that none is dropped silently): quantization, and LoRA on a layer
    class without ``enable_lora``. A class whose constructor names the key takes it."""
    try:
        own = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        own = {}
    if inner.get("quantization_config") is not None and "quantization_config" not in own:
        raise ValueError(
            f"{where}, argument 'quantization_config': quantized layers are not supported "
            f"by kerax; received {inner['quantization_config']!r}."
        )
    if hasattr(cls, "enable_lora"):
        return
    for key in _LORA_KEYS:
        if key in own:
            continue
        if inner.get(key) is not None:
            raise ValueError(
                f"{where}, argument '{key}': LoRA is supported by kerax on Dense, "
                f"EinsumDense and Embedding only; received {key}={inner[key]!r}."
            )
        inner.pop(key, None)


def deserialize_layer(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Re-creates a layer from :func:`serialize_layer` output (or a Keras 3 entry).

    Raises:
        ValueError: Naming the layer and the argument, for a class or an object that
            neither kerax nor the user defines, or a stored lambda in safe mode.
    """
    from kerax.layers._base import Layer
    from kerax.layers.core import Lambda

    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"A layer entry must be a dict with a 'class_name'; received {config!r}.")
    inner = config.get("config")
    inner = dict(inner) if isinstance(inner, dict) else {}
    name = config["class_name"]
    layer_name = inner.get("name") or config.get("name")
    where = f"layer {layer_name!r} ({name})" if layer_name else f"layer class {name!r}"
    cls = _lib.resolve_class(config, "layer", custom_objects, where)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"{where}: {name!r} resolves to {cls!r}, which is not a layer class.")
    for key, value in list(inner.items()):
        inner[key] = _resolve_argument(key, value, custom_objects, where)
    _check_keras_only(cls, inner, where)
    if issubclass(cls, Lambda) and "function" in inner:
        inner["function"] = _lambda_function(inner["function"], custom_objects, where)
    takes_objects = "custom_objects" in inspect.signature(cls.from_config).parameters
    try:
        if takes_objects:
            layer = cls.from_config(inner, custom_objects=custom_objects)
        else:
            layer = cls.from_config(inner)
        build = config.get("build_config")
        if isinstance(build, dict) and not layer.built:
            # Keras's build_config: a subclassed model is built before its weights load.
            layer.build_from_config(build)
        return layer
    except (ValueError, TypeError, KeyError) as err:
        text = str(err)
        if text.startswith("layer "):  # an inner layer already named itself
            raise ValueError(f"{where} > {text}") from err
        raise ValueError(f"{where}: {text}") from err
