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

from kerax._array_operators import ArrayOperators
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


class Variable(ArrayOperators):
    """A Keras variable: free-standing, or a handle on one weight of one layer.

    ``Variable(initializer, shape=None, ...)`` (Keras's constructor) makes a
    free-standing variable that holds its own value. ``initializer`` is an array (its
    shape and dtype are the variable's unless given), an initializer instance or
    callable ``fn(shape, dtype)``, or an initializer name (``"zeros"``); the last two
    need ``shape`` and are drawn at once.

    Assigned as an attribute of a layer (``self.w = Variable(...)`` in ``__init__`` or
    ``build``, directly or inside a list, tuple or dict attribute), a free-standing
    variable becomes one of that layer's weights, exactly like one made by
    ``add_weight``: listed in ``weights``, trained by ``fit``, saved and loaded. From
    then on it is a handle on that weight. A variable that no layer adopted (one kept
    inside some other object) would be neither trained nor updated, and a compiled step
    would only see the value it had when traced: reading or assigning it inside a
    layer's ``call`` raises an error instead of silently using it as a constant.

    A handle reads the traced value inside a Keras-style ``call`` run by a pure
    ``apply``, and the layer's current value otherwise. ``assign`` replaces the current
    value (or, inside ``call``, records a state update).

    Args:
        initializer: Initial value, initializer instance / callable, or its name.
        shape: The shape; required for a callable or named initializer.
        dtype: Storage dtype; default: the array's dtype, else ``floatx()``.
        trainable: Whether training updates it.
        autocast: Whether a layer computing in another floating dtype reads it in that
            dtype (mixed precision).
        aggregation: Keras's cross-replica aggregation (``"none"``, ``"mean"``,
            ``"sum"``, ``"only_first_replica"`` or None). kerax keeps one global value
            per variable, so there is nothing to aggregate; the value is checked.
        synchronization: Keras's replica synchronisation (``"auto"``, ``"none"``,
            ``"on_read"``, ``"on_write"`` or None); checked, as ``aggregation``.
        name: The name (default ``variable``, ``variable_1``, ...); no ``/``.
        layout: Keras's distribution layout; not supported (shard with
            ``kerax.distribution``): anything but None raises.
        **kwargs: None accepted; any raises a TypeError naming it.

    Raises:
        ValueError: On a bad name, aggregation or synchronization, a missing shape or a
            shape that does not match the initial array.
    """

    __slots__ = ("layer", "spec", "_value")

    def __init__(
        self,
        initializer: Any,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str | None = "none",
        synchronization: str | None = "auto",
        name: str | None = None,
        layout: Any = None,
        **kwargs: Any,
    ) -> None:
        from kerax import _naming, _settings
        from kerax import initializers as _initializers
        from kerax import random as _random
        from kerax.graph.spec import canonical_dtype

        if kwargs:
            raise TypeError(
                f"Variable() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}."
            )
        if layout is not None:
            raise NotImplementedError(
                f"Variable(layout={layout!r}): layouts are not supported; shard variables "
                "with kerax.distribution instead."
            )
        name = _naming.unique_name("variable") if name is None else name
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Variable(name=...) must be a string without '/'; received {name!r}.")
        if aggregation not in (None, "none", "mean", "sum", "only_first_replica"):
            raise ValueError(
                f"Variable '{name}': aggregation={aggregation!r} is not one of None, 'none', "
                "'mean', 'sum', 'only_first_replica'."
            )
        if synchronization not in (None, "none", "on_read", "on_write", "auto"):
            raise ValueError(
                f"Variable '{name}': synchronization={synchronization!r} is not one of None, "
                "'none', 'on_read', 'on_write', 'auto'."
            )
        if isinstance(initializer, str) or callable(initializer):
            if shape is None:
                raise ValueError(
                    f"Variable '{name}': an initializer ({initializer!r}) needs `shape`; "
                    "received shape=None."
                )
            init = _initializers.get(initializer)
            dtype = canonical_dtype(dtype or _settings.floatx())
            shape = tuple(int(d) for d in shape)
            value = _initializers.initialize(init, _random.next_key(), shape, dtype)
        else:
            if isinstance(initializer, Variable):
                initializer = initializer.value
            array = jnp.asarray(initializer, dtype)
            dtype = canonical_dtype(array.dtype)
            if shape is not None and tuple(int(d) for d in shape) != tuple(array.shape):
                raise ValueError(
                    f"Variable '{name}': shape={tuple(shape)} does not match the initial "
                    f"value's shape {tuple(array.shape)}."
                )
            value = array
        self.layer: Layer | None = None
        self.spec = WeightSpec(
            name=name,
            shape=tuple(value.shape),
            dtype=dtype,
            initializer=None,
            trainable=bool(trainable),
            autocast=bool(autocast),
        )
        self._value: Any = value

    @classmethod
    def _of(cls, layer: Layer, spec: WeightSpec) -> Variable:
        """The handle on weight ``spec`` of ``layer`` (what ``add_weight`` returns)."""
        handle = object.__new__(cls)
        handle.layer = layer
        handle.spec = spec
        handle._value = None
        return handle

    def _adopt(self, layer: Layer, spec: WeightSpec) -> Any:
        """Turns this free-standing variable into a handle on ``layer``'s weight ``spec``
        and gives back the value it held."""
        value, self._value = self._value, None
        self.layer, self.spec = layer, spec
        return value

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> str:
        if self.layer is None:
            return self.spec.name
        return f"{self.layer.name}/{self.spec.name}"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.spec.shape

    @property
    def ndim(self) -> int:
        return len(self.spec.shape)

    @property
    def dtype(self) -> str:
        return self.spec.dtype

    @property
    def trainable(self) -> bool:
        if self.layer is None:
            return self.spec.trainable
        return self.spec.trainable and self.layer.trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if self.layer is not None:
            raise AttributeError(
                f"Variable '{self.path}' is a weight of layer '{self.layer.name}': set the "
                "layer's `trainable`, or declare the weight with trainable=... ."
            )
        self.spec = dataclasses.replace(self.spec, trainable=bool(value))

    @property
    def value(self) -> Any:
        ctx = _frame.ACTIVE.get()
        if self.layer is None:
            if ctx is not None:
                raise _untracked(self, "read")
            return self._value
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

    def assign(self, value: Any) -> Any:
        """Sets the value. Inside a Keras-style ``call``, records a state update.

        Returns:
            The assigned value.
        """
        value = jnp.asarray(value, self.spec.dtype)
        if tuple(value.shape) != self.spec.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable "
                f"'{self.path}' of shape {self.spec.shape}."
            )
        ctx = _frame.ACTIVE.get()
        if self.layer is None:
            if ctx is not None:
                raise _untracked(self, "assigned")
            self._value = value
            return value
        if ctx is not None and id(self.layer) in ctx.frame.keys:
            # Inside a traced ``call``: a pure update of this run. Non-trainable values
            # become the layer's new state; trainable ones are seen by the rest of this
            # run only (Keras's stateless call keeps the same two rules).
            frame, key = ctx.frame, ctx.frame.keys[id(self.layer)]
            bucket = frame.param_overrides if self.spec.trainable else frame.updates
            bucket.setdefault(key, {})[self.spec.name] = value
            return value
        self.layer._assign_value(self.spec, value)
        return value

    def assign_add(self, value: Any) -> Any:
        """Adds ``value`` to the variable; returns the new value."""
        return self.assign(self.value + value)

    def assign_sub(self, value: Any) -> Any:
        """Subtracts ``value`` from the variable; returns the new value."""
        return self.assign(self.value - value)

    def __jax_array__(self) -> Any:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype=dtype)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


def _untracked(variable: Variable, what: str) -> RuntimeError:
    return RuntimeError(
        f"Variable '{variable.path}' was {what} inside a layer's call, but no layer tracks "
        "it, so it would not be trained, updated or saved. Assign it as an attribute of "
        "the layer (self.v = Variable(...)), or inside a list, tuple or dict attribute, "
        "or create it with layer.add_weight(...)."
    )
