"""The explicit context of one pure ``apply``: where layers find their variables.

A :class:`Frame` is created by the lowered ``apply`` for one call. It holds the flat
variables (``params`` and ``state``, keyed by layer key), the training flag and the
base RNG key, and it collects what layers report back: state updates and extra losses.
Each layer call gets a :class:`Context`, a view of the frame for that layer at one
position in the graph (its *path*), which is what ``Layer.apply`` receives.

Nothing here is global: a frame lives for one trace of ``apply`` and is dropped after.
The only context variable is :data:`ACTIVE`, set while a Keras-style ``call`` runs, so
that ``self.kernel`` inside such a ``call`` resolves to the traced value (the compat
path of Keras-style subclassed layers; built-in layers never read it).
"""

from __future__ import annotations

import contextvars
import re
import zlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:
    from kerax.layers._base import Layer

Params = dict[str, dict[str, Any]]

ACTIVE: contextvars.ContextVar[Context | None] = contextvars.ContextVar(
    "kerax_active_context", default=None
)


def stable_hash(text: str) -> int:
    """A hash of ``text`` that is the same in every process (unlike ``hash``)."""
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def _cast_floating(tree: Any, dtype: str) -> Any:
    """Casts the floating arrays of ``tree`` to ``dtype`` (others pass through)."""

    def cast(x: Any) -> Any:
        if isinstance(x, jax.Array | np.ndarray) and jnp.issubdtype(x.dtype, jnp.floating):
            return x if x.dtype == dtype else x.astype(dtype)
        return x

    return jax.tree_util.tree_map(cast, tree)


class Frame:
    """The variables and collected side outputs of one run of a graph."""

    def __init__(
        self,
        params: Mapping[str, Mapping[str, Any]],
        state: Mapping[str, Mapping[str, Any]],
        *,
        keys: Mapping[int, str],
        training: bool = False,
        rng: jax.Array | Callable[[], jax.Array] | None = None,
        row_weights: jax.Array | None = None,
    ) -> None:
        self.row_weights = row_weights
        #: Whether the run was given its mode (else recorded ``training=`` args apply).
        self.explicit_training = True
        self.params = dict(params)
        self.state = dict(state)
        self.keys = dict(keys)
        self.training = training
        # A callable is called when a key is needed, so a graph without random layers
        # traces no key derivation at all (the train step passes one).
        self._rng = rng
        self.updates: dict[str, dict[str, Any]] = {}
        # Trainable weights assigned inside a Keras-style ``call`` (a masked kernel):
        # seen by later reads in the same run, dropped after it, as Keras's stateless
        # scope drops them (the optimizer updates the stored value).
        self.param_overrides: dict[str, dict[str, Any]] = {}
        self.losses: list[jax.Array] = []
        #: ``id`` of the layer that added each of ``losses`` (for ``layer.losses``).
        self.loss_owners: list[int] = []

    @property
    def rng(self) -> jax.Array | None:
        """The base key of this apply (None when none was given)."""
        # Derived at each use, not cached: a use inside a layer's own trace (a scan
        # body) must not leave its tracer behind for uses outside it. XLA merges the
        # repeated derivations.
        return self._rng() if callable(self._rng) else self._rng

    def call(
        self,
        layer: Layer,
        path: str,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        training: bool | None = None,
    ) -> Any:
        """Runs ``layer.apply`` at ``path`` with this frame's variables."""
        if not layer.built:
            layer._ensure_built(args, dict(kwargs))
        if layer._weight_specs and id(layer) not in self.keys:
            self._adopt(layer)
        if layer.autocast:
            args, kwargs = _cast_floating((args, kwargs), layer.compute_dtype)
        ctx = Context(self, layer, path, self.training if training is None else training)
        out = layer.apply(ctx, *args, **kwargs)
        _record_call_shapes(layer, out)
        if layer.activity_regularizer is not None:
            for leaf in jax.tree_util.tree_leaves(out):
                self.losses.append(self._activity_penalty(layer.activity_regularizer, leaf))
                self.loss_owners.append(id(layer))
        return out

    def _activity_penalty(self, regularizer: Any, output: jax.Array) -> jax.Array:
        """``regularizer(output)`` per example, as Keras 3 normalizes it: divided by
        the batch size, padding rows of a padded batch left out of both."""
        if output.ndim == 0:
            return regularizer(output)
        rows = self.row_weights
        if rows is None or rows.shape[0] != output.shape[0]:
            return regularizer(output) / output.shape[0]
        mask = rows.reshape(rows.shape + (1,) * (output.ndim - 1)).astype(output.dtype)
        return regularizer(output * mask) / jnp.maximum(jnp.sum(rows), 1.0)

    def _adopt(self, layer: Layer) -> None:
        """Takes in a sublayer first built during this run (a Keras-style layer that
        creates its sublayers' weights in its first ``call``), with its initial values."""
        key, n = layer.name, 1
        used = set(self.keys.values())
        while key in used:
            key, n = f"{layer.name}_{n}", n + 1
        with jax.ensure_compile_time_eval():
            values = layer._current_values()
        self.keys[id(layer)] = key
        self.params[key] = values["params"]
        self.state[key] = values["state"]

    def new_params(self) -> dict[str, dict[str, Any]]:
        """The params with the trainable values assigned during this run applied."""
        merged = {k: dict(v) for k, v in self.params.items()}
        for key, update in self.param_overrides.items():
            merged.setdefault(key, {}).update(update)
        return merged

    def new_state(self) -> dict[str, dict[str, Any]]:
        """The state after this run: the input state with every update applied."""
        merged = {k: dict(v) for k, v in self.state.items()}
        for key, update in self.updates.items():
            merged.setdefault(key, {}).update(update)
        return merged


