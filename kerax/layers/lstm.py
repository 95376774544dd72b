"""LSTM and LSTMCell: Long Short-Term Memory, with Keras 3's arguments and weights.

The layer and the cell share their weights and step (:class:`_LSTMStep`, gate order
``i``, ``f``, ``c``, ``o``); the layer runs the fused loop of ``recurrent_base.py``.
The ConvLSTM layers reuse the forget-gate bias initializer.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax.layers.recurrent_base import _Recurrent
from kerax.layers.rnn_cell_base import _Cell, _Kernels

Array = jax.Array
States = tuple[Array, ...]


class _UnitForgetBias(_initializers.Initializer):
    """An LSTM bias: ``base`` everywhere except ones on the forget-gate slice."""

    def __init__(self, base: Any, units: int) -> None:
        self.base, self.units = base, units

    def __call__(self, key: Array, shape: tuple[int, ...], dtype: Any = "float32") -> Array:
        u = self.units
        k_i, k_rest = jax.random.split(key)
        return jnp.concatenate(
            [
                _initializers.initialize(self.base, k_i, (u,), dtype),
                jnp.ones((u,), dtype),
                _initializers.initialize(self.base, k_rest, (2 * u,), dtype),
            ]
        )


class _LSTMStep(_Kernels):
    """The step of LSTM / LSTMCell (gate order i, f, c, o)."""

    _gates = 4
    _num_states = 2
    unit_forget_bias: bool
    recurrent_activation: Any

    def _build_kernels(self, input_dim: int) -> None:
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = _UnitForgetBias(self.bias_initializer, self.units)
        self._declare(input_dim, (4 * self.units,), init)

    def _cell(self, p: Any, z: Array, states: States, rec_masks: Array | None) -> States:
        u = self.units
        h, c = states
        z = z + self._recurrent(h, p["recurrent_kernel"], rec_masks)
        ra = self.recurrent_activation
        i = ra(z[:, :u])
        f = ra(z[:, u : 2 * u])
        g = self.activation(z[:, 2 * u : 3 * u])
        o = ra(z[:, 3 * u :])
        c = f * c + i * g
        return (o * self.activation(c), c)


class LSTM(_LSTMStep, _Recurrent):
    """Long Short-Term Memory (Hochreiter & Schmidhuber, 1997), gate order ``i``, ``f``,
    ``c``, ``o``.

    Per step: ``z = x_t @ kernel + h @ recurrent_kernel + bias``; ``i, f, o`` are
    ``recurrent_activation`` of their slices, ``g = activation(z_c)``;
    ``c = f * c + i * g`` and ``h = o * activation(c)``. The input projection of all
    timesteps is one matmul before the loop.

    Args:
        units: Size of the output and of each state; a positive integer.
        activation: Activation of the candidate and of the cell output (default
            ``"tanh"``).
        recurrent_activation: Activation of the gates (default ``"sigmoid"``).
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of ``kernel`` (default ``"glorot_uniform"``).
        recurrent_initializer: Initializer of ``recurrent_kernel`` (default
            ``"orthogonal"``).
        bias_initializer: Initializer of ``bias`` (default ``"zeros"``).
        unit_forget_bias: Whether the forget-gate slice of the bias starts at ones
            (the rest from ``bias_initializer``); default ``True``.
        kernel_regularizer: Optional penalty on ``kernel``.
        recurrent_regularizer: Optional penalty on ``recurrent_kernel``.
        bias_regularizer: Optional penalty on ``bias``.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input features dropped in training (one mask
            per sequence; one per gate when ``recurrent_dropout > 0``).
        recurrent_dropout: Fraction in [0, 1] of state units dropped in the recurrent
            product in training (one mask per gate and sequence).
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        return_sequences: Whether to return the output of every step.
        return_state: Whether to return the final states as well: ``(output, h, c)``.
        go_backwards: Whether to process the sequence in reverse (the returned
            sequence is then in processing order, reversed, as in Keras).
        stateful: Must be ``False``; kerax layers keep no state between batches.
        unroll: Whether to unroll the loop in Python (fixed, short sequences only).
        zero_output_for_mask: Whether masked steps output zeros rather than the
            previous output (ignored with ``unroll=True``, as in Keras).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Call arguments:
        sequences: The input sequences.
        initial_state: Optional ``[h, c]``, each ``(batch_size, units)``.
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
        ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel`` ``(units, 4 * units)``
        and ``bias`` ``(4 * units,)``.
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
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": _activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
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
