"""Shared helper: compare a kerax op with the keras op of the same name."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from kerax import ops


def keras_ops(namespace: str | None = None) -> Any:
    import keras

    return keras.ops if namespace is None else getattr(keras.ops, namespace)


def assert_same(
    ours: Any, theirs: Any, rtol: float = 1e-5, atol: float = 1e-5, msg: str = ""
) -> None:
    """Same pytree structure (tuples and lists alike), same shapes, close values."""
    ours_leaves = jax.tree_util.tree_leaves(ours)
    theirs_leaves = jax.tree_util.tree_leaves(theirs)
    assert len(ours_leaves) == len(theirs_leaves), msg
    for a, b in zip(ours_leaves, theirs_leaves, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{msg}: shape {a.shape} != {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=msg)


def check(
    name: str,
    *args: Any,
    namespace: str | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    **kwargs: Any,
) -> Any:
    """Runs ``ops[.namespace].name`` and ``keras.ops[.namespace].name`` on the same
    inputs and compares them; returns kerax's result."""
    ours_ns = ops if namespace is None else getattr(ops, namespace)
    ours = getattr(ours_ns, name)(*args, **kwargs)
    theirs = getattr(keras_ops(namespace), name)(*args, **kwargs)
    assert_same(ours, theirs, rtol, atol, msg=name)
    return ours
