"""Weight declarations and the Keras-facing handles that read and write them.

A :class:`WeightSpec` is what ``add_weight`` records at build time: a name, a shape, an
initializer, and whether it is trained. The value itself never lives in the spec. It
lives in one of two places:

* inside a pure ``apply``, in the flat ``params`` / ``state`` pytrees of the frame;
* on the Keras facade, in the layer's single value cell (``Layer._values``), which every
  model containing the layer reads and writes, so there is one current value per layer.

A :class:`Variable` is the handle Keras code holds (``layer.kernel``, ``model.weights``):
it resolves to the traced value inside a Keras-style ``call`` and to the cell otherwise.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import jax.numpy as jnp
import numpy as np

from kerax.graph import frame as _frame

if TYPE_CHECKING:
    from kerax.layers._base import Layer


@dataclasses.dataclass(frozen=True, slots=True)
class WeightSpec:
    """One weight of a layer, as declared by ``add_weight``.

    Attributes:
        name: Unique within its layer (``"kernel"``).
        shape: Concrete shape.
        dtype: Storage dtype name.
        initializer: A kerax initializer or a Keras-signature callable.
        trainable: Trainable weights go in ``params`` and get gradients; the others
            (moving statistics, counters) go in ``state``.
        regularizer: Optional penalty ``fn(value) -> scalar`` added to the loss.
        constraint: Optional projection ``fn(value) -> value`` applied after updates.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    initializer: Any
    trainable: bool = True
    regularizer: Any = None
    constraint: Any = None
    autocast: bool = True

    @property
    def collection(self) -> str:
        return "params" if self.trainable else "state"


class Variable:
    """A Keras-style handle on one weight of one layer.

    Reading ``value`` gives the traced value inside a Keras-style ``call`` run by a pure
    ``apply``, and the layer's current value otherwise. ``assign`` replaces the current
    value (or, inside ``call``, records a state update).
    """

    __slots__ = ("layer", "spec")

    def __init__(self, layer: Layer, spec: WeightSpec) -> None:
        self.layer = layer
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        return f"{self.layer.name}/{self.spec.name}"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.spec.shape

    @property
    def dtype(self) -> str:
        return self.spec.dtype

    @property
    def trainable(self) -> bool:
        return self.spec.trainable and self.layer.trainable

    @property
    def value(self) -> Any:
        ctx = _frame.ACTIVE.get()
        if ctx is not None:
            key = ctx.frame.keys.get(id(self.layer))
            if key is not None:
                if self.spec.trainable:
                    bound, updates = ctx.frame.params, ctx.frame.param_overrides.get(key, {})
                else:
                    bound, updates = ctx.frame.state, ctx.frame.updates.get(key, {})
                value = updates.get(self.spec.name)
                if value is None:
                    value = bound[key][self.spec.name]
                return self._autocast(value)
        return self.layer._current_values()[self.spec.collection][self.spec.name]

    def _autocast(self, value: Any) -> Any:
        """Inside a traced ``call``, a floating weight reads in its layer's compute
        dtype (mixed precision), unless declared with ``autocast=False``; Keras's
        autocast scope does the same."""
        compute = self.layer.compute_dtype
        if (
            self.spec.autocast
            and compute != self.spec.dtype
            and jnp.issubdtype(value.dtype, jnp.floating)
        ):
            return value.astype(compute)
        return value

    def numpy(self) -> np.ndarray:
        return np.asarray(self.value)

    def assign(self, value: Any) -> None:
        """Sets the weight. Inside a Keras-style ``call``, records a state update."""
        value = jnp.asarray(value, self.spec.dtype)
        if tuple(value.shape) != self.spec.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable "
                f"'{self.path}' of shape {self.spec.shape}."
            )
        ctx = _frame.ACTIVE.get()
        if ctx is not None and id(self.layer) in ctx.frame.keys:
            # Inside a traced ``call``: a pure update of this run. Non-trainable values
            # become the layer's new state; trainable ones are seen by the rest of this
            # run only (Keras's stateless call keeps the same two rules).
            frame, key = ctx.frame, ctx.frame.keys[id(self.layer)]
            bucket = frame.param_overrides if self.spec.trainable else frame.updates
            bucket.setdefault(key, {})[self.spec.name] = value
            return
        self.layer._assign_value(self.spec, value)

    def assign_add(self, delta: Any) -> None:
        self.assign(self.value + delta)

    def assign_sub(self, delta: Any) -> None:
        self.assign(self.value - delta)

    def __jax_array__(self) -> Any:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype=dtype)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"

    # Arithmetic, so that Keras-style ``call`` code can write ``x @ self.w + self.b``.
    def __add__(self, o):
        return self.value + o

    def __radd__(self, o):
        return o + self.value

    def __sub__(self, o):
        return self.value - o

    def __rsub__(self, o):
        return o - self.value

    def __mul__(self, o):
        return self.value * o

    def __rmul__(self, o):
        return o * self.value

    def __truediv__(self, o):
        return self.value / o

    def __rtruediv__(self, o):
        return o / self.value

    def __matmul__(self, o):
        return self.value @ o

    def __rmatmul__(self, o):
        return o @ self.value

    def __neg__(self):
        return -self.value

    def __pow__(self, o):
        return self.value**o

    def __getitem__(self, idx):
        return self.value[idx]
