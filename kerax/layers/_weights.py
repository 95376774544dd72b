"""The weights half of the layer API: declaring weights, listing them in Keras's order,
and reading and writing their current values.

A layer declares weights at build time with ``add_weight`` (a
:class:`~kerax.variables.WeightSpec` and a :class:`~kerax.variables.Variable` handle; no
value yet). Values live in the layer's single value cell, ``_values``, created on first
read by ``init``; while a model's ``fit`` runs, the cell is bound to the live train state
(``_live``) instead.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import _threefry
from kerax import initializers as _initializers
from kerax import random as _random
from kerax.graph.spec import canonical_dtype
from kerax.variables import Variable, WeightSpec


class LayerWeights:
    """Mixin of :class:`~kerax.layers.Layer`: ``add_weight``, ``weights`` and friends,
    ``get_weights`` / ``set_weights`` and the value cell."""

    name: str
    dtype: str
    built: bool
    _weight_specs: list[WeightSpec]
    _handles: dict[str, Variable]
    _values: dict[str, dict[str, jax.Array]] | None
    _live: Any

    def add_weight(
        self,
        shape: Sequence[int] | None = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Variable:
        """Declares a weight; its value is created later, by ``init``.

        Keras 3's signature. The older order with the name first
        (``add_weight("kernel", shape, initializer)``, Keras 2's and kerax's own) is
        recognised by a string first argument.

        Args:
            shape: Concrete shape (default: a scalar).
            initializer: Name, instance or callable; default ``glorot_uniform`` for
                floating weights and ``zeros`` otherwise.
            dtype: Storage dtype; defaults to the layer's dtype.
            trainable: Trainable weights get gradients; others live in ``state``.
            autocast: Whether the weight is cast to the layer's compute dtype when the
                layer computes in another one (mixed precision).
            regularizer: Optional ``fn(weight) -> scalar`` penalty.
            constraint: Optional ``fn(weight) -> weight`` applied after each update.
            aggregation: Keras's cross-replica aggregation (``"none"``, ``"mean"``,
                ``"sum"``, ``"only_first_replica"``). kerax keeps one global value per
                weight under any distribution, so there is nothing to aggregate; the
                value is checked and recorded.
            overwrite_with_gradient: Keras's float8 scale updates; not supported.
            name: Name, unique within this layer (default ``variable_<n>``).

        Returns:
            The :class:`~kerax.variables.Variable` handle.

        Raises:
            ValueError: On a duplicate name or an unknown ``aggregation``.
            NotImplementedError: For ``overwrite_with_gradient=True``.
        """
        from kerax import constraints, regularizers

        if isinstance(shape, str):  # the name-first order
            name, shape, initializer, dtype = shape, initializer, dtype, None
            if not isinstance(trainable, bool):
                dtype, trainable = trainable, True
        shape = () if shape is None else shape
        if aggregation not in ("none", "mean", "sum", "only_first_replica"):
            raise ValueError(
                f"Layer '{self.name}': add_weight(aggregation={aggregation!r}) is not one of "
                "'none', 'mean', 'sum', 'only_first_replica'."
            )
        if overwrite_with_gradient:
            raise NotImplementedError(
                f"Layer '{self.name}': add_weight(overwrite_with_gradient=True) (Keras's "
                "float8 scale variables) is not supported by kerax."
            )

        name = name or f"variable_{len(self._weight_specs)}"
        if any(s.name == name for s in self._weight_specs):
            raise ValueError(f"Layer '{self.name}' already has a weight named '{name}'.")
        dtype = canonical_dtype(dtype or self.dtype)
        if initializer is None:
            floating = np.issubdtype(np.dtype(dtype), np.floating)
            initializer = "glorot_uniform" if floating else "zeros"
        shape = tuple(int(d) for d in shape)
        spec = WeightSpec(
            name=name,
            shape=shape,
            dtype=dtype,
            initializer=_initializers.get(initializer),
            trainable=trainable,
            regularizer=regularizers.get(regularizer),
            constraint=constraints.get(constraint),
            autocast=bool(autocast),
        )
        self._weight_specs.append(spec)
        handle = Variable._of(self, spec)
        self._handles[name] = handle
        return handle

    def _adopt_variables(self, value: Any) -> None:
        """Makes the free-standing variables in an attribute value (directly, or in a
        list, tuple or dict) weights of this layer, as if ``add_weight`` had made them
        with their current values (Keras tracks variables assigned to attributes)."""
        for variable in _variables_in(value):
            if variable.layer is not None:
                continue  # already some layer's weight (this one's, or shared from another)
            spec = variable.spec
            if any(s.name == spec.name for s in self._weight_specs):
                raise ValueError(
                    f"Layer '{self.name}' already has a weight named '{spec.name}'; give the "
                    "Variable assigned to it another name."
                )
            if self._live is not None:
                raise RuntimeError(
                    f"Layer '{self.name}': Variable '{spec.name}' was assigned to the layer "
                    "while a model holding it is being trained; create variables in "
                    "__init__ or build."
                )
            initial = variable._value
            spec = dataclasses.replace(spec, initializer=_Held(initial))
            variable._adopt(self, spec)
            self._weight_specs.append(spec)
            self._handles[spec.name] = variable
            if self._values is not None:  # the cell exists already: the value joins it
                values = self._values
                collection = {**values[spec.collection], spec.name: initial}
                self._values = {**values, spec.collection: collection}

    def init(self, key: jax.Array) -> dict[str, dict[str, jax.Array]]:
        """Creates this layer's own weights: ``{"params": {...}, "state": {...}}``."""
        out: dict[str, dict[str, jax.Array]] = {"params": {}, "state": {}}
        for i, spec in enumerate(self._weight_specs):
            out[spec.collection][spec.name] = _draw(spec, key, i)
        return out

    def _own_weights(self) -> list[Variable]:
        trainable = [self._handles[s.name] for s in self._weight_specs if s.trainable]
        frozen = [self._handles[s.name] for s in self._weight_specs if not s.trainable]
        return trainable + frozen

    @property
    def weights(self) -> list[Variable]:
        """All weights, in Keras's order: own trainable, own non-trainable, sublayers'."""
        out: list[Variable] = []
        seen: set[int] = set()
        subs = self._sublayers()  # a model's graph lists them in Keras's order
        for w in self._own_weights() + [w for s in subs for w in s.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [w for w in self.weights if not w.trainable]

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def path(self) -> str | None:
        """The layer's path: None until it is built, then its name, as for a Keras layer
        built on its own. kerax has no name scopes: Keras prefixes the parent's path
        (``"outer/inner"``) for a layer built inside another layer's ``build`` or
        ``call``, and leaves the path of layers it builds at construction (``Dropout``,
        ``Activation``) None."""
        return self.name if self.built else None

    @property
    def metrics(self) -> list[Any]:
        """The metric objects held by this layer's attributes (directly or in a list,
        tuple or dict), in assignment order, then those of its sublayers."""
        out = self._attribute_metrics()
        for layer in self._sublayers():
            out.extend(layer.metrics)
        return out

    def _attribute_metrics(self) -> list[Any]:
        """The metric objects held by this layer's own attributes (directly or in a
        list, tuple or dict), in assignment order, each once."""
        from kerax.metrics._base import Metric

        out: list[Any] = []
        for value in list(self.__dict__.values()):
            items = (
                value.values()
                if isinstance(value, dict)
                else value
                if isinstance(value, list | tuple)
                else (value,)
            )
            out.extend(v for v in items if isinstance(v, Metric) and v not in out)
        return out

    @property
    def metrics_variables(self) -> list[Any]:
        """The state variables of ``metrics``, metric by metric."""
        return [v for metric in self.metrics for v in metric.variables]

    def get_weights(self) -> list[np.ndarray]:
        """The current weight values as NumPy arrays, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets all weights from arrays in ``weights`` order.

        Raises:
            ValueError: On a count or shape mismatch; then no weight is changed.
        """
        handles = self.weights
        if len(weights) != len(handles):
            raise ValueError(
                f"Layer '{self.name}' expects {len(handles)} weight arrays, "
                f"received {len(weights)}."
            )
        for h, w in zip(handles, weights, strict=True):
            if tuple(np.shape(w)) != h.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{h.path}' has shape {h.shape}, "
                    f"received an array of shape {tuple(np.shape(w))}."
                )
        for h, w in zip(handles, weights, strict=True):
            h.assign(w)

    def count_params(self) -> int:
        """The number of scalars in all weights (built layers only)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count. "
                "Call it on an input first."
            )
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    # The value cell: the one current value of this layer's own weights.
    def _current_values(self) -> dict[str, dict[str, jax.Array]]:
        if self._live is not None:
            return self._live.read(self)
        if self._values is None:
            self._values = self.init(_random.next_key())
        return self._values

    def _assign_value(self, spec: WeightSpec, value: jax.Array) -> None:
        if self._live is not None:
            self._live.write(self, spec.collection, spec.name, value)
            return
        values = self._current_values()
        collection = dict(values[spec.collection])
        collection[spec.name] = value
        self._values = {**values, spec.collection: collection}


class _Held:
    """The initializer of an adopted variable's weight: the value the variable held.

    A Keras-signature callable (``fn(shape, dtype)``), so initialising the layer gives
    the variable's value back, unchanged."""

    def __init__(self, value: jax.Array) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> jax.Array:
        return self.value


