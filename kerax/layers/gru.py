"""GRU and GRUCell: the Gated Recurrent Unit, with Keras 3's arguments and weights.

The layer and the cell share their weights and step (:class:`_GRUStep`, gate order
``z``, ``r``, ``h``); the layer runs the fused loop of ``recurrent_base.py``.
"""

from __future__ import annotations

from typing import Any

import jax

from kerax import activations as _activations
from kerax.layers.recurrent_base import _Recurrent
from kerax.layers.rnn_cell_base import _Cell, _Kernels

Array = jax.Array
States = tuple[Array, ...]


class _GRUStep(_Kernels):
    """The step of GRU / GRUCell (gate order z, r, h)."""

    _gates = 3
    _num_states = 1
    reset_after: bool
    recurrent_activation: Any

    def _build_kernels(self, input_dim: int) -> None:
        width = 3 * self.units
        bias_shape = (2, width) if self.reset_after else (width,)
        self._declare(input_dim, bias_shape, self.bias_initializer)

    def _input_bias(self, p: Any) -> Array | None:
        if not self.use_bias:
            return None
        return p["bias"][0] if self.reset_after else p["bias"]

    def _cell(self, p: Any, z: Array, states: States, rec_masks: Array | None) -> States:
        u = self.units
        h = states[0]
        kernel = p["recurrent_kernel"]
        ra = self.recurrent_activation
        if rec_masks is not None and rec_masks.ndim == 3:
            gate_masks, cand_mask = rec_masks[:2], rec_masks[2]
        else:
            gate_masks, cand_mask = rec_masks, rec_masks
        if self.reset_after:
            rz = self._recurrent(h, kernel[:, : 2 * u], gate_masks)
            rh = self._recurrent(h, kernel[:, 2 * u :], cand_mask)
            if self.use_bias:
                rec_bias = p["bias"][1]
                rz, rh = rz + rec_bias[: 2 * u], rh + rec_bias[2 * u :]
            zg = ra(z[:, :u] + rz[:, :u])
            rg = ra(z[:, u : 2 * u] + rz[:, u:])
            cand = self.activation(z[:, 2 * u :] + rg * rh)
        else:
            rz = self._recurrent(h, kernel[:, : 2 * u], gate_masks)
            zg = ra(z[:, :u] + rz[:, :u])
            rg = ra(z[:, u : 2 * u] + rz[:, u:])
            h_c = h if cand_mask is None else h * cand_mask
            cand = self.activation(z[:, 2 * u :] + (rg * h_c) @ kernel[:, 2 * u :])
        return (zg * h + (1.0 - zg) * cand,)


class GRU(_GRUStep, _Recurrent):
    """Gated Recurrent Unit (Cho et al., 2014), gate order ``z`` (update), ``r``
    (reset), ``h`` (candidate).

    With ``reset_after=True`` (the default, cuDNN-compatible), the reset gate multiplies
    the recurrent product after the matmul and the bias holds separate input and
    recurrent rows; with ``False`` it multiplies the state before the matmul.

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
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input features dropped in training (one mask
            per sequence; one per gate when ``recurrent_dropout > 0``).
        recurrent_dropout: Fraction in [0, 1] of state units dropped in the recurrent
            products in training (one mask per gate and sequence).
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        return_sequences: Whether to return the output of every step.
        return_state: Whether to return the final state as well.
        go_backwards: Whether to process the sequence in reverse.
        stateful: Must be ``False``; kerax layers keep no state between batches.
        unroll: Whether to unroll the loop in Python (fixed, short sequences only).
        reset_after: Where the reset gate applies (see above); default ``True``.
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
        ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
        ``(units, 3 * units)``, and ``bias`` ``(2, 3 * units)`` (input row, recurrent
        row) with ``reset_after=True`` or ``(3 * units,)`` without.
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
        reset_after: bool = True,
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
        self.reset_after = bool(reset_after)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "recurrent_activation": _activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }


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
