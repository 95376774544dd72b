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
from collections.abc import Callable, Sequence
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


def _divide_no_nan(x: Any, y: Any) -> Any:
    safe = jnp.where(y == 0, 1, y)
    return jnp.where(y == 0, 0, x / safe)


def _top_k(x: Any, k: int, sorted: bool = True) -> tuple[Any, Any]:  # noqa: A002
    return jax.lax.top_k(x, k)


def _in_top_k(targets: Any, predictions: Any, k: int) -> Any:
    topk = jax.lax.top_k(predictions, k)[1]
    return jnp.any(topk == jnp.asarray(targets)[..., None], axis=-1)


def _segment_sum(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> Any:  # noqa: A002
    return jax.ops.segment_sum(data, segment_ids, num_segments, indices_are_sorted=sorted)


def _segment_max(
    data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
) -> Any:  # noqa: A002
    return jax.ops.segment_max(data, segment_ids, num_segments, indices_are_sorted=sorted)


def _slice(x: Any, start_indices: Any, shape: Any) -> Any:
    return jax.lax.dynamic_slice(x, start_indices, shape)


def _slice_update(x: Any, start_indices: Any, updates: Any) -> Any:
    return jax.lax.dynamic_update_slice(x, updates, start_indices)


def _scatter(indices: Any, values: Any, shape: Any) -> Any:
    zeros = jnp.zeros(shape, values.dtype)
    return zeros.at[tuple(jnp.moveaxis(jnp.asarray(indices), -1, 0))].add(values)


def _normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Any:
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, 1e-12 if epsilon is None else epsilon)


def _pool(x: Any, pool_size: Any, strides: Any, padding: str, init: Any, op: Any) -> Any:
    rank = x.ndim - 2
    pool = (pool_size,) * rank if isinstance(pool_size, int) else tuple(pool_size)
    step = (
        pool
        if strides is None
        else ((strides,) * rank if isinstance(strides, int) else tuple(strides))
    )
    return jax.lax.reduce_window(x, init, op, (1, *pool, 1), (1, *step, 1), padding.upper())


def _max_pool(
    x: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    return _pool(x, pool_size, strides, padding, -jnp.inf, jax.lax.max)


def _average_pool(
    x: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    sums = _pool(x, pool_size, strides, padding, 0.0, jax.lax.add)
    counts = _pool(jnp.ones_like(x), pool_size, strides, padding, 0.0, jax.lax.add)
    return sums / counts


def _conv(
    x: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Any:
    rank = x.ndim - 2
    tup = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)  # noqa: E731
    spatial = "".join("DHW"[3 - rank :])
    dims = (f"N{spatial}C", f"{spatial}IO", f"N{spatial}C")
    return jax.lax.conv_general_dilated(
        x,
        kernel,
        tup(strides),
        padding.upper(),
        rhs_dilation=tup(dilation_rate),
        dimension_numbers=dims,
    )


def _binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Elementwise binary crossentropy (Keras's ``ops.binary_crossentropy``)."""
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1 - target) * jax.nn.log_sigmoid(-output)
    p = jnp.clip(output, 1e-7, 1 - 1e-7)
    return -(target * jnp.log(p) + (1 - target) * jnp.log(1 - p))


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
_NUMPY += [
    "append",
    "arccosh",
    "arcsinh",
    "arctan2",
    "arctanh",
    "argpartition",
    "average",
    "bincount",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "conj",
    "conjugate",
    "copy",
    "correlate",
    "count_nonzero",
    "cross",
    "diagonal",
    "diff",
    "digitize",
    "dstack",
    "empty",
    "exp2",
    "expm1",
    "hstack",
    "hypot",
    "identity",
    "imag",
    "isclose",
    "isinf",
    "kron",
    "lcm",
    "gcd",
    "left_shift",
    "log10",
    "log2",
    "logaddexp",
    "logical_xor",
    "logspace",
    "matrix_transpose",
    "median",
    "meshgrid",
    "nan_to_num",
    "quantile",
    "ravel",
    "real",
    "reciprocal",
    "right_shift",
    "roll",
    "rot90",
    "searchsorted",
    "select",
    "signbit",
    "sinc",
    "size",
    "tensordot",
    "trace",
    "trunc",
    "vdot",
    "vstack",
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
    "divide_no_nan": _divide_no_nan,
    "top_k": _top_k,
    "in_top_k": _in_top_k,
    "segment_sum": _segment_sum,
    "segment_max": _segment_max,
    "slice": _slice,
    "slice_update": _slice_update,
    "scatter": _scatter,
    "normalize": _normalize,
    "max_pool": _max_pool,
    "average_pool": _average_pool,
    "conv": _conv,
    "binary_crossentropy": _binary_crossentropy,
    "erf": jax.lax.erf,
    "rsqrt": jax.lax.rsqrt,
    "sparse_plus": jax.nn.sparse_plus if hasattr(jax.nn, "sparse_plus") else jax.nn.softplus,
    "hard_silu": jax.nn.hard_silu,
    "flatten": jnp.ravel,
}


def _categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> Any:
    from kerax.losses import categorical_crossentropy

    return categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def _sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> Any:
    from kerax.losses import sparse_categorical_crossentropy

    return sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def _multi_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = "float32") -> Any:
    return jnp.max(jax.nn.one_hot(x, num_classes, dtype=dtype), axis=-2 if axis == -1 else axis)


def _batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    axis: int,
    offset: Any = None,
    scale: Any = None,
    epsilon: float = 1e-3,
) -> Any:
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    y = (x - jnp.reshape(mean, shape)) * jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if scale is not None:
        y = y * jnp.reshape(scale, shape)
    if offset is not None:
        y = y + jnp.reshape(offset, shape)
    return y


