"""``Input`` and ``InputLayer``: where a functional graph starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kerax.graph import symbolic
from kerax.graph.spec import TensorSpec, canonical_dtype
from kerax.layers._base import Layer


class InputLayer(Layer):
    """The layer behind ``Input``: it has no weights and one symbolic output.

    Args:
        shape: Shape of one example (batch dimension excluded); ``None`` entries are
            unknown sizes.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input (default ``"float32"``).
        batch_shape: Alternative to ``shape`` + ``batch_size``: the full shape.
        name: Name of the input; it keys the input in dicts given to ``fit``.
    """

    def __init__(
        self,
        shape: Sequence[int | None] | int | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if batch_shape is None and "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if sparse:
            raise ValueError("kerax does not support sparse inputs (`sparse=True`).")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is not None:
            full = tuple(batch_shape)
        else:
            if shape is None:
                raise ValueError(
                    "`Input` needs a `shape` (the shape of one example, without the batch "
                    "dimension), e.g. `Input(shape=(784,))`."
                )
            if isinstance(shape, int):
                shape = (shape,)
            full = (batch_size, *tuple(shape))
        for d in full:
            if d is not None and (not isinstance(d, int) or d < 0):
                raise ValueError(
                    f"`Input` shape entries must be non-negative integers or None; "
                    f"received shape {full[1:]}."
                )
        self.batch_shape = full
        self.optional = optional
        self.built = True
        spec = TensorSpec(full, canonical_dtype(dtype))
        self.output_tensor = symbolic.input_tensor(spec, self)

    autocast = False

    def apply(self, ctx: Any, x: Any) -> Any:
        return x

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": False,
            "name": self.name,
        }


def Input(  # noqa: N802 - Keras's name
    shape: Sequence[int | None] | int | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> symbolic.KerasTensor:
    """Creates a symbolic input tensor, the start of a functional model.

    Args:
        shape: Shape of one example, batch dimension excluded: ``Input(shape=(784,))``.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the data fed to this input (default ``"float32"``).
        sparse: Not supported; must be falsy.
        batch_shape: The full shape, batch dimension included, instead of ``shape``.
        name: Name of the input (unique in a model); keys dict inputs to ``fit``.
        tensor: Unused; accepted for Keras compatibility.
        optional: Whether the input may be ``None``.

    Returns:
        A ``KerasTensor`` of shape ``(batch_size, *shape)``.

    Example:
        >>> x = kerax.Input(shape=(784,))
        >>> x.shape
        (None, 784)
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        name=name,
        optional=optional,
    )
    return layer.output_tensor


def as_input(tensor: symbolic.KerasTensor) -> InputLayer:
    """The InputLayer of ``tensor``; a fresh one if it is an intermediate tensor."""
    node = tensor.node
    if node is not None and isinstance(node.layer, InputLayer):
        return node.layer
    return InputLayer(batch_shape=tensor.shape, dtype=tensor.dtype, name=f"{tensor.name}_input")
