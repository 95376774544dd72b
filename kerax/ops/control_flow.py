"""Control flow and function transforms, with Keras's signatures.

These take Python functions, so they run on arrays only (a graph's ops are traced
inside ``apply``, where they are plain JAX); on symbolic tensors, wrap them in a
``Lambda`` layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, export, exports, unwrap


@export
def cond(pred: Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable."""
    return jax.lax.cond(pred, true_fn, false_fn)


@export
def fori_loop(lower: int, upper: int, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``[lower, upper)``, from ``init_val``."""
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


@export
def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``.

    Args:
        cond: The loop condition, of the unpacked ``loop_vars``.
        body: The step, of the unpacked ``loop_vars``.
        loop_vars: A tuple / list of loop variables, or a single one.
        maximum_iterations: Optional cap on the number of steps.
    """
    is_tuple = isinstance(loop_vars, tuple | list)
    state = (tuple(loop_vars) if is_tuple else (loop_vars,), 0)

    def keep_going(s: Any) -> Any:
        ok = cond(*s[0])
        return ok if maximum_iterations is None else jnp.logical_and(ok, s[1] < maximum_iterations)

    def step(s: Any) -> Any:
        out = body(*s[0])
        return (tuple(out) if is_tuple else (out,), s[1] + 1)

    final = jax.lax.while_loop(keep_going, step, state)[0]
    return final if is_tuple else final[0]


@export
def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Carries ``init`` through ``(carry, y) = f(carry, x)`` over the leading axis of
    ``xs``; returns the final carry and the stacked ``y``."""
    return jax.lax.scan(f, init, xs, length=length, reverse=reverse, unroll=unroll)


@export
def associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0
) -> Any:
    """The inclusive prefix scan of ``elems`` along ``axis`` under the associative
    ``f`` (``cumsum`` for ``add``), computed in parallel."""
    return jax.lax.associative_scan(f, elems, reverse=reverse, axis=axis)


@export
def switch(index: Tensor, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, traceable (``index`` is clamped)."""
    return jax.lax.switch(index, branches, *operands)


@export
def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along its leading axis, one at a time."""
    return jax.lax.map(f, xs)


@export
def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` applied to each slice of ``elements`` along its leading axis, in
    parallel (``jax.vmap``)."""
    return jax.vmap(function)(unwrap(elements))


@export
def custom_gradient(f: Callable[..., tuple[Any, Callable[..., Any]]]) -> Callable[..., Array]:
    """Decorator: ``f`` returns ``(outputs, grad_fn)``, and ``grad_fn(upstream)`` gives
    the gradients for ``f``'s inputs (``jax.custom_gradient``)."""
    fn = jax.custom_gradient(f)

    def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*unwrap(args), **unwrap(kwargs))

    call.__name__ = getattr(f, "__name__", "custom_gradient")
    call.__doc__ = f.__doc__
    return call


__all__ = exports(__name__)
