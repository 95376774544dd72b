"""The dispatch behind every op: run at once on arrays, record a node on symbolic tensors.

An op is a plain function of arrays (its *impl*), registered under a unique name. The
public function calls the impl on arrays (and on :class:`~kerax.variables.Variable`
handles, read to their values); when any argument holds a symbolic
:class:`~kerax.graph.symbolic.KerasTensor`, it instead calls an :class:`OpLayer` that
names the impl, which records a graph node exactly like a layer call. Inside a lowered
graph the impl is traced like any JAX code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

import jax

from kerax import _naming
from kerax.graph.symbolic import any_symbolic
from kerax.layers._base import Layer
from kerax.variables import Variable

Tensor: TypeAlias = Any
"""What an op accepts: an array (NumPy, JAX, Python scalars), a ``Variable``, or a
symbolic ``KerasTensor``."""

Array: TypeAlias = Any
"""What an op returns on arrays: a ``jax.Array`` (or a tuple / list of them); a
``KerasTensor`` (or tuple / list) on symbolic inputs."""

_IMPLS: dict[str, Callable[..., Any]] = {}
# Public names per defining module, for ``__all__`` and the package's re-exports.
_EXPORTS: dict[str, list[str]] = {}


def unwrap(tree: Any) -> Any:
    """``tree`` with each :class:`~kerax.variables.Variable` replaced by its value."""
    return jax.tree_util.tree_map(
        lambda v: v.value if isinstance(v, Variable) else v,
        tree,
        is_leaf=lambda v: isinstance(v, Variable),
    )


class OpLayer(Layer):
    """A graph node that applies one op of :mod:`kerax.ops` (no weights).

    Args:
        op: The op's registered name (its name in :mod:`kerax.ops`).
    """

    def __init__(self, op: str, **kwargs: Any) -> None:
        kwargs.setdefault("name", _naming.unique_name(op))
        super().__init__(**kwargs)
        if op not in _IMPLS:
            raise ValueError(f"Unknown op: {op!r}.")
        self.op = op
        self.built = True

    def apply(self, ctx: Any, *args: Any, **kwargs: Any) -> Any:
        return _IMPLS[self.op](*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op}


# Saved configs name the class by its public home.
OpLayer.__module__ = "kerax.ops"


def _record(module: str, name: str) -> None:
    names = _EXPORTS.setdefault(module, [])
    if name not in names:
        names.append(name)


def register(name: str, impl: Callable[..., Any], module: str) -> Callable[..., Any]:
    """Registers ``impl`` as op ``name`` and returns its public, dispatching function.

    The public function carries the impl's signature and docstring.
    """
    if name in _IMPLS:
        raise ValueError(f"Op {name!r} is already registered.")
    _IMPLS[name] = impl

    @functools.wraps(impl)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        if any_symbolic((args, kwargs)):
            return OpLayer(name)(*args, **kwargs)
        return impl(*unwrap(args), **unwrap(kwargs))

    dispatch.__name__ = dispatch.__qualname__ = name
    dispatch.__module__ = module
    _record(module, name)
    return dispatch


def _caller_module(depth: int = 2) -> str:
    return sys._getframe(depth).f_globals["__name__"]


def op(fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Decorator: turns an impl on arrays into an op (see :func:`register`).

    Args:
        fn: The impl. Its ``__name__`` is the op's name unless ``name`` is given.
        name: The op's name, for impls whose Python name must differ (builtins).
    """
    module = _caller_module()

    def wrap(impl: Callable[..., Any]) -> Callable[..., Any]:
        return register(name or impl.__name__, impl, module)

    return wrap if fn is None else wrap(fn)


def export(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: lists a plain function (no graph node: control flow, shape queries)
    among its module's public names."""
    _record(fn.__module__, fn.__name__)
    return fn


def alias(target: Callable[..., Any], name: str, module: str | None = None) -> Callable[..., Any]:
    """Registers ``name`` as a second op with ``target``'s impl (its own graph name)."""
    impl = getattr(target, "__wrapped__", target)

    @functools.wraps(impl)
    def same(*args: Any, **kwargs: Any) -> Any:
        return impl(*args, **kwargs)

    same.__name__ = same.__qualname__ = name
    same.__doc__ = f"Alias of :func:`{target.__name__}`."
    return register(name, same, module or _caller_module())


def exports(module: str) -> list[str]:
    """The public names a module of :mod:`kerax.ops` defined, in definition order."""
    return list(_EXPORTS.get(module, []))


def check_data_format(data_format: str | None) -> str:
    """``"channels_last"`` or ``"channels_first"``; ``None`` is the configured default
    (:func:`kerax.config.image_data_format`)."""
    from kerax._settings import image_data_format

    fmt = image_data_format() if data_format is None else data_format.lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first', received {data_format!r}."
        )
    return fmt


def tuplify(value: Any, n: int, what: str = "value") -> tuple[Any, ...]:
    """``value`` as an ``n``-tuple (an int is repeated)."""
    if isinstance(value, int):
        return (value,) * n
    out = tuple(value)
    if len(out) != n:
        raise ValueError(f"`{what}` must be an int or {n} ints, received {value!r}.")
    return out
