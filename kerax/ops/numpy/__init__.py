"""``kerax.ops.numpy``: Keras's NumPy-like ops, in ``jax.numpy``, with Keras's signatures.

One private module per kind of op: creation, elementwise functions, products,
reductions, shape manipulation and indexing; ``_make`` turns tables of ``jax.numpy``
names into ops.
"""

from __future__ import annotations

from kerax.ops.linalg import slogdet
from kerax.ops.numpy import (
    _creation,
    _elementwise,
    _indexing,
    _products,
    _reductions,
    _shape,
)
from kerax.ops.numpy._creation import *  # noqa: F403
from kerax.ops.numpy._elementwise import *  # noqa: F403
from kerax.ops.numpy._indexing import *  # noqa: F403
from kerax.ops.numpy._products import *  # noqa: F403
from kerax.ops.numpy._reductions import *  # noqa: F403
from kerax.ops.numpy._shape import *  # noqa: F403

_OWN = [
    *_creation.__all__,
    *_elementwise.__all__,
    *_products.__all__,
    *_reductions.__all__,
    *_shape.__all__,
    *_indexing.__all__,
]

# Keras lists ``slogdet`` among its NumPy ops too.
__all__ = [*_OWN, "slogdet"]

# The ops keep ``kerax.ops.numpy`` as their module, their public home, as before the
# split (``slogdet`` stays ``kerax.ops.linalg``'s).
for _name in _OWN:
    globals()[_name].__module__ = __name__
del _name
