"""Python lambdas in files, and the safe mode that guards loading them.

Keras stores a lambda as its marshalled bytecode (base64), its defaults and the values
its closure captured. Loading such an entry runs code from the file, so it is refused
unless the loader is given ``safe_mode=False`` or the process called
``kerax.config.enable_unsafe_deserialization()``. Bytecode is specific to the Python
version that wrote it.
"""

from __future__ import annotations

import base64
import builtins
import marshal
import threading
import types
from typing import Any

from kerax import config as _config

_SAFE = threading.local()


class SafeModeScope:
    """Sets whether stored bytecode may be run, inside a ``with`` block."""

    def __init__(self, safe_mode: bool = True) -> None:
        self.safe_mode = safe_mode

    def __enter__(self) -> SafeModeScope:
        self._previous = getattr(_SAFE, "value", None)
        _SAFE.value = self.safe_mode
        return self

    def __exit__(self, *exc: Any) -> None:
        _SAFE.value = self._previous


def scoped_safe_mode() -> bool | None:
    """The safe mode set by the innermost :class:`SafeModeScope`, or None outside one."""
    return getattr(_SAFE, "value", None)


def in_safe_mode() -> bool:
    """Whether loading refuses stored bytecode now (the default)."""
    if _config.unsafe_deserialization_enabled():
        return False
    value = getattr(_SAFE, "value", None)
    return True if value is None else bool(value)


def dump_lambda(fn: types.FunctionType) -> tuple[str, Any, Any]:
    """``(code, defaults, closure)`` of a lambda, as Keras writes them.

    Raises:
        TypeError: If the closure or the defaults hold a value JSON cannot.
    """
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = None
    if fn.__closure__:
        closure = [cell.cell_contents for cell in fn.__closure__]
    for value in (*(closure or ()), *(fn.__defaults__ or ())):
        if not _is_json(value):
            raise TypeError(
                f"Cannot save the lambda {fn.__code__.co_filename}:{fn.__code__.co_firstlineno}: "
                f"it captures {value!r}, which a file cannot hold. Use a named function "
                "registered with kerax.saving.register_keras_serializable()."
            )
    return code, fn.__defaults__, closure


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_json(v) for v in value)
    return isinstance(value, dict) and all(
        isinstance(k, str) and _is_json(v) for k, v in value.items()
    )


def load_lambda(config: Any, where: str) -> Any:
    """The function of a stored lambda entry (``{"code", "defaults", "closure"}``, or a
    bare lambda's ``{"value": [code, defaults, closure]}``).

    Raises:
        ValueError: In safe mode, or for an entry that is not a readable lambda; the
            message names ``where``.
    """
    if in_safe_mode():
        raise _fail(
            where,
            "the file stores a Python lambda (bytecode), and running it could execute "
            "arbitrary code, so loading it is refused by default. If you trust the file, "
            "pass safe_mode=False to the loading function or call "
            "kerax.config.enable_unsafe_deserialization().",
        )
    if isinstance(config, dict) and "value" in config:  # a bare lambda's entry
        config = dict(zip(("code", "defaults", "closure"), config["value"]))
    try:
        code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    except (KeyError, TypeError, ValueError, EOFError) as err:
        raise _fail(
            where, f"cannot read the stored lambda (written by another Python?): {err}"
        ) from err
    import jax
    import numpy as np

    import kerax

    # The names a lambda's body may use: Keras's and kerax's ops, and jax.numpy.
    namespace = {
        "__builtins__": builtins,
        "keras": kerax,
        "kerax": kerax,
        "ops": kerax.ops,
        "jax": jax,
        "jnp": jax.numpy,
        "np": np,
    }
    defaults = config.get("defaults")
    closure = config.get("closure")
    cells = tuple(types.CellType(c) for c in closure) if closure else None
    try:
        return types.FunctionType(
            code, namespace, None, tuple(defaults) if defaults else None, cells
        )
    except (TypeError, ValueError) as err:
        raise _fail(where, f"the stored lambda does not fit its closure: {err}") from err


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}" if where else message)
