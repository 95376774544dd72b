"""How a table of ``jax.numpy`` names becomes ops with Keras's signatures.

Each factory takes an op's name and the name of its ``jax.numpy`` function and returns
the impl :func:`~kerax.ops._core.register` turns into an op. The ``jax.numpy`` function
is looked up when called, so an older JAX lacking one fails only on that op.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, register
from kerax.ops.numpy import _signatures

Factory = Callable[[str, str], Callable[..., Any]]


def _jnp(name: str) -> Callable[..., Any]:
    return getattr(jnp, name)


def as_axis(axis: Any) -> Any:
    """``axis`` as ``jax.numpy`` takes it (a list of axes as a tuple)."""
    return tuple(axis) if isinstance(axis, list) else axis


def unary(name: str, jname: str) -> Callable[..., Any]:
    """Elementwise functions of one tensor."""

    def impl(x: Tensor) -> Array:
        return _jnp(jname)(x)

    impl.__doc__ = f"Elementwise ``{name}`` of ``x`` (``jax.numpy.{jname}``)."
    return impl


def binary(name: str, jname: str) -> Callable[..., Any]:
    """Elementwise (or product-like) functions of two tensors, Keras's ``(x1, x2)``."""

    def impl(x1: Tensor, x2: Tensor) -> Array:
        return _jnp(jname)(x1, x2)

    impl.__doc__ = f"``{name}`` of ``x1`` and ``x2`` (``jax.numpy.{jname}``)."
    return impl


def bitwise(name: str, jname: str) -> Callable[..., Any]:
    """Bitwise functions of two integer tensors, Keras's ``(x, y)``."""

    def impl(x: Tensor, y: Tensor) -> Array:
        return _jnp(jname)(x, y)

    impl.__doc__ = f"``{name}`` of integer tensors ``x`` and ``y`` (``jax.numpy.{jname}``)."
    return impl


def reduction(name: str, jname: str) -> Callable[..., Any]:
    """Reductions, Keras's ``(x, axis=None, keepdims=False)``."""

    def impl(x: Tensor, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Array:
        return _jnp(jname)(x, axis=as_axis(axis), keepdims=keepdims)

    impl.__doc__ = f"``{name}`` of ``x`` over ``axis`` (all axes if ``None``)."
    return impl


def quantile(name: str, jname: str) -> Callable[..., Any]:
    """Quantiles, Keras's ``(x, q, axis=None, method="linear", keepdims=False)``."""

    def impl(
        x: Tensor,
        q: Tensor,
        axis: int | Sequence[int] | None = None,
        method: str = "linear",
        keepdims: bool = False,
    ) -> Array:
        return _jnp(jname)(x, q, axis=as_axis(axis), method=method, keepdims=keepdims)

    impl.__doc__ = f"``{name}`` of ``x`` at ``q`` over ``axis`` (all axes if ``None``)."
    return impl


def direct(name: str, jname: str) -> Callable[..., Any]:
    """Functions that take Keras's positional arguments as ``jax.numpy`` does (``name``
    and ``jname`` are the same). Where the two name the parameters differently, the op
    takes Keras's parameters (:mod:`~kerax.ops.numpy._signatures`) and passes them on."""
    stub = getattr(_signatures, name, None)
    if stub is not None:
        return _keras_parameters(jname, inspect.signature(stub))

    def impl(*args: Any, **kwargs: Any) -> Any:
        return _jnp(jname)(*args, **kwargs)

    impl.__doc__ = f"``jax.numpy.{jname}``, on arrays or symbolic tensors."
    if hasattr(jnp, jname):
        impl.__wrapped__ = getattr(jnp, jname)  # type: ignore[attr-defined]  # its signature
    return impl


def _keras_parameters(jname: str, signature: inspect.Signature) -> Callable[..., Any]:
    """An impl with Keras's ``signature`` calling ``jax.numpy.<jname>``: parameters
    without a default go by position, the others by keyword."""
    params = list(signature.parameters.values())

    def impl(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for p in params:
            value = bound.arguments[p.name]
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                positional.extend(value)
            elif p.default is inspect.Parameter.empty:
                positional.append(value)
            else:
                keywords[p.name] = value
        return _jnp(jname)(*positional, **keywords)

    impl.__doc__ = f"``jax.numpy.{jname}`` with Keras's parameters, on arrays or symbolic tensors."
    impl.__signature__ = signature.replace(return_annotation=Any)  # type: ignore[attr-defined]
    return impl


def define(
    namespace: dict[str, Any], factory: Factory, table: Mapping[str, str] | Sequence[str]
) -> None:
    """Registers an op per entry of ``table`` into the module ``namespace`` (its
    ``globals()``).

    Args:
        namespace: The defining module's globals; each op is bound there by its name.
        factory: Makes the impl from the op's name and its ``jax.numpy`` name.
        table: Op name to ``jax.numpy`` name, or a list of names that are both.
    """
    pairs = table.items() if isinstance(table, Mapping) else ((n, n) for n in table)
    module = namespace["__name__"]
    for name, jname in pairs:
        namespace[name] = register(name, factory(name, jname), module)
