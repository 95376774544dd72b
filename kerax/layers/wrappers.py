"""Wrappers: layers that apply another layer in a new way (``TimeDistributed``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from kerax.graph.lower import accepts_mask
from kerax.layers._base import Layer


class TimeDistributed(Layer):
    """Applies ``layer`` to every timestep of its input, with one set of weights.

    The batch and time axes are merged into one, so the wrapped layer runs once on
    ``(batch_size * timesteps, ...)`` and its output is split back. This computes the
    same values as applying the layer step by step for any layer that treats samples
    independently (everything except batch statistics in training, where a
    ``BatchNormalization`` inside sees all steps as one batch).

    The wrapped layer is shared, not copied: ``TimeDistributed`` owns no weights of its
    own, its ``weights`` are the wrapped layer's, and setting weights on either is seen
    by both. ``layer`` may be a whole model (``TimeDistributed(vision_model)``).

    Args:
        layer: The layer (or model) to apply to each timestep.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: A tensor of rank 3 or more, or a nested structure of such tensors that
            agree on the batch and time axes.
        training: Passed on to the wrapped layer.
        mask: Optional ``(batch_size, timesteps, ...)`` mask; merged like the inputs and
            passed on when the wrapped layer takes a mask.

    Input shape:
        ``(batch_size, timesteps, ...)``: ``...`` is the input shape of ``layer``.

    Output shape:
        ``(batch_size, timesteps, ...)``: ``...`` is the output shape of ``layer``.

    Example:
        >>> frames = kerax.Input(shape=(20, 784))
        >>> per_frame = kerax.layers.TimeDistributed(kerax.layers.Dense(32))(frames)
        >>> per_frame.shape
        (None, 20, 32)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed needs a kerax layer (or model) to wrap, received layer={layer!r}."
            )
        super().__init__(**kwargs)
        self.layer = layer

    @staticmethod
    def _inner_shape(input_shape: Any) -> Any:
        """``input_shape`` with the batch and time axes merged (batch kept as None)."""
        if isinstance(input_shape, tuple) and all(
            d is None or isinstance(d, int) for d in input_shape
        ):
            if len(input_shape) < 3:
                raise ValueError(
                    "TimeDistributed expects inputs of rank 3 or more, (batch_size, "
                    f"timesteps, ...); received input shape {input_shape}."
                )
            batch, steps = input_shape[0], input_shape[1]
            merged = None if batch is None or steps is None else batch * steps
            return (merged, *input_shape[2:])
        if isinstance(input_shape, dict):
            return {k: TimeDistributed._inner_shape(v) for k, v in input_shape.items()}
        if isinstance(input_shape, Sequence):
            return [TimeDistributed._inner_shape(s) for s in input_shape]
        raise ValueError(f"TimeDistributed received an invalid input shape {input_shape!r}.")

    def build(self, input_shape: Any) -> None:
        inner = self._inner_shape(input_shape)
        if not self.layer.built:
            self.layer._build_guarded(inner)

    def apply(self, ctx: Any, inputs: Any, mask: Any = None) -> Any:
        leaves = jax.tree_util.tree_leaves(inputs)
        for x in leaves:
            if x.ndim < 3:
                raise ValueError(
                    f"Layer '{self.name}' (TimeDistributed) expects inputs of rank 3 or "
                    f"more, (batch_size, timesteps, ...); received shape {x.shape}."
                )
        batch, steps = leaves[0].shape[0], leaves[0].shape[1]

        def merge(x: jax.Array) -> jax.Array:
            return x.reshape((-1, *x.shape[2:]))

        kwargs: dict[str, Any] = {}
        if mask is not None and accepts_mask(self.layer):
            kwargs["mask"] = jax.tree_util.tree_map(merge, mask)
        out = ctx.call(self.layer, jax.tree_util.tree_map(merge, inputs), **kwargs)
        return jax.tree_util.tree_map(lambda y: y.reshape((batch, steps, *y.shape[1:])), out)

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> TimeDistributed:
        """Re-creates the wrapper and a fresh wrapped layer from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        return cls(layer, **config)


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions and merges the two.

    The wrapper makes two fresh layers from ``layer``'s config (``layer`` itself is
    not used, nor are its weights): ``forward_layer``, and ``backward_layer`` with
    ``go_backwards`` flipped (unless a ``backward_layer`` is given). With
    ``return_sequences`` the backward outputs are reversed back into input order
    before merging, and masked steps output zeros in both directions.

    Args:
        layer: A recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``,
            ``ConvLSTM1D/2D/3D``, or any layer with ``go_backwards``, ``return_sequences``
            and ``return_state`` attributes and a config round trip).
        merge_mode: How the two outputs combine: ``"concat"`` (on the last axis, the
            default), ``"sum"``, ``"mul"``, ``"ave"``, or ``None`` for a list of both.
        weights: Optional initial weights: the forward layer's, then the backward
            layer's (split in half), set when the layer is built.
        backward_layer: Optional layer for the backward direction; it must agree with
            ``layer`` on ``return_sequences``, ``return_state`` and ``stateful`` and
            differ on ``go_backwards``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        sequences: The input sequences.
        initial_state: Optional initial states: the first half goes to the forward
            layer, the second half to the backward layer.
        mask: Optional boolean ``(batch_size, timesteps)`` mask, passed to both.
        training: Passed to both layers.

    Input shape:
        The input shape of ``layer``, e.g. ``(batch_size, timesteps, features)``.

    Output shape:
        The output of ``layer`` with the last axis doubled for ``"concat"``, the same
        for the other merge modes, two such outputs for ``None``; with
        ``return_state``, followed by the forward states, then the backward states.
    """

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: Sequence[Any] | None = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional needs a kerax layer to wrap, received layer={layer!r}."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional needs a kerax layer as `backward_layer`, received "
                f"backward_layer={backward_layer!r}."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                "Received an invalid value for `merge_mode` in Bidirectional: expected one "
                f"of 'concat', 'sum', 'mul', 'ave', None, received merge_mode={merge_mode!r}."
            )
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, "forward", None)
        if backward_layer is None:
            self.backward_layer = _copy_layer(layer, "backward", True)
        else:
            self.backward_layer = backward_layer
        self._check_directions()
        for sub in (self.forward_layer, self.backward_layer):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = bool(getattr(layer, "stateful", False))
        self.return_sequences = bool(layer.return_sequences)
        self.return_state = bool(layer.return_state)
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _check_directions(self) -> None:
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "Bidirectional needs forward and backward layers with different "
                f"`go_backwards`; received forward go_backwards={fwd.go_backwards} and "
                f"backward_layer go_backwards={bwd.go_backwards}."
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            a, b = getattr(fwd, attr, False), getattr(bwd, attr, False)
            if a != b:
                raise ValueError(
                    f"Bidirectional needs forward and backward layers with the same "
                    f"`{attr}`; received {attr}={a} for the forward layer and "
                    f"{attr}={b} for backward_layer."
                )

    def build(self, input_shape: Any) -> None:
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_guarded(input_shape)
        if self._initial_weights is not None:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None

    def apply(self, ctx: Any, sequences: Any, initial_state: Any = None, mask: Any = None) -> Any:
        fwd_kwargs: dict[str, Any] = {}
        bwd_kwargs: dict[str, Any] = {}
        if initial_state is not None:
            if not isinstance(initial_state, list | tuple):
                initial_state = [initial_state]
            half = len(initial_state) // 2
            fwd_kwargs["initial_state"] = list(initial_state[:half])
            bwd_kwargs["initial_state"] = list(initial_state[half:])
        if mask is not None:
            if accepts_mask(self.forward_layer):
                fwd_kwargs["mask"] = mask
            if accepts_mask(self.backward_layer):
                bwd_kwargs["mask"] = mask
        y = ctx.call(self.forward_layer, sequences, **fwd_kwargs)
        y_rev = ctx.call(self.backward_layer, sequences, **bwd_kwargs)
        states: tuple[Any, ...] = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        y = y.astype(self.compute_dtype)
        y_rev = y_rev.astype(self.compute_dtype)
        if self.return_sequences:
            y_rev = jax.numpy.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            out: Any = jax.numpy.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            out = y * y_rev
        else:
            out = (y, y_rev)
        if not self.return_state:
            return out
        if isinstance(out, tuple):
            return (*out, *states)
        return (out, *states)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        out_mask = mask if self.return_sequences else None
        outs = [out_mask, out_mask] if self.merge_mode is None else [out_mask]
        if self.return_state:
            return outs + [None] * self._state_count()
        return outs if self.merge_mode is None else out_mask

    def _state_count(self) -> int:
        """The number of state tensors both directions return."""
        count = 0
        for sub in (self.forward_layer, self.backward_layer):
            n = getattr(sub, "_num_states", None)
            if n is None:
                n = len(jax.tree_util.tree_leaves(getattr(sub, "state_size", [0])))
            count += n
        return count

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_layer(self.forward_layer),
            "backward_layer": serialize_layer(self.backward_layer),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Bidirectional:
        """Re-creates the wrapper and fresh inner layers from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize_layer(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)


def _copy_layer(layer: Layer, prefix: str, go_backwards: bool | None) -> Layer:
    """A fresh layer from ``layer``'s config, named ``<prefix>_<name>`` (and going
    backwards when ``go_backwards`` is True)."""
    config = dict(layer.get_config())
    name = layer.name.removeprefix(f"{prefix}_")
    config["name"] = f"{prefix}_{name}"
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)
