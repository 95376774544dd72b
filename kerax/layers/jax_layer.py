"""``JaxLayer``: a plain JAX function, with its parameters, as a kerax layer.

The function's parameters and state are pytrees; each array leaf (and each Python
bool / int / float leaf) becomes a weight of the layer, trainable for ``params`` and
non-trainable for ``state``, in ``jax.tree_util`` flattening order. Other leaves stay
as they are and reach the function unchanged (configuration). At each call the
pytrees are rebuilt from the weights' current values, so the layer trains with ``fit``,
saves with ``save_weights`` and runs inside every model that contains it.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._base import Layer
from kerax.layers._weights import _Held

_CALL_ARGS = ("params", "state", "rng", "inputs", "training")
_INIT_ARGS = ("rng", "inputs", "training")


class JaxLayer(Layer):
    """Wraps a JAX function ``call_fn`` (and optionally its ``init_fn``) as a layer.

    ``call_fn``'s arguments are recognised by name, in any order; all but ``inputs``
    are optional:

    - ``params``: the trainable parameters (a pytree);
    - ``state``: the non-trainable state (a pytree); ``call_fn`` then returns
      ``(outputs, new_state)`` with ``new_state`` structured as ``state``;
    - ``rng``: a PRNG key (raw ``uint32[2]`` key data) in training mode, None in
      inference;
    - ``inputs``: the layer's inputs;
    - ``training``: a Python bool, True in training mode.

    ``init_fn(rng, inputs, training)`` (``inputs`` required, the others optional)
    returns the initial ``params``, or ``(params, state)`` when ``call_fn`` takes a
    ``state``. It runs when the layer is built, on inputs of ones shaped as the first
    call's (unknown dimensions as 1), with ``training=True``. Pass ``params`` / ``state``
    instead to start from given values.

    Floating leaves take the layer's dtype (``float32`` by default); integer and bool
    leaves keep theirs (a Python ``int`` is ``int32``). As in Keras, an integer leaf of
    ``params`` is a trainable weight, which gradients cannot reach: ``fit`` refuses it
    (``grad requires real- or complex-valued inputs``). Keep integers in ``state``, or
    out of the pytrees (in a closure of ``call_fn``).

    Args:
        call_fn: The function computing the outputs.
        init_fn: The function creating the initial ``params`` (and ``state``).
        params: Initial trainable parameters, a pytree.
        state: Initial non-trainable state, a pytree.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key
            (kerax keeps no seed state among the weights).
        native_serialization_platforms: Keras's jax2tf export platforms, used on the
            TensorFlow backend only; must be None.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        Whatever ``call_fn`` accepts as ``inputs``.

    Output shape:
        Whatever ``call_fn`` returns.

    Raises:
        ValueError: For an unsupported or missing argument of ``call_fn`` /
            ``init_fn``, or when ``call_fn`` takes ``params`` or ``state`` and none of
            ``init_fn``, ``params``, ``state`` is given.
    """

    def __init__(
        self,
        call_fn: Any,
        init_fn: Any = None,
        params: Any = None,
        state: Any = None,
        seed: int | None = None,
        native_serialization_platforms: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if native_serialization_platforms is not None:
            raise ValueError(
                f"JaxLayer '{self.name}': `native_serialization_platforms` selects the "
                "platforms of Keras's jax2tf export on the TensorFlow backend; kerax runs "
                "`call_fn` in JAX directly. Leave it None."
            )
        self.call_fn = call_fn
        self.init_fn = init_fn
        self.seed = seed
        self._call_args = _arguments(call_fn, "call_fn", _CALL_ARGS, self.name)
        self._init_args = (
            _arguments(init_fn, "init_fn", _INIT_ARGS, self.name) if init_fn is not None else []
        )
        self._has_state = "state" in self._call_args
        if (
            init_fn is None
            and params is None
            and state is None
            and ("params" in self._call_args or self._has_state)
        ):
            raise ValueError(
                f"JaxLayer '{self.name}': `init_fn`, `params` and `state` cannot all be None "
                "when `call_fn` takes a `params` or a `state` argument."
            )
        self._trees: dict[str, tuple[Any, list[Any]] | None] = {"params": None, "state": None}
        #: The trainable parameters: the pytree with the weights' variables as leaves.
        self.params: Any = None
        #: The non-trainable state, likewise.
        self.state: Any = None
        if params is not None or state is not None:
            self._declare(params, state)

    # ------------------------------------------------------------------ weights
    def _declare(self, params: Any, state: Any) -> None:
        """Makes the leaves of ``params`` / ``state`` weights (trainable / not)."""
        for collection, tree in (("params", params), ("state", state)):
            leaves, treedef = jax.tree_util.tree_flatten(tree)
            entries: list[Any] = []
            for leaf in leaves:
                value = self._weight_value(leaf)
                if value is None:
                    entries.append(_Constant(leaf))
                    continue
                index = len(self._weight_specs)
                handle = self.add_weight(
                    value.shape,
                    initializer=_Held(value),
                    dtype=value.dtype,
                    trainable=collection == "params",
                    name="variable" if index == 0 else f"variable_{index}",
                )
                entries.append(handle.spec.name)
            self._trees[collection] = (treedef, entries)
            handles = [e.value if isinstance(e, _Constant) else self._handles[e] for e in entries]
            object.__setattr__(self, collection, treedef.unflatten(handles))

    def _weight_value(self, leaf: Any) -> jax.Array | None:
        """The initial value of the weight a leaf becomes, or None for a constant."""
        if isinstance(leaf, bool | int | float) or (
            isinstance(leaf, np.ndarray | np.generic | jax.Array)
        ):
            if isinstance(leaf, bool | int | float):
                dtype = np.dtype({bool: np.bool_, int: np.int32, float: np.float32}[type(leaf)])
            else:
                dtype = np.dtype(leaf.dtype)
            if np.issubdtype(dtype, np.floating):
                dtype = np.dtype(self.dtype)
            if isinstance(leaf, jax.core.Tracer):
                raise ValueError(
                    f"JaxLayer '{self.name}': the initial parameters must be concrete "
                    "arrays; build the layer outside `jax.jit` (call it once on data)."
                )
            return jnp.asarray(leaf, dtype=dtype)
        return None

    def build(self, input_shape: Any) -> None:
        if self._trees["params"] is not None or self._trees["state"] is not None:
            return
        if "params" not in self._call_args and not self._has_state:
            return
        inputs = _ones_like_shape(input_shape)
        with jax.ensure_compile_time_eval():
            args = []
            for name in self._init_args:
                if name == "rng":
                    from kerax import random as _random

                    args.append(jax.random.key_data(_random.next_key()))
                elif name == "inputs":
                    args.append(inputs)
                else:
                    args.append(True)
            result = self.init_fn(*args)
        if self._has_state:
            if not (isinstance(result, tuple | list) and len(result) == 2):
                raise ValueError(
                    f"JaxLayer '{self.name}': `call_fn` takes a `state`, so `init_fn` must "
                    f"return `(params, state)`; received {type(result).__name__}."
                )
            params, state = result
        else:
            params, state = result, None
        self._declare(params, state)

    # ------------------------------------------------------------------ calling
    def apply(self, ctx: Any, inputs: Any) -> Any:
        args = []
        for name in self._call_args:
            if name == "params":
                args.append(self._values_tree("params", ctx.params))
            elif name == "state":
                args.append(self._values_tree("state", ctx.state))
            elif name == "rng":
                args.append(jax.random.key_data(ctx.rng()) if ctx.training else None)
            elif name == "inputs":
                args.append(inputs)
            else:
                args.append(bool(ctx.training))
        if not self._has_state:
            return self.call_fn(*args)
        outputs, new_state = self.call_fn(*args)
        self._store_state(ctx, new_state)
        return outputs

    def _values_tree(self, collection: str, values: Any) -> Any:
        held = self._trees[collection]
        if held is None:
            return None
        treedef, entries = held
        return treedef.unflatten(
            [e.value if isinstance(e, _Constant) else values[e] for e in entries]
        )

    def _store_state(self, ctx: Any, new_state: Any) -> None:
        held = self._trees["state"]
        treedef, entries = held if held is not None else (jax.tree_util.tree_structure(None), [])
        leaves, got = jax.tree_util.tree_flatten(new_state)
        if got != treedef:
            raise ValueError(
                f"JaxLayer '{self.name}': the state `call_fn` returned is structured as "
                f"{got}, but the layer's state is structured as {treedef}."
            )
        for entry, leaf in zip(entries, leaves, strict=True):
            if not isinstance(entry, _Constant):
                spec = next(s for s in self._weight_specs if s.name == entry)
                ctx.set_state(entry, jnp.asarray(leaf).astype(spec.dtype))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The config; ``call_fn`` / ``init_fn`` by registered name, or a Python lambda
        as bytecode (loading that needs ``safe_mode=False``). ``params`` and ``state``
        are not part of it (they are weights), so a layer made from ``params`` without
        ``init_fn`` cannot be re-created from its config (as in Keras): keep it with
        ``save_weights``."""
        from kerax.saving.serialization_lib import serialize_keras_object

        return {
            **super().get_config(),
            "call_fn": serialize_keras_object(self.call_fn),
            "init_fn": serialize_keras_object(self.init_fn),
            "native_serialization_platforms": None,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> JaxLayer:
        from kerax.saving.serialization_lib import deserialize_keras_object

        config = dict(config)
        where = f"JaxLayer '{config.get('name')}'"
        for key in ("call_fn", "init_fn"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_keras_object(config[key], where=f"{where}: {key}")
        return super().from_config(config)


class _Constant:
    """A leaf of ``params`` / ``state`` that is no array: passed to the function as is."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _arguments(fn: Any, what: str, allowed: tuple[str, ...], layer: str) -> list[str]:
    """The names of ``fn``'s parameters, checked against ``allowed`` (``inputs`` required)."""
    if not callable(fn):
        raise ValueError(f"JaxLayer '{layer}': `{what}` must be callable, received {fn!r}.")
    names = list(inspect.signature(fn).parameters)
    if "inputs" not in names:
        raise ValueError(f"JaxLayer '{layer}': `{what}` must take an `inputs` argument.")
    for name in names:
        if name not in allowed:
            raise ValueError(
                f"JaxLayer '{layer}': unsupported argument `{name}` in `{what}`; the "
                f"supported arguments are {', '.join(f'`{a}`' for a in allowed)}."
            )
    return names


def _ones_like_shape(shape: Any) -> Any:
    """Inputs of ones shaped as ``shape`` (a shape, or a list / dict of shapes), with
    unknown dimensions as 1."""
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return jnp.ones([1 if d is None else d for d in shape])
    if isinstance(shape, dict):
        return {k: _ones_like_shape(v) for k, v in shape.items()}
    return [_ones_like_shape(s) for s in shape]
