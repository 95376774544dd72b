"""EinsumDense: a dense projection written as an ``einsum`` equation."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._base import InputSpec, Layer
from kerax.layers._lora import LoraMixin, lora_property

Shape = tuple[int | None, ...]


class _AxesFans(_initializers.Initializer):
    """A ``VarianceScaling`` initializer whose fans come from named kernel axes.

    Keras 3 gives EinsumDense kernels the fans ``prod(input axes)`` and
    ``prod(output axes)`` instead of the convolution-style fans of a rank > 2 shape.
    Every kernel axis is either an input or an output axis, so drawing the values as a
    ``(fan_in, fan_out)`` matrix (whose fans are exactly those) and reshaping gives the
    same distribution.
    """

    def __init__(self, base: _initializers.VarianceScaling, input_axes: list[int]) -> None:
        self.base = base
        self.input_axes = tuple(input_axes)

    def __call__(self, key: jax.Array, shape: Any, dtype: Any = "float32") -> jax.Array:
        shape = tuple(shape)
        fan_in = math.prod(shape[i] for i in self.input_axes)
        fan_out = math.prod(d for i, d in enumerate(shape) if i not in self.input_axes)
        return self.base(key, (fan_in, fan_out), dtype).reshape(shape)


def analyze_equation(
    equation: str,
    bias_axes: str | None,
    input_shape: Sequence[int | None],
    output_shape: Sequence[int | None],
) -> tuple[list[int | None], list[int | None] | None, list[int | None], list[int]]:
    """Derives the weight shapes of an EinsumDense from its equation, as Keras 3 does.

    Args:
        equation: ``"ab,bc->ac"``, ``"...ab,bc->...ac"`` or ``"ab...,bc->ac..."``.
        bias_axes: Output letters that get a bias, or None.
        input_shape: Full input shape, batch included.
        output_shape: The partial output shape (batch and elided axes excluded).

    Returns:
        ``(kernel_shape, bias_shape or None, full output shape, kernel input axes)``.

    Raises:
        ValueError: For an equation of another form, or one whose letters do not line
            up with the input, the kernel and the output.
    """
    compact = equation.replace("...", "0")
    left_elided = False
    match = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", compact)
    if match is None:
        match = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", compact)
        left_elided = match is not None
    if match is None:
        match = re.fullmatch(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", compact)
    if match is None:
        raise ValueError(
            f"Received an invalid value for `equation` in EinsumDense: expected the form "
            f"'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...', received equation={equation!r}."
        )
    in_spec, kernel_spec, out_spec = match.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(in_spec)
    full_out: list[int | None] = [input_shape[0], *output_shape]
    if elided > 0 and left_elided:
        for i in range(1, elided):
            full_out.insert(1, input_shape[i])
    elif elided > 0:
        full_out.extend(input_shape[len(input_shape) - elided :])

    if left_elided:
        in_pos = {c: i + elided - len(input_shape) for i, c in enumerate(in_spec)}
        out_pos = {c: i + elided for i, c in enumerate(out_spec)}
    else:
        in_pos = {c: i for i, c in enumerate(in_spec)}
        out_pos = {c: i for i, c in enumerate(out_spec)}

    if len(full_out) != len(out_spec) + max(elided, 0):
        raise ValueError(
            f"EinsumDense: output_shape={tuple(output_shape)} does not match the output "
            f"{out_spec!r} of {equation!r} for inputs of shape {tuple(input_shape)}."
        )
    for c in in_spec:
        if c in out_pos:
            want, got = full_out[out_pos[c]], input_shape[in_pos[c]]
            if want is not None and want != got:
                raise ValueError(
                    f"EinsumDense: the input and output disagree on the shared axis {c!r} "
                    f"of {equation!r}: input size {got}, output size {want}."
                )
    for c in out_spec:
        if c not in in_spec and c not in kernel_spec:
            raise ValueError(
                f"EinsumDense: output axis {c!r} of {equation!r} appears in neither the "
                "input nor the kernel."
            )

    kernel_shape: list[int | None] = []
    input_axes: list[int] = []
    for i, c in enumerate(kernel_spec):
        if c in out_pos:
            kernel_shape.append(full_out[out_pos[c]])
        elif c in in_pos:
            kernel_shape.append(input_shape[in_pos[c]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"EinsumDense: kernel axis {c!r} of {equation!r} appears in neither the "
                "input nor the output."
            )

    bias_shape: list[int | None] | None = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(
                    f"Received an invalid value for `bias_axes` in EinsumDense: {c!r} is "
                    f"not an output axis of {equation!r}, received bias_axes={bias_axes!r}."
                )
        offset = elided if left_elided else 0
        sizes = {c: full_out[i + offset] for i, c in enumerate(out_spec)}
        first = min(out_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, full_out, input_axes


class EinsumDense(LoraMixin, Layer):
    """A dense layer whose contraction is an ``einsum`` equation.

    ``EinsumDense("ab,bc->ac", output_shape=64, bias_axes="c")`` is ``Dense(64)``; other
    equations project several axes at once, e.g. ``"abc,cde->abde"`` maps
    ``(batch, steps, features)`` to ``(batch, steps, heads, head_dim)`` as the
    projections of ``MultiHeadAttention`` do. The first operand is the input, the second
    the kernel. ``...`` may stand for leading (``"...b,bc->...c"``) or trailing
    (``"ab...,bc->ac..."``) input axes that pass through unchanged.

    Args:
        equation: The einsum equation, ``input,kernel->output``.
        output_shape: The output shape without the batch axis and without the axes
            ``...`` stands for; an int for a single axis. ``None`` entries are taken
            from the input.
        activation: Activation name or callable applied to the result; ``None`` is
            linear.
        bias_axes: Output letters that get a bias (e.g. ``"c"``), or ``None`` for no
            bias.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``;
            variance-scaling initializers count the kernel's input and output axes as
            fans, as Keras 3 does).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional penalty on the kernel.
        bias_regularizer: Optional penalty on the bias.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernel after updates.
        bias_constraint: Optional projection of the bias after updates.
        lora_rank: If set, the layer is built with LoRA enabled at this rank (see
            :meth:`enable_lora`): the kernel is frozen and a trainable low-rank update
            ``(lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`` is added to it.
        lora_alpha: Numerator of the LoRA scale; defaults to ``lora_rank``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Input shape:
        A tensor whose rank matches the input term of ``equation`` (plus any axes
        ``...`` covers).

    Output shape:
        ``(batch_size, *output_shape)``, with the ``...`` axes where the equation puts
        them.

    Weights:
        ``kernel`` with one axis per letter of the kernel term (sized from the input for
        contracted letters, from the output otherwise) and, with ``bias_axes``, ``bias``
        spanning the output axes from the first bias letter to the end, sized 1 on
        non-bias letters. With LoRA, also ``lora_kernel_a`` of shape
        ``kernel.shape[:-1] + (rank,)`` and ``lora_kernel_b`` of shape
        ``(rank, kernel.shape[-1])``, and ``kernel`` is non-trainable.
    """

    kernel = lora_property("kernel")

    def __init__(
        self,
        equation: str,
        output_shape: int | Sequence[int | None],
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._init_lora(lora_rank, lora_alpha)
        if not isinstance(equation, str) or "->" not in equation or "," not in equation:
            raise ValueError(
                "Received an invalid value for `equation` in EinsumDense: expected a string "
                f"'input,kernel->output', received equation={equation!r}."
            )
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            partial: tuple[int | None, ...] = (output_shape,)
        elif isinstance(output_shape, Sequence) and not isinstance(output_shape, str):
            partial = tuple(output_shape)
        else:
            partial = ()
        if (
            not partial
            and output_shape != ()
            or any(
                d is not None and (not isinstance(d, int) or isinstance(d, bool) or d <= 0)
                for d in partial
            )
        ):
            raise ValueError(
                "Received an invalid value for `output_shape` in EinsumDense: expected a "
                "positive integer or a sequence of positive integers and None, received "
                f"output_shape={output_shape!r}."
            )
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise ValueError(
                "Received an invalid value for `bias_axes` in EinsumDense: expected a "
                f"string of output letters or None, received bias_axes={bias_axes!r}."
            )
        self.equation = equation
        self.partial_output_shape = partial
        self.bias_axes = bias_axes
        self.activation = _activations.get(activation)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.full_output_shape: Shape | None = None

    def build(self, input_shape: Shape) -> None:
        kernel_shape, bias_shape, full_out, input_axes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        if any(d is None for d in kernel_shape) or (
            bias_shape is not None and any(d is None for d in bias_shape)
        ):
            raise ValueError(
                f"Layer '{self.name}' (EinsumDense) needs the sizes of every weight axis; "
                f"equation {self.equation!r} with input shape {tuple(input_shape)} and "
                f"output_shape={self.partial_output_shape} leaves some unknown."
            )
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.full_output_shape = tuple(full_out)
        init = self.kernel_initializer
        if type(init).__call__ is _initializers.VarianceScaling.__call__:
            init = _AxesFans(init, input_axes)
        self.kernel = self.add_weight(
            "kernel",
            tuple(kernel_shape),
            init,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                "bias",
                tuple(bias_shape),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self._build_lora()

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        p = ctx.params
        y = jnp.einsum(self.equation, inputs, self._lora_weight(ctx))
        if self.bias_axes is not None:
            y = y + p["bias"]
        return self.activation(y)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": _activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            **self._lora_config(),
        }
