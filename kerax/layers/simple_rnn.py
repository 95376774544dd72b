"""SimpleRNN and SimpleRNNCell: ``h_t = activation(x_t @ kernel + h_{t-1} @
recurrent_kernel + bias)``, with Keras 3's arguments and weights.

The layer and the cell share their weights and step (:class:`_SimpleRNNStep`); the
layer runs the fused loop of ``recurrent_base.py``.
"""

from __future__ import annotations

from typing import Any

import jax

from kerax.layers.recurrent_base import _Recurrent
from kerax.layers.rnn_cell_base import _Cell, _Kernels

Array = jax.Array
States = tuple[Array, ...]


class _SimpleRNNStep(_Kernels):
    """The step of SimpleRNN / SimpleRNNCell."""

    _gates = 1
    _num_states = 1
    _per_gate_dropout = False

    def _build_kernels(self, input_dim: int) -> None:
        self._declare(input_dim, (self.units,), self.bias_initializer)

    def _cell(self, p: Any, z: Array, states: States, rec_masks: Array | None) -> States:
        h = self.activation(z + self._recurrent(states[0], p["recurrent_kernel"], rec_masks))
        return (h,)


class SimpleRNN(_SimpleRNNStep, _Recurrent):
    """A fully-connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel
    + bias)``.

    Args:
        units: Size of the output and of the state; a positive integer.
        activation: Activation (default ``"tanh"``); ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of ``kernel`` (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of ``recurrent_kernel`` (default
            ``"orthogonal"``).
        bias_initializer: Initializer of ``bias`` (default ``"zeros"``).
        kernel_regularizer: Optional penalty on ``kernel``.
        recurrent_regularizer: Optional penalty on ``recurrent_kernel``.
        bias_regularizer: Optional penalty on ``bias``.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input features dropped in training (one mask
            per sequence, reused at every step).
        recurrent_dropout: Fraction in [0, 1] of state units dropped in the recurrent
            product in training (one mask per sequence).
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        return_sequences: Whether to return the output of every step rather than the
            last one.
        return_state: Whether to return the final state as well.
        go_backwards: Whether to process the sequence in reverse (the returned
            sequence is then in processing order, reversed, as in Keras).
        stateful: Must be ``False``; kerax layers keep no state between batches.
        unroll: Whether to unroll the loop in Python (fixed, short sequences only).
        zero_output_for_mask: Whether masked steps output zeros rather than the
            previous output (ignored with ``unroll=True``, as in Keras).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Call arguments:
        sequences: The input sequences.
        initial_state: Optional initial state ``h`` (a tensor or a one-element list).
        mask: Optional boolean ``(batch_size, timesteps)`` mask.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, timesteps, features)``; an optional ``mask`` of shape
        ``(batch_size, timesteps)`` (``True`` = use the step) comes from an upstream
        ``Embedding(mask_zero=True)`` or ``Masking`` layer, or as a call keyword.

    Output shape:
        ``(batch_size, timesteps, units)`` with ``return_sequences=True``, else
        ``(batch_size, units)``; with ``return_state=True``, a tuple of that output and
        the final state tensor(s), each ``(batch_size, units)``.

    Weights:
        ``kernel`` ``(features, units)``, ``recurrent_kernel`` ``(units, units)`` and
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
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
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
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )


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
