"""``kerax.ops``: Keras's ops namespace, on arrays and on symbolic tensors.

On arrays (and on :class:`~kerax.variables.Variable` handles) an op runs at once, in
JAX. On symbolic tensors it records a node of an :class:`OpLayer` in the functional
graph, exactly like a layer call, so

    x = kerax.Input(shape=(4,))
    y = kerax.ops.relu(x) * 2 + x[:, :1]

builds a graph that ``Model(x, y)`` freezes and lowers like any other.

As in Keras, every op is here, and also in its namespace: :mod:`kerax.ops.numpy`,
:mod:`kerax.ops.nn`, :mod:`kerax.ops.math`, :mod:`kerax.ops.linalg` and
:mod:`kerax.ops.image` (whose ops, but ``resize``, are only there).
"""

from __future__ import annotations

from typing import Any

from kerax.graph.symbolic import KerasTensor
from kerax.ops import control_flow, core, image, linalg, math, nn, numpy  # noqa: F401
from kerax.ops._core import OpLayer
from kerax.ops.control_flow import *  # noqa: F403
from kerax.ops.core import *  # noqa: F403
from kerax.ops.image import resize
from kerax.ops.linalg import *  # noqa: F403
from kerax.ops.math import *  # noqa: F403
from kerax.ops.nn import *  # noqa: F403
from kerax.ops.numpy import *  # noqa: F403

# The namespaces stay attributes only, so that ``from kerax.ops import *`` does not
# shadow the ``math`` and ``numpy`` modules.
__all__ = [
    "OpLayer",
    "resize",
    *control_flow.__all__,
    *core.__all__,
    *linalg.__all__,
    *math.__all__,
    *nn.__all__,
    *[n for n in numpy.__all__ if n not in linalg.__all__],
]


def _binary(fn: Any, reflected: bool = False) -> Any:
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
    setattr(KerasTensor, f"__{_dunder}__", _binary(getattr(numpy, _name)))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(getattr(numpy, _name), reflected=True))
for _dunder, _name in [
    ("lt", "less"),
    ("le", "less_equal"),
    ("gt", "greater"),
    ("ge", "greater_equal"),
]:
    setattr(KerasTensor, f"__{_dunder}__", _binary(getattr(numpy, _name)))
KerasTensor.__neg__ = lambda self: numpy.negative(self)  # type: ignore[attr-defined]
KerasTensor.__abs__ = lambda self: numpy.abs(self)  # type: ignore[attr-defined]
KerasTensor.__getitem__ = lambda self, index: core.getitem(self, index)  # type: ignore[attr-defined]
del _dunder, _name
