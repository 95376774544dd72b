"""Pipeline: a plain layer that applies a list of layers in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kerax.graph import frame as _frame
from kerax.graph.lower import accepts_mask
from kerax.layers._base import Layer


def _as_shape(shape: Any) -> Any:
    """A shape read from a config (a list) as a tuple; nested structures as they are."""
    if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    return shape


class Pipeline(Layer):
    """Applies ``layers`` one after the other, each to the previous one's output.

    Unlike a ``Sequential`` model it is a plain layer, meant for preprocessing and
    augmentation chains (``Pipeline([RandomFlip(), RandomRotation(0.1)])``). The
    ``training`` mode reaches every layer: called directly, without ``training=``, the
    pipeline runs in training mode (its random layers augment), as in Keras; inside a
    model it follows the model (augmenting in ``fit``, the identity in ``predict``).
    An incoming mask reaches the layers that take one and follows their
    ``compute_mask``.

    Args:
        layers: The layers, first to last.
        name: The layer's name.

    Input shape:
        What the first layer takes.

    Output shape:
        What the last layer returns.
    """

    def __init__(self, layers: Sequence[Layer], name: str | None = None) -> None:
        if not isinstance(layers, list | tuple) or not all(isinstance(x, Layer) for x in layers):
            raise ValueError(
                f"Pipeline expects a list of kerax layers as `layers`, received layers={layers!r}."
            )
        super().__init__(name=name)
        self.layers = list(layers)

    def _call_eager(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # Keras's Pipeline.call defaults to training=True when called directly.
        if kwargs.get("training") is None and _frame.ACTIVE.get() is None:
            kwargs = {**kwargs, "training": True}
        return super()._call_eager(args, kwargs)

    def build(self, input_shape: Any) -> None:
        shape = _as_shape(input_shape)
        for layer in self.layers:
            if not layer.built:
                layer._build_guarded(shape)
            shape = layer.compute_output_shape(shape)

    def apply(self, ctx: Any, inputs: Any, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self.layers:
            kwargs = {"mask": mask} if mask is not None and accepts_mask(layer) else {}
            outputs, inputs = ctx.call(layer, outputs, **kwargs), outputs
            mask = layer.compute_mask(inputs, mask)
        return outputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask after the last layer: each layer's ``compute_mask`` in turn (given
        the pipeline's input, as only the first layer's input is known here)."""
        for layer in self.layers:
            mask = layer.compute_mask(inputs, mask)
        return mask

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {"layers": [serialize_layer(x) for x in self.layers], "name": self.name}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Pipeline:
        """Re-creates the pipeline, with fresh layers, from ``get_config()`` (or from a
        Keras 3 ``Pipeline`` config)."""
        from kerax.saving.serialization import deserialize_layer

        layers = config.get("layers")
        if not isinstance(layers, list | tuple):
            raise ValueError(
                "A Pipeline config needs a `layers` key holding a list of serialized "
                f"layers, received layers={layers!r}."
            )
        return cls([deserialize_layer(x, custom_objects) for x in layers], config.get("name"))
