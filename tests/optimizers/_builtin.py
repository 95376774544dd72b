"""The names of kerax's own optimizer classes (``LossScaleOptimizer``, a wrapper, apart)."""

from __future__ import annotations

from kerax import optimizers as O

BUILTIN_OPTIMIZERS = sorted(
    name
    for name in dir(O)
    if isinstance(getattr(O, name), type)
    and issubclass(getattr(O, name), O.Optimizer)
    and name not in ("Optimizer", "LossScaleOptimizer")
)