def _variables_in(value: Any) -> list[Variable]:
    """The variables held by an attribute value: itself, or the items of a list or
    tuple, or the values of a dict."""
    if isinstance(value, Variable):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, Variable)]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, Variable)]
    return []


# Weight creation, one small program per (initializer, shape, dtype), shared by every
# layer and model of the process: a model's first weights cost a compile per distinct
# weight kind (a handful), not one program over every weight of the model, whose compile
# grows with depth (seconds for a few dozen layers on CPU). Inside a trace the program
# is inlined, so ``init`` stays a pure function of its key, with the same values.
_PROGRAMS: dict[Any, Any] = {}


def _draw(spec: WeightSpec, key: jax.Array, index: int) -> jax.Array:
    """The value of weight number ``index`` of a layer whose key is ``key``:
    ``spec.initializer`` drawn from ``fold_in(key, index)``."""
    init = spec.initializer
    if not isinstance(init, _initializers.Initializer):
        # A Keras-signature callable ``fn(shape, dtype)``: no key, nothing to compile.
        return _initializers.initialize(init, key, spec.shape, spec.dtype)
    if type(init) in _FILLS and not isinstance(key, jax.core.Tracer):
        # Filled on the host and placed: no program to compile for each shape.
        return jax.device_put(np.full(spec.shape, init.value, jnp.dtype(spec.dtype)))
    if _bucketable(init, key, spec):
        return _bucketed_draw(init, key, index, spec)
    signature = _signature(init)
    cache_key = (signature if signature is not None else id(init), spec.shape, spec.dtype)
    entry = _PROGRAMS.get(cache_key)
    if entry is None:
        shape, dtype = spec.shape, spec.dtype

        def draw(key: jax.Array, index: jax.Array) -> jax.Array:
            return _initializers.initialize(init, jax.random.fold_in(key, index), shape, dtype)

        # The initializer is kept with its program: an id is only unique while it lives.
        entry = _PROGRAMS[cache_key] = (init, jax.jit(draw))
    return entry[1](key, index)


