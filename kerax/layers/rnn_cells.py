"""Recurrent cells and the ``RNN`` layer that loops a cell over time.

A cell computes one step, ``cell(inputs, states) -> (output, new_states)``, with
Keras 3's cell API (``state_size``, ``output_size``, ``get_initial_state``).
:class:`RNN` runs a cell, or a stack of cells, over a sequence.

The built-in cells (:class:`SimpleRNNCell`, :class:`GRUCell`, :class:`LSTMCell`) share
their weights and step math with the ``SimpleRNN`` / ``GRU`` / ``LSTM`` layers, and
:class:`RNN` runs them the way those layers run: the input projection of every timestep
is one matmul before the loop, and the loop only multiplies the state by the recurrent
kernel. A stack of built-in cells runs one cell over the whole sequence at a time,
which computes the same numbers as stepping all cells together (the input of cell
``k`` at step ``t`` is the output of cell ``k - 1`` at step ``t``, and a masked step
keeps every cell's state) while letting every cell hoist its projection. Any other
cell is opaque: the loop calls it once per step.

Masking and ``unroll`` follow Keras 3's JAX backend, as in ``recurrent.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.graph import frame as _frame
from kerax.layers._base import Layer
from kerax.layers.core import check_positive
from kerax.layers.recurrent import (
    _check_rate,
    _GRUStep,
    _LSTMStep,
    _serialize_regularizer,
    _SimpleRNNStep,
)

Array = jax.Array


# ---------------------------------------------------------------------- the loop
def run_loop(
    step: Callable[[Any, Any], tuple[Array, Any]],
    xs: Any,
    states: Any,
    steps_mask: Array | None,
    *,
    unroll: bool,
    zero_output_for_mask: bool,
    keep_all: bool,
    previous_output: Callable[[Any], Array],
) -> tuple[Array, Array | None, Any]:
    """Runs ``step`` over the leading (time) axis of ``xs``, with Keras's masking.

    The caller puts the sequence in processing order (reversed for ``go_backwards``)
    beforehand, so the returned sequence is in processing order too, as Keras returns
    it.

    Args:
        step: ``step(x_t, states) -> (output, new_states)``; ``new_states`` has the
            structure of ``states``.
        xs: Time-major inputs (a pytree of ``(time, batch, ...)`` arrays).
        states: The initial states (a pytree of ``(batch, ...)`` arrays).
        steps_mask: Optional boolean ``(time, batch)`` mask.
        unroll: Whether to unroll in Python rather than ``jax.lax.scan``.
        zero_output_for_mask: Whether a masked step outputs zeros (scan only, as in
            Keras) rather than the previous output.
        keep_all: Whether to return the outputs of every step.
        previous_output: Picks the "previous output" of a masked step out of the
            states, as Keras's scan does (its first state, or the last cell's first
            state for a stack).

    Returns:
        ``(last_output, outputs or None, final_states)``.
    """

    def where(m: Array, new: Array, old: Array) -> Array:
        return jnp.where(m.reshape(m.shape + (1,) * (new.ndim - 1)), new, old)

    def masked(m: Array, out: Array, new: Any, old: Any, fallback: Array) -> tuple[Array, Any]:
        out = where(m, out, fallback)
        return out, jax.tree_util.tree_map(lambda n, o: where(m, n, o), new, old)

    if unroll:
        steps = jax.tree_util.tree_leaves(xs)[0].shape[0]
        outputs: list[Array] = []
        last = None
        for t in range(steps):
            out, new = step(jax.tree_util.tree_map(lambda a, t=t: a[t], xs), states)
            if steps_mask is not None:
                fallback = jnp.zeros_like(out) if last is None else last
                out, new = masked(steps_mask[t], out, new, states, fallback)
            states, last = new, out
            if keep_all:
                outputs.append(out)
        return last, (jnp.stack(outputs) if keep_all else None), states

    first = jax.tree_util.tree_map(lambda a: a[0], xs)
    out_spec = jax.eval_shape(lambda x, s: step(x, s)[0], first, states)
    init_last = jnp.zeros(out_spec.shape, out_spec.dtype)

    def body(carry: tuple[Any, Array], inp: Any) -> tuple[tuple[Any, Array], Array | None]:
        old, _ = carry
        if steps_mask is None:
            out, new = step(inp, old)
        else:
            x, m = inp
            out, new = step(x, old)
            fallback = jnp.zeros_like(out) if zero_output_for_mask else previous_output(old)
            out, new = masked(m, out, new, old, fallback)
        return (new, out), (out if keep_all else None)

    scan_xs = xs if steps_mask is None else (xs, steps_mask)
    (final, last), ys = jax.lax.scan(body, (states, init_last), scan_xs)
    return last, ys, final


def sub_context(ctx: Any, layer: Layer) -> _frame.Context:
    """A context for ``layer`` inside ``ctx``'s call, as ``ctx.call`` would make it."""
    return _frame.Context(ctx.frame, layer, f"{ctx.path}/{layer.name}", ctx.training)