def _dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    bias: Any = None,
    mask: Any = None,
    scale: float | None = None,
    is_causal: bool = False,
) -> Any:
    return jax.nn.dot_product_attention(
        query, key, value, bias=bias, mask=mask, scale=scale, is_causal=is_causal
    )


def _resize(
    image: Any,
    size: Any,
    interpolation: str = "bilinear",
    antialias: bool = False,
    data_format: str | None = None,
) -> Any:
    channels_first = data_format == "channels_first"
    x = jnp.moveaxis(image, -3, -1) if channels_first else image
    shape = (*x.shape[:-3], *tuple(size), x.shape[-1])
    out = jax.image.resize(x, shape, method=interpolation, antialias=antialias)
    return jnp.moveaxis(out, -1, -3) if channels_first else out


_NN.update(
    {
        "categorical_crossentropy": _categorical_crossentropy,
        "sparse_categorical_crossentropy": _sparse_categorical_crossentropy,
        "multi_hot": _multi_hot,
        "batch_normalization": _batch_normalization,
        "dot_product_attention": _dot_product_attention,
        "resize": _resize,
        # Linear algebra (Keras's ops.linalg functions, also at the top level here).
        "norm": jnp.linalg.norm,
        "inv": jnp.linalg.inv,
        "det": jnp.linalg.det,
        "solve": jnp.linalg.solve,
        "cholesky": jnp.linalg.cholesky,
        "qr": jnp.linalg.qr,
        "svd": jnp.linalg.svd,
        "eigh": jnp.linalg.eigh,
        "slogdet": jnp.linalg.slogdet,
        "lstsq": jnp.linalg.lstsq,
    }
)
for _name, _impl in _NN.items():
    setattr(sys.modules[__name__], _name, _op(_name, _impl))


# Control flow: on arrays only (a graph's ops are traced inside apply, where these are
# plain JAX); Keras's signatures.
def cond(pred: Any, true_fn: Any, false_fn: Any) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``, traceable."""
    return jax.lax.cond(pred, true_fn, false_fn)


def fori_loop(lower: int, upper: int, body_fun: Any, init_val: Any) -> Any:
    """``body_fun(i, val)`` for ``i`` in ``[lower, upper)``."""
    return jax.lax.fori_loop(lower, upper, body_fun, init_val)


def while_loop(cond: Any, body: Any, loop_vars: Any, maximum_iterations: int | None = None) -> Any:
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``."""
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


def scan(
    f: Any,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int = 1,
) -> Any:
    """``jax.lax.scan`` with Keras's signature."""
    return jax.lax.scan(f, init, xs, length=length, reverse=reverse, unroll=unroll)


def switch(index: Any, branches: Sequence[Any], *operands: Any) -> Any:
    """``branches[index](*operands)``, traceable."""
    return jax.lax.switch(index, branches, *operands)


def map(f: Any, xs: Any) -> Any:  # noqa: A001 - Keras's name
    """``f`` applied to the leading axis of ``xs`` (``jax.lax.map``)."""
    return jax.lax.map(f, xs)


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


class _Namespace:
    """A read-only view of some of this module's ops, for Keras's ``ops.nn``,
    ``ops.numpy``, ``ops.linalg`` and ``ops.image`` spellings."""

    def __init__(self, name: str, names: Sequence[str]) -> None:
        self.__name__ = f"kerax.ops.{name}"
        module = sys.modules[__name__]
        for n in names:
            setattr(self, n, getattr(module, n))


numpy = _Namespace("numpy", [n for n in _NUMPY if n in globals()])
nn = _Namespace(
    "nn",
    [
        "relu",
        "relu6",
        "sigmoid",
        "hard_sigmoid",
        "softmax",
        "log_softmax",
        "gelu",
        "silu",
        "swish",
        "elu",
        "selu",
        "softplus",
        "softsign",
        "leaky_relu",
        "log_sigmoid",
        "hard_silu",
        "one_hot",
        "multi_hot",
        "moments",
        "normalize",
        "max_pool",
        "average_pool",
        "conv",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "batch_normalization",
        "dot_product_attention",
    ],
)
linalg = _Namespace(
    "linalg", ["norm", "inv", "det", "solve", "cholesky", "qr", "svd", "eigh", "slogdet", "lstsq"]
)
image = _Namespace("image", ["resize"])