_SUFFIX = re.compile(r"_\d+$")


def _stream_path(frame: Frame, path: str) -> str:
    """``path`` with each layer name replaced by ``<stem>#<rank>`` (see :meth:`Context.rng`).

    Ranks are handed out in the order names first reach here, which is the graph's call
    order, and kept on the frame for the rest of the run."""
    ranks: dict[str, str] = frame.__dict__.setdefault("_stream_names", {})
    segments = []
    for segment in path.split("/"):
        name, at, call = segment.partition("@")
        if name not in ranks:
            stem = _SUFFIX.sub("", name)
            rank = sum(1 for n in ranks if _SUFFIX.sub("", n) == stem)
            ranks[name] = f"{stem}#{rank}"
        segments.append(ranks[name] + at + call)
    return "/".join(segments)


class Context:
    """What a layer sees during ``apply``: its variables, the mode, randomness.

    Attributes:
        layer: The layer being applied.
        path: Its position in the graph, e.g. ``"encoder/lstm"``; names RNG streams.
        training: Whether this call runs in training mode.
    """

    __slots__ = ("_frame", "layer", "path", "training", "_draws")

    def __init__(self, frame: Frame, layer: Layer, path: str, training: bool) -> None:
        self._frame = frame
        self.layer = layer
        self.path = path
        self.training = training
        self._draws = 0

    @property
    def frame(self) -> Frame:
        return self._frame

    @property
    def key(self) -> str | None:
        """The layer's key in the flat variables, or None if it owns no variables."""
        return self._frame.keys.get(id(self.layer))

    @property
    def params(self) -> Mapping[str, Any]:
        """The layer's trainable variables by weight name, in its compute dtype."""
        params = self._frame.params.get(self.key, {}) if self.key else {}
        overrides = self._frame.param_overrides.get(self.key) if self.key else None
        if overrides:
            params = {**params, **overrides}
        if self.layer.compute_dtype != self.layer.dtype:
            kept = {s.name for s in self.layer._weight_specs if not s.autocast}
            cast = _cast_floating(
                {k: v for k, v in params.items() if k not in kept}, self.layer.compute_dtype
            )
            params = {k: (params[k] if k in kept else cast[k]) for k in params}
        return params

    @property
    def state(self) -> Mapping[str, Any]:
        """The layer's non-trainable variables, updates of this run included."""
        if not self.key:
            return {}
        current = dict(self._frame.state.get(self.key, {}))
        current.update(self._frame.updates.get(self.key, {}))
        return current

    def row_weights(self, x: Any) -> jax.Array | None:
        """The 0/1 weights of the real rows of a padded batch, shaped to broadcast
        against ``x`` (batch axis first), or None when every row is real or unknown.

        Layers that compute statistics over the batch (``BatchNormalization``) weigh
        rows by them, so the padding of ``fit``'s short last batch changes nothing."""
        rows = self._frame.row_weights
        if rows is None or not getattr(x, "ndim", 0) or rows.shape[0] != x.shape[0]:
            return None
        return rows.reshape(rows.shape + (1,) * (x.ndim - 1)).astype(x.dtype)

    def variable(self, name: str) -> Any:
        """The current value of the weight ``name``, trainable or not."""
        state = self.state
        return state[name] if name in state else self.params[name]

    def set_state(self, name: str, value: Any) -> None:
        """Records a new value for the non-trainable variable ``name``."""
        if not self.key:
            raise KeyError(f"Layer '{self.layer.name}' has no variable '{name}'.")
        self._frame.updates.setdefault(self.key, {})[name] = value

    def add_loss(self, value: Any) -> None:
        """Adds a scalar to the training loss (activity penalties, ``add_loss``)."""
        self._frame.losses.append(value)
        self._frame.loss_owners.append(id(self.layer))

    def rng(self) -> jax.Array:
        """A fresh PRNG key, unique to this layer call and stable across graph edits.

        The key is the frame's base key folded with a hash of this call's *stream path*,
        then with a per-call counter. The stream path is :attr:`path` with every layer
        name replaced by its stem (the name without Keras's uniquifying ``_<n>`` suffix)
        and the rank of that name among the names with the same stem that drew keys
        earlier in this run (``dropout_7`` -> ``dropout#0`` when it draws first).
        Hence:

        - the numbers do not depend on the names Keras's counters handed out: rebuilding
          the same architecture after ``set_random_seed`` (its layers now named
          ``dropout_1``...) draws the same numbers, so two runs are bit-identical;
        - adding a random layer elsewhere does not change this one's numbers, unless the
          new layer shares its stem and draws before it in the graph's order
          (give layers names to pin their streams completely);
        - each call of a shared layer (``name@k`` in the path) has its own stream.

        Raises:
            ValueError: If the frame was given no RNG key.
        """
        if self._frame.rng is None:
            raise ValueError(
                f"Layer '{self.layer.name}' needs randomness in training mode, but apply "
                "was called without an `rng` key. Pass `rng=jax.random.key(seed)`."
            )
        key = jax.random.fold_in(self._frame.rng, stable_hash(_stream_path(self._frame, self.path)))
        key = jax.random.fold_in(key, self._draws)
        self._draws += 1
        return key

    def call(self, layer: Layer, *args: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """Applies a sublayer within the same frame (used by models and wrappers)."""
        mode = self.training if training is None else training
        return self._frame.call(layer, f"{self.path}/{layer.name}", args, kwargs, training=mode)


def _record_call_shapes(layer: Layer, out: Any) -> None:
    """Keeps the output shapes of a layer's first call with known sizes (else of its
    first, symbolic, call), which ``summary`` shows for layers a subclassed model calls
    inside its ``call`` (they have no graph nodes), as Keras shows their build call's."""
    seen = layer.__dict__.get("_call_shapes")
    if seen is not None and all(d is not None for shape in seen for d in shape):
        return
    shapes = [
        tuple(d if isinstance(d, int) else None for d in np.shape(leaf))
        for leaf in jax.tree_util.tree_leaves(out)
    ]
    if seen is None or all(d is not None for shape in shapes for d in shape):
        layer.__dict__["_call_shapes"] = shapes
