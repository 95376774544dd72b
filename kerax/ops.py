"""``kerax.ops``: Keras's ops namespace, on arrays and on symbolic tensors.

On arrays (and on :class:`~kerax.variables.Variable` handles) an op runs at once, in
``jax.numpy`` / ``jax.nn``. On symbolic tensors it records a node of an
:class:`OpLayer` in the functional graph, exactly like a layer call, so

    x = kerax.Input(shape=(4,))
    y = kerax.ops.relu(x) * 2 + x[:, :1]

builds a graph that ``Model(x, y)`` freezes and lowers like any other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from kerax import _naming
from kerax.graph.symbolic import KerasTensor, any_symbolic
from kerax.layers._base import Layer
from kerax.variables import Variable


def _unwrap(tree: Any) -> Any:
    return jax.tree_util.tree_map(
        lambda v: v.value if isinstance(v, Variable) else v,
        tree,
        is_leaf=lambda v: isinstance(v, Variable),
    )


class OpLayer(Layer):
    """A graph node that applies one op of :mod:`kerax.ops` (no weights).

    Args:
        op: The op's name in :mod:`kerax.ops`.
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


_IMPLS: dict[str, Callable[..., Any]] = {}


def _op(name: str, impl: Callable[..., Any]) -> Callable[..., Any]:
    _IMPLS[name] = impl

    def op(*args: Any, **kwargs: Any) -> Any:
        if any_symbolic((args, kwargs)):
            return OpLayer(name)(*args, **kwargs)
        return impl(*_unwrap(args), **_unwrap(kwargs))

    op.__name__ = name
    op.__qualname__ = name
    op.__doc__ = (
        f"``{name}``, on arrays or symbolic tensors (``{impl.__module__}.{impl.__name__}``)."
    )
    return op


def _getitem(x: Any, index: Any) -> Any:
    return x[index]


def _cast(x: Any, dtype: Any) -> Any:
    return jnp.asarray(x).astype(dtype)


def _convert(x: Any, dtype: Any = None) -> Any:
    return jnp.asarray(x, dtype=dtype)


def _shape(x: Any) -> tuple[Any, ...]:
    return tuple(jnp.shape(x))


def _one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = "float32") -> Any:
    return jax.nn.one_hot(x, num_classes, axis=axis, dtype=dtype)


def _moments(x: Any, axes: Any, keepdims: bool = False) -> tuple[Any, Any]:
    return jnp.mean(x, axes, keepdims=keepdims), jnp.var(x, axes, keepdims=keepdims)


def _softmax(x: Any, axis: int = -1) -> Any:
    return jax.nn.softmax(x, axis=axis)


def _log_softmax(x: Any, axis: int = -1) -> Any:
    return jax.nn.log_softmax(x, axis=axis)


def _gelu(x: Any, approximate: bool = True) -> Any:
    # Keras's ops.gelu defaults to the tanh approximation (the layer activation does not).
    return jax.nn.gelu(x, approximate=approximate)


def _leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    return jax.nn.leaky_relu(x, negative_slope)


def _hard_sigmoid(x: Any) -> Any:
    return jax.nn.relu6(x + 3.0) / 6.0


_NUMPY = [
    "abs",
    "absolute",
    "add",
    "all",
    "any",
    "arange",
    "arccos",
    "arcsin",
    "arctan",
    "argmax",
    "argmin",
    "argsort",
    "broadcast_to",
    "ceil",
    "clip",
    "concatenate",
    "cos",
    "cosh",
    "cumprod",
    "cumsum",
    "diag",
    "divide",
    "dot",
    "einsum",
    "equal",
    "exp",
    "expand_dims",
    "eye",
    "flip",
    "floor",
    "floor_divide",
    "full",
    "full_like",
    "greater",
    "greater_equal",
    "isfinite",
    "isnan",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "negative",
    "not_equal",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "power",
    "prod",
    "repeat",
    "reshape",
    "round",
    "sign",
    "sin",
    "sinh",
    "sort",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tile",
    "transpose",
    "tril",
    "triu",
    "true_divide",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
_ALIASES = {"absolute": "abs", "true_divide": "divide"}

for _name in _NUMPY:
    setattr(sys.modules[__name__], _name, _op(_name, getattr(jnp, _ALIASES.get(_name, _name))))

_NN: dict[str, Callable[..., Any]] = {
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "sigmoid": jax.nn.sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "gelu": _gelu,
    "silu": jax.nn.silu,
    "swish": jax.nn.silu,
    "elu": jax.nn.elu,
    "selu": jax.nn.selu,
    "softplus": jax.nn.softplus,
    "softsign": jax.nn.soft_sign,
    "leaky_relu": _leaky_relu,
    "log_sigmoid": jax.nn.log_sigmoid,
    "logsumexp": jax.nn.logsumexp,
    "one_hot": _one_hot,
    "moments": _moments,
    "cast": _cast,
    "convert_to_tensor": _convert,
    "stop_gradient": jax.lax.stop_gradient,
    "getitem": _getitem,
}
for _name, _impl in _NN.items():
    setattr(sys.modules[__name__], _name, _op(_name, _impl))


def shape(x: Any) -> tuple[int | None, ...]:
    """The shape of an array, or of a symbolic tensor (``None`` for unknown dims)."""
    if isinstance(x, KerasTensor):
        return x.shape
    return _shape(_unwrap(x))


def convert_to_numpy(x: Any) -> Any:
    """A NumPy copy of an array."""
    import numpy as np

    return np.asarray(_unwrap(x))


def _binary(name: str, reflected: bool = False) -> Callable[..., Any]:
    fn = getattr(sys.modules[__name__], name)
    if reflected:
        return lambda self, other: fn(other, self)
    return lambda self, other: fn(self, other)


# Python operators on symbolic tensors record ops. ``==`` stays identity, as in Keras,
# so that ``layer.output == tensor`` keeps meaning "is this the same tensor".
for _dunder, _name in [
    ("add", "add"),
    ("sub", "subtract"),
    ("mul", "multiply"),
    ("truediv", "divide"),
    ("floordiv", "floor_divide"),
    ("matmul", "matmul"),
    ("pow", "power"),
    ("mod", "mod"),
]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(_name))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(_name, reflected=True))
for _dunder, _name in [
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(_name))
KerasTensor.__neg__ = lambda self: negative(self)  # type: ignore[attr-defined]  # noqa: F821
KerasTensor.__abs__ = lambda self: abs(self)  # type: ignore[attr-defined]  # noqa: F821
KerasTensor.__getitem__ = lambda self, index: getitem(self, index)  # type: ignore[attr-defined]  # noqa: F821
