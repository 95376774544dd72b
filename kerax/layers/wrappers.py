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