# ---------------------------------------------------------------------- cells
class _Cell(Layer):
    """The shared constructor, build and single-step call of the built-in cells."""

    def __init__(
        self,
        units: int,
        *,
        activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        recurrent_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any,
        recurrent_regularizer: Any,
        bias_regularizer: Any,
        kernel_constraint: Any,
        recurrent_constraint: Any,
        bias_constraint: Any,
        dropout: float,
        recurrent_dropout: float,
        seed: int | None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("implementation", None)  # Keras's internal choice; one path here
        super().__init__(**kwargs)
        cls = type(self).__name__
        check_positive(cls, "units", units)
        self.units = units
        self.activation = _activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.recurrent_initializer = _initializers.get(recurrent_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = _regularizers.get(recurrent_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = _check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = _check_rate(cls, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        #: Size of each state tensor: an int (one state) or a list (one per state).
        self.state_size: int | list[int] = (
            units if self._num_states == 1 else [units] * self._num_states
        )
        #: Size of the output.
        self.output_size = units

    def build(self, input_shape: Sequence[int | None]) -> None:
        dim = input_shape[-1] if len(input_shape) else None
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs a known last input "
                f"dimension; received input shape {tuple(input_shape)}."
            )
        self._build_kernels(int(dim))

    def get_initial_state(self, batch_size: int | None = None) -> list[Array]:
        """Zero states: a list of ``(batch_size, units)`` arrays."""
        return [
            jnp.zeros((batch_size, self.units), self.compute_dtype) for _ in range(self._num_states)
        ]

    def apply(self, ctx: Any, inputs: Array, states: Any) -> tuple[Array, Any]:
        nested = isinstance(states, list | tuple)
        carry = tuple(states) if nested else (states,)
        if len(carry) != self._num_states:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {self._num_states} "
                f"state tensor(s), received {len(carry)}."
            )
        p = ctx.params
        seq = inputs[:, None, :]
        in_masks, rec_masks = self._dropout_masks(ctx, seq)
        z = self._project(p, seq, in_masks)[0]
        new = self._cell(p, z, carry, rec_masks)
        if nested or self._num_states > 1:
            return new[0], list(new)
        return new[0], new[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": _initializers.serialize(self.recurrent_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "kernel_constraint": self.kernel_constraint,
            "recurrent_constraint": self.recurrent_constraint,
            "bias_constraint": self.bias_constraint,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(_SimpleRNNStep, _Cell):
    """One step of :class:`~kerax.layers.SimpleRNN`:
    ``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``.

    Args:
        units: Size of the output and of the state; a positive integer.
        activation: Activation (default ``"tanh"``); ``None`` is linear.
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of ``kernel`` (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of ``recurrent_kernel`` (default
            ``"orthogonal"``).
        bias_initializer: Initializer of ``bias`` (default ``"zeros"``).
        kernel_regularizer: Optional penalty on ``kernel``.
        recurrent_regularizer: Optional penalty on ``recurrent_kernel``.
        bias_regularizer: Optional penalty on ``bias``.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input features dropped in training.
        recurrent_dropout: Fraction in [0, 1] of state units dropped in training.
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: The inputs of one step.
        states: The previous state ``h``: a tensor, or a one-element list.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, features)``, and a state of shape ``(batch_size, units)``.

    Output shape:
        ``(output, new_states)``: the output ``(batch_size, units)`` and the new
        state (a one-element list when the state came as a list).

    Weights:
        ``kernel`` ``(features, units)``, ``recurrent_kernel`` ``(units, units)``,
        ``bias`` ``(units,)``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )


class GRUCell(_GRUStep, _Cell):
    """One step of :class:`~kerax.layers.GRU` (gates ``z``, ``r``, ``h``).

    Args:
        units: Size of the output and of the state; a positive integer.
        activation: Activation of the candidate (default ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add biases.
        kernel_initializer: Initializer of ``kernel`` (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of ``recurrent_kernel`` (default
            ``"orthogonal"``).
        bias_initializer: Initializer of ``bias`` (default ``"zeros"``).
        kernel_regularizer: Optional penalty on ``kernel``.
        recurrent_regularizer: Optional penalty on ``recurrent_kernel``.
        bias_regularizer: Optional penalty on ``bias``.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input features dropped in training.
        recurrent_dropout: Fraction in [0, 1] of state units dropped in training.
        reset_after: Whether the reset gate applies after the recurrent matmul
            (default ``True``; the bias then has an input and a recurrent row).
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: The inputs of one step.
        states: The previous state ``h``: a tensor, or a one-element list.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, features)``, and a state of shape ``(batch_size, units)``.

    Output shape:
        ``(output, new_states)``: the output ``(batch_size, units)`` and the new
        state (a one-element list when the state came as a list).

    Weights:
        ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
        ``(units, 3 * units)``, ``bias`` ``(2, 3 * units)`` with ``reset_after`` or
        ``(3 * units,)`` without.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        reset_after: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": _activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


class LSTMCell(_LSTMStep, _Cell):
    """One step of :class:`~kerax.layers.LSTM` (gates ``i``, ``f``, ``c``, ``o``).

    Args:
        units: Size of the output and of each state; a positive integer.
        activation: Activation of the candidate and of the cell output (default
            ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add a bias.
        kernel_initializer: Initializer of ``kernel`` (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of ``recurrent_kernel`` (default
            ``"orthogonal"``).
        bias_initializer: Initializer of ``bias`` (default ``"zeros"``).
        unit_forget_bias: Whether the forget-gate slice of the bias starts at ones.
        kernel_regularizer: Optional penalty on ``kernel``.
        recurrent_regularizer: Optional penalty on ``recurrent_kernel``.
        bias_regularizer: Optional penalty on ``bias``.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input features dropped in training.
        recurrent_dropout: Fraction in [0, 1] of state units dropped in training.
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: The inputs of one step.
        states: The previous states ``[h, c]``.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, features)``, and states ``[h, c]``, each
        ``(batch_size, units)``.

    Output shape:
        ``(h, [h, c])``: the output and the new states, each ``(batch_size, units)``.

    Weights:
        ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
        ``(units, 4 * units)``, ``bias`` ``(4 * units,)``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            **kwargs,
        )
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": _activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }


def _check_cell(owner: str, arg: str, cell: Any) -> None:
    if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
        raise ValueError(
            f"{owner} needs a kerax layer with a `state_size` attribute as `{arg}` "
            f"(an RNN cell), received {arg}={cell!r}."
        )


def _output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return int(size)
    state = cell.state_size
    return int(state[0] if isinstance(state, list | tuple) else state)


def _zero_states(cell: Any, batch: int, dtype: Any) -> list[Array]:
    sizes = cell.state_size if isinstance(cell.state_size, list | tuple) else [cell.state_size]
    return [jnp.zeros((batch, int(s)), dtype) for s in sizes]


def _initial_states(cell: Any, batch: int, dtype: Any) -> list[Any]:
    fn = getattr(cell, "get_initial_state", None)
    states = fn(batch_size=batch) if fn is not None else _zero_states(cell, batch, dtype)
    if not isinstance(states, list | tuple):
        states = [states]
    return jax.tree_util.tree_map(lambda s: jnp.asarray(s).astype(dtype), list(states))


class StackedRNNCells(Layer):
    """A list of cells run as one cell: each step feeds the output of a cell to the
    next one.

    Args:
        cells: The cells, first to last.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: The inputs of one step.
        states: One entry per cell: that cell's states.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, features)``, and the states of every cell.

    Output shape:
        ``(output, new_states)``: the last cell's output and every cell's new states.
    """

    def __init__(self, cells: Sequence[Layer], **kwargs: Any) -> None:
        if not isinstance(cells, list | tuple) or not cells:
            raise ValueError(
                f"StackedRNNCells needs a non-empty list of cells, received cells={cells!r}."
            )
        for cell in cells:
            _check_cell("StackedRNNCells", "cells", cell)
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        """The ``state_size`` of every cell."""
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        """The output size of the last cell."""
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """The initial states of every cell."""
        return [_initial_states(c, batch_size, self.compute_dtype) for c in self.cells]

    def build(self, input_shape: Sequence[int | None]) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell._build_guarded(shape)
            shape = (shape[0], _output_size(cell))

    def apply(self, ctx: Any, inputs: Array, states: Any) -> tuple[Array, list[Any]]:
        if len(states) != len(self.cells):
            raise ValueError(
                f"Layer '{self.name}' (StackedRNNCells) expects the states of "
                f"{len(self.cells)} cells, received {len(states)}."
            )
        new_states = []
        x = inputs
        for cell, s in zip(self.cells, states, strict=True):
            x, new = ctx.call(cell, x, s)
            new_states.append(new)
        return x, new_states

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> StackedRNNCells:
        """Re-creates the stack and fresh cells from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


# ---------------------------------------------------------------------- RNN
class RNN(Layer):
    """Loops a cell (or a list of cells, stacked) over the time axis of a sequence.

    Built-in cells (``SimpleRNNCell``, ``GRUCell``, ``LSTMCell``) run as fast as the
    matching layers: their input projections are hoisted out of the loop. Any other
    kerax layer with a ``state_size`` attribute and a ``(inputs, states) -> (output,
    new_states)`` call runs once per step inside the loop.

    Args:
        cell: A cell, or a list of cells (wrapped in :class:`StackedRNNCells`).
        return_sequences: Whether to return the output of every step rather than the
            last one.
        return_state: Whether to return the final states as well.
        go_backwards: Whether to process the sequence in reverse (the returned
            sequence is then in processing order, as in Keras).
        stateful: Must be ``False``; kerax layers keep no state between batches.
        unroll: Whether to unroll the loop in Python (fixed, short sequences only).
        zero_output_for_mask: Whether masked steps output zeros rather than the
            previous output (ignored with ``unroll=True``, as in Keras).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Call arguments:
        sequences: The input sequences.
        initial_state: Optional initial states, structured as the cell's
            ``state_size`` (for a stack: one entry per cell, or all states flat).
        mask: Optional boolean ``(batch_size, timesteps)`` mask.
        training: Whether the cells' dropout is active.

    Input shape:
        ``(batch_size, timesteps, ...)``: ``...`` is the input shape of one step.

    Output shape:
        ``(batch_size, timesteps, output_size)`` with ``return_sequences=True``, else
        ``(batch_size, output_size)``; with ``return_state=True``, that output
        followed by the final states (for a stack, one list per cell).
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        _check_cell("RNN", "cell", cell)
        super().__init__(**kwargs)
        if stateful:
            raise ValueError(
                "RNN received stateful=True, which kerax does not support: layers keep no "
                "state between batches. Pass the carried state explicitly with "
                "`initial_state=` (and `return_state=True`) instead."
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        size = cell.state_size
        self.state_size = list(size) if isinstance(size, list | tuple) else [size]

    def build(self, input_shape: Sequence[int | None]) -> None:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (RNN) expects inputs of shape (batch, timesteps, "
                f"...); received input shape {shape}."
            )
        if not self.cell.built:
            self.cell._build_guarded((shape[0], *shape[2:]))

    def _cells(self) -> list[Any]:
        return self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]

    def _given_states(self, initial_state: Any, dtype: Any) -> list[Any]:
        if not isinstance(initial_state, list | tuple):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        stacked = isinstance(self.cell, StackedRNNCells)
        flat = jax.tree_util.tree_leaves(initial_state)
        per_cell = [
            len(c.state_size) if isinstance(c.state_size, list | tuple) else 1
            for c in self._cells()
        ]
        if len(flat) != sum(per_cell):
            raise ValueError(
                f"Layer '{self.name}' (RNN) expects {sum(per_cell)} initial state "
                f"tensor(s), received {len(flat)}."
            )
        flat = [jnp.asarray(s).astype(dtype) for s in flat]
        if not stacked:
            return flat
        out, i = [], 0
        for n in per_cell:
            out.append(flat[i : i + n])
            i += n
        return out

    def apply(
        self,
        ctx: Any,
        sequences: Array,
        initial_state: Any = None,
        mask: Array | None = None,
    ) -> Any:
        steps = sequences.shape[1]
        if self.unroll and not isinstance(steps, int):
            raise ValueError(
                f"Layer '{self.name}' (RNN) cannot unroll a sequence of unknown length: "
                "give the time dimension in `Input(shape=...)` or pass unroll=False."
            )
        dtype = sequences.dtype
        batch = sequences.shape[0]
        stacked = isinstance(self.cell, StackedRNNCells)
        if initial_state is None:
            states = _initial_states(self.cell, batch, dtype)
        else:
            states = self._given_states(initial_state, dtype)
        if not stacked:
            states = [states] if not isinstance(states, list) else states
        x = jnp.flip(sequences, axis=1) if self.go_backwards else sequences
        steps_mask = None
        if mask is not None:
            steps_mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)
            if self.go_backwards:
                steps_mask = jnp.flip(steps_mask, axis=0)
        options = {"unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}
        if all(isinstance(c, _Cell) for c in self._cells()):
            last, outputs, final = self._run_hoisted(ctx, x, states, steps_mask, options)
        else:
            last, outputs, final = self._run_opaque(ctx, x, states, steps_mask, options)
        output = jnp.swapaxes(outputs, 0, 1) if self.return_sequences else last
        if self.return_state:
            return (output, *final)
        return output

    def _run_hoisted(
        self, ctx: Any, x: Array, states: list[Any], steps_mask: Array | None, options: Any
    ) -> tuple[Array, Array | None, list[Any]]:
        """Built-in cells: one cell over the whole sequence at a time."""
        cells = self._cells()
        per_cell = states if isinstance(self.cell, StackedRNNCells) else [states]
        finals: list[Any] = []
        last, outputs = None, None
        for k, (cell, s) in enumerate(zip(cells, per_cell, strict=True)):
            sub = sub_context(ctx, cell)
            p = sub.params
            seq = x.astype(cell.compute_dtype)
            in_masks, rec_masks = cell._dropout_masks(sub, seq)
            zx = cell._project(p, seq, in_masks)

            def step(z: Array, carry: Any, cell: Any = cell, p: Any = p, rm: Any = rec_masks):
                new = cell._cell(p, z, tuple(carry), rm)
                return new[0], list(new)

            top = k == len(cells) - 1
            last, outputs, new_states = run_loop(
                step,
                zx,
                [jnp.asarray(v).astype(seq.dtype) for v in s],
                steps_mask,
                keep_all=self.return_sequences or not top,
                previous_output=lambda carry: carry[0],
                **options,
            )
            finals.append(new_states)
            if not top:
                x = jnp.swapaxes(outputs, 0, 1)
        if isinstance(self.cell, StackedRNNCells):
            return last, outputs, finals
        return last, outputs, finals[0]

    def _run_opaque(
        self, ctx: Any, x: Array, states: list[Any], steps_mask: Array | None, options: Any
    ) -> tuple[Array, Array | None, list[Any]]:
        """Any cell: the cell is called once per step inside the loop."""
        structure = jax.tree_util.tree_structure(states)
        stacked = isinstance(self.cell, StackedRNNCells)

        def step(x_t: Array, carry: Any) -> tuple[Array, Any]:
            out, new = ctx.call(self.cell, x_t, carry)
            leaves = jax.tree_util.tree_leaves(new)
            return out, jax.tree_util.tree_unflatten(structure, leaves)

        def previous(carry: Any) -> Array:
            return carry[-1][0] if stacked else carry[0]

        return run_loop(
            step,
            jnp.swapaxes(x, 0, 1),
            states,
            steps_mask,
            keep_all=self.return_sequences,
            previous_output=previous,
            **options,
        )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            count = len(jax.tree_util.tree_leaves(self.state_size))
            return [out_mask] + [None] * count
        return out_mask

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_layer(self.cell),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> RNN:
        """Re-creates the layer and a fresh cell from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict) and "class_name" in cell:
            cell = deserialize_layer(cell, custom_objects)
        return cls(cell, **config)
