"""The weights and step math of the built-in recurrent cells, and the cell API.

:class:`_Kernels` holds what a built-in recurrent layer (``SimpleRNN``, ``GRU``,
``LSTM``) shares with its cell (``SimpleRNNCell``, ``GRUCell``, ``LSTMCell``): the
weights, the input projection, the recurrent product, the dropout masks and the step
hook, so that the layer and the cell give the same numbers. :class:`_Cell` makes one
step of it a layer with Keras 3's cell API (``state_size``, ``output_size``,
``get_initial_state``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._args import check_positive, check_rate, serialize_regularizer
from kerax.layers._base import Layer

Array = jax.Array
States = tuple[Array, ...]


class _Kernels:
    """The weights and the step math shared by a recurrent layer and its cell.

    A subclass sets ``_gates`` (the number of ``units``-wide blocks in the kernels),
    ``_num_states`` (the number of state tensors; the first is the output) and
    implements ``_build_kernels`` and ``_cell``. The layer (:class:`_Recurrent`) and the
    cell (``LSTMCell`` and friends) both run these, so the two give the same numbers.
    """

    _gates: int = 1
    _num_states: int = 1
    _per_gate_dropout: bool = True
    units: int
    use_bias: bool

    def _build_kernels(self, input_dim: int) -> None:
        """Declares ``kernel``, ``recurrent_kernel`` and ``bias`` for ``input_dim``."""
        raise NotImplementedError

    def _declare(self, input_dim: int, bias_shape: tuple[int, ...], bias_init: Any) -> None:
        width = self._gates * self.units
        self.kernel = self.add_weight(
            "kernel",
            (input_dim, width),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel",
            (self.units, width),
            self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                bias_shape,
                bias_init,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    # ------------------------------------------------------------------ hooks
    def _input_bias(self, p: Any) -> Array | None:
        return p["bias"] if self.use_bias else None

    def _project(self, p: Any, x: Array, masks: Array | None) -> Array:
        """``x @ kernel + bias`` for all timesteps, time-major: ``(time, batch, width)``.

        ``masks`` is ``None``, one input dropout mask ``(batch, features)``, or one per
        gate ``(gates, batch, features)``.
        """
        kernel = p["kernel"]
        if masks is None or masks.ndim == 2:
            if masks is not None:
                x = x * masks[:, None, :]
            z = jnp.swapaxes(x @ kernel, 0, 1)  # a plain matmul, then time-major
        else:
            gates, features = self._gates, kernel.shape[0]
            xm = x[:, :, None, :] * jnp.swapaxes(masks, 0, 1)[:, None, :, :]
            z = jnp.einsum("btgf,fgu->tbgu", xm, kernel.reshape(features, gates, self.units))
            z = z.reshape(z.shape[0], z.shape[1], gates * self.units)
        bias = self._input_bias(p)
        return z if bias is None else z + bias

    def _recurrent(self, h: Array, kernel: Array, masks: Array | None) -> Array:
        """``h @ kernel``, with per-gate recurrent dropout masks when given."""
        if masks is None:
            return h @ kernel
        if masks.ndim == 2:
            return (h * masks) @ kernel
        gates = kernel.shape[1] // self.units
        z = jnp.einsum("gbu,ugv->bgv", h[None] * masks, kernel.reshape(self.units, gates, -1))
        return z.reshape(h.shape[0], -1)

    def _cell(self, p: Any, z: Array, states: States, rec_masks: Array | None) -> States:
        """One step: the new states (the first is the output)."""
        raise NotImplementedError

    def _dropout_masks(self, ctx: Any, x: Array) -> tuple[Array | None, Array | None]:
        if not ctx.training:
            return None, None
        per_gate = self._per_gate_dropout and self.recurrent_dropout > 0.0
        count = self._gates if per_gate else None

        def draw(rate: float, shape: tuple[Any, ...]) -> Array | None:
            if not 0.0 < rate < 1.0:
                return None
            full = shape if count is None else (count, *shape)
            keep = jax.random.bernoulli(ctx.rng(), 1.0 - rate, full)
            return keep.astype(x.dtype) / jnp.asarray(1.0 - rate, x.dtype)

        batch, features = x.shape[0], x.shape[2]
        return draw(self.dropout, (batch, features)), draw(
            self.recurrent_dropout, (batch, self.units)
        )

    def _kernel_config(self, **after_regularizers: Any) -> dict[str, Any]:
        """The config of the arguments a layer shares with its cell, in Keras's order;
        ``after_regularizers`` (a layer's ``activity_regularizer``) go after
        ``bias_regularizer``."""
        return {
            "units": self.units,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": _initializers.serialize(self.recurrent_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            **after_regularizers,
            "kernel_constraint": self.kernel_constraint,
            "recurrent_constraint": self.recurrent_constraint,
            "bias_constraint": self.bias_constraint,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class _Cell(_Kernels, Layer):
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
        self.dropout = check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = check_rate(cls, "recurrent_dropout", recurrent_dropout)
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
        return {**super().get_config(), **self._kernel_config()}