_FILLS = (_initializers.Constant, _initializers.Zeros, _initializers.Ones)

#: The largest uniform weight drawn on the host (NumPy's threefry takes about 10 ms per
#: 65,536 values; larger weights draw on the device, from the shared program).
_HOST_DRAW_MAX = 1 << 18

#: The smallest flat draw of :func:`_bucketed_draw`: every weight up to this size shares
#: one program per distribution and dtype; larger ones round up to a power of two.
_MIN_BUCKET = 1 << 16


def _bucketable(init: Any, key: Any, spec: WeightSpec) -> bool:
    """Whether ``init`` can draw through :func:`_bucketed_draw`: a built-in variance
    scaling initializer (Glorot, He, Lecun, ...) without an integer seed, a concrete
    threefry key (element i of a draw comes from counter i, whatever its length) and
    a NumPy floating dtype."""
    return (
        isinstance(init, _initializers.VarianceScaling)
        and type(init).__module__ == _initializers.__name__
        and _initializers._int_seed(init) is None
        and not isinstance(key, jax.core.Tracer)
        and _initializers._draws_by_index(key)
        and spec.dtype in ("float16", "float32", "float64")
    )


def _bucketed_draw(init: Any, key: jax.Array, index: int, spec: WeightSpec) -> jax.Array:
    """The value :func:`_draw` gives, from a program shared by every shape: a flat draw
    of a bucketed length, scaled by an argument, cut to the weight's size on the host.
    With threefry keys the first ``n`` elements of a longer draw are the draw of ``n``,
    so the values are those of a draw of the weight's own shape (tested); a first
    ``fit`` compiles one draw per distribution instead of one per kernel shape (each
    about 0.4 s on CPU)."""
    size = math.prod(spec.shape)
    if (
        init.distribution == "uniform"
        and spec.dtype == "float32"
        and size <= _HOST_DRAW_MAX
        and jax.config.jax_threefry_partitionable
    ):
        # Drawn on the host (kerax._threefry): the numbers of the program below, no
        # compile (Glorot / He / Lecun uniform: Keras's default kernels).
        data = _threefry.fold_in(np.asarray(jax.random.key_data(key)), index)
        limit = np.float32(init.draw_factor(spec.shape))
        return jax.device_put(_threefry.symmetric_uniform(data, size, limit).reshape(spec.shape))
    bucket = max(_MIN_BUCKET, 1 << max(size - 1, 0).bit_length())
    cache_key = ("bucketed", init.distribution, bucket, spec.dtype)
    entry = _PROGRAMS.get(cache_key)
    if entry is None:
        distribution, dtype = init.distribution, spec.dtype

        def draw(key: jax.Array, index: jax.Array, factor: jax.Array) -> jax.Array:
            k = jax.random.fold_in(key, index)
            return _initializers.scaled_draw(k, (bucket,), dtype, distribution, factor)

        entry = _PROGRAMS[cache_key] = (None, jax.jit(draw))
    factor = np.asarray(init.draw_factor(spec.shape), np.dtype(spec.dtype))
    flat = np.asarray(entry[1](key, index, factor))
    return jax.device_put(flat[:size].reshape(spec.shape))


def _signature(init: Any) -> Any:
    """A hashable stand-in for a built-in initializer's behaviour (its class and
    configuration), or None for others (a subclass may hold state its config omits;
    those get a program per instance)."""
    if type(init).__module__ != _initializers.__name__:
        return None
    try:
        frozen = _freeze(init.get_config())
    except TypeError:
        return None
    return (type(init).__qualname__, frozen)


def _freeze(value: Any) -> Any:
    """``value`` as nested tuples of plain scalars; TypeError for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return (type(value).__name__, value)
    if isinstance(value, list | tuple):
        return ("seq", tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("map", tuple(sorted((str(k), _freeze(v)) for k, v in value.items())))
    raise TypeError(type(value).__name__)
