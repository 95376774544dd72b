"""Recurrent layers: SimpleRNN, GRU and LSTM, with Keras 3's arguments and weights.

All three share one loop (:class:`_Recurrent`). The input projection
``inputs @ kernel + bias`` does not depend on the state, so it is computed for every
timestep at once, in one matmul before the loop; the loop body (a ``jax.lax.scan``, or a
Python loop with ``unroll=True``) only multiplies the previous state by the recurrent
kernel. The backward pass inherits the split: the gradient of ``kernel`` is one large
matmul after the loop instead of one small one per step.

Masking follows Keras 3's JAX backend exactly: a masked step keeps the previous state;
its output is the previous output (or zeros with ``zero_output_for_mask=True``). With
``unroll=True`` Keras takes the "previous output" of the first step to be zeros rather
than the initial state, and ignores ``zero_output_for_mask``; kerax does the same, so
that both modes give Keras's numbers.

Dropout, as in Keras, samples one mask per sequence in training and reuses it at every
step. With ``recurrent_dropout > 0`` the gated layers draw a separate mask per gate (for
the inputs and for the state), as Keras's per-gate implementation does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._base import InputSpec, Layer
from kerax.layers.core import check_positive

Array = jax.Array
States = tuple[Array, ...]


def _check_rate(layer: str, arg: str, value: Any) -> float:
    """Returns ``value`` as a float in [0, 1], or raises ValueError naming ``arg``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected a float in "
            f"[0, 1], received {arg}={value!r}."
        )
    return float(value)


def _serialize_regularizer(reg: Any) -> Any:
    if reg is None:
        return None
    if hasattr(reg, "get_config"):
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    return getattr(reg, "__name__", reg)


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


class _Recurrent(_Kernels, Layer):
    """The shared loop of the recurrent layers.

    A subclass declares its weights in ``build`` and implements the hooks:
    ``_project`` (the input projection of all timesteps, time-major) and ``_cell`` (one
    step from the projected input and the previous states). ``_gates`` is the number of
    ``units``-wide blocks in the kernels and ``_num_states`` the number of state tensors
    (the first state is always the output).
    """

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
        activity_regularizer: Any,
        kernel_constraint: Any,
        recurrent_constraint: Any,
        bias_constraint: Any,
        dropout: float,
        recurrent_dropout: float,
        seed: int | None,
        return_sequences: bool,
        return_state: bool,
        go_backwards: bool,
        stateful: bool,
        unroll: bool,
        zero_output_for_mask: bool,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("implementation", None)  # Keras's internal choice; one path here
        use_cudnn = kwargs.pop("use_cudnn", "auto")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        check_positive(cls, "units", units)
        if stateful:
            raise ValueError(
                f"{cls} received stateful=True, which kerax does not support: layers keep "
                "no state between batches. Pass the carried state explicitly with "
                "`initial_state=` (and `return_state=True`) instead."
            )
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                f"Received an invalid value for `use_cudnn` in {cls}: expected one of "
                f"'auto', True, False, received use_cudnn={use_cudnn!r}."
            )
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    # ------------------------------------------------------------------ weights
    def _input_dim(self, input_shape: Sequence[int | None]) -> int:
        if len(input_shape) != 3:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects inputs of shape "
                f"(batch, timesteps, features); received input shape {tuple(input_shape)}."
            )
        dim = input_shape[-1]
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs a known last input "
                f"dimension; received input shape {tuple(input_shape)}."
            )
        self.input_spec = InputSpec(ndim=3, axes={-1: dim})
        return int(dim)

    def build(self, input_shape: Sequence[int | None]) -> None:
        self._build_kernels(self._input_dim(input_shape))

    # ------------------------------------------------------------------ call
    def _initial_states(self, x: Array, initial_state: Any) -> States:
        dtype = x.dtype
        if initial_state is None:
            zeros = jnp.zeros((x.shape[0], self.units), dtype)
            return tuple(zeros for _ in range(self._num_states))
        if not isinstance(initial_state, list | tuple):
            initial_state = [initial_state]
        if len(initial_state) != self._num_states:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects {self._num_states} "
                f"initial state tensor(s), received {len(initial_state)}."
            )
        return tuple(jnp.asarray(s).astype(dtype) for s in initial_state)

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
                f"Layer '{self.name}' ({type(self).__name__}) cannot unroll a sequence of "
                "unknown length: give the time dimension in `Input(shape=...)` or pass "
                "unroll=False."
            )
        p = ctx.params
        in_masks, rec_masks = self._dropout_masks(ctx, sequences)
        zx = self._project(p, sequences, in_masks)
        states = self._initial_states(sequences, initial_state)
        steps_mask = None
        if mask is not None:
            steps_mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)[:, :, None]

        def cell(z: Array, carry: States) -> States:
            return self._cell(p, z, carry, rec_masks)

        if self.unroll:
            outputs, last, states = self._run_unrolled(cell, zx, states, steps_mask)
        else:
            outputs, last, states = self._run_scan(cell, zx, states, steps_mask)
        output = jnp.swapaxes(outputs, 0, 1) if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    def _run_scan(
        self,
        cell: Callable[[Array, States], States],
        zx: Array,
        states: States,
        steps_mask: Array | None,
    ) -> tuple[Array | None, Array, States]:
        keep_outputs = self.return_sequences
        zero_out = self.zero_output_for_mask

        def body(carry: States, xs: Any) -> tuple[States, Array | None]:
            if steps_mask is None:
                new = cell(xs, carry)
                return new, (new[0] if keep_outputs else None)
            z, m = xs
            new = cell(z, carry)
            out = jnp.where(m, new[0], jnp.zeros_like(new[0]) if zero_out else carry[0])
            new = tuple(jnp.where(m, n, o) for n, o in zip(new, carry, strict=True))
            return new, (out if keep_outputs else None)

        xs = zx if steps_mask is None else (zx, steps_mask)
        final, ys = jax.lax.scan(body, states, xs, reverse=self.go_backwards)
        if keep_outputs and self.go_backwards:
            ys = jnp.flip(ys, axis=0)  # Keras returns the sequence in processing order
        last = final[0]
        if steps_mask is not None and zero_out:
            last_step = 0 if self.go_backwards else -1
            last = jnp.where(steps_mask[last_step], last, jnp.zeros_like(last))
        return ys, last, final

    def _run_unrolled(
        self,
        cell: Callable[[Array, States], States],
        zx: Array,
        states: States,
        steps_mask: Array | None,
    ) -> tuple[Array | None, Array, States]:
        order = range(zx.shape[0] - 1, -1, -1) if self.go_backwards else range(zx.shape[0])
        outputs = []
        previous = jnp.zeros_like(states[0])
        for t in order:
            new = cell(zx[t], states)
            if steps_mask is None:
                out = new[0]
            else:
                m = steps_mask[t]
                out = jnp.where(m, new[0], previous)
                new = tuple(jnp.where(m, n, o) for n, o in zip(new, states, strict=True))
            states, previous = new, out
            if self.return_sequences:
                outputs.append(out)
        stacked = jnp.stack(outputs) if self.return_sequences else None
        return stacked, previous, states

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            return [out_mask] + [None] * self._num_states
        return out_mask

    def _h5_groups(self) -> list[tuple[str, list[Any]]]:
        """Keras keeps a recurrent layer's variables on its cell: ``<path>/cell/vars``."""
        return [("vars", []), ("cell/vars", self._own_weights())]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "units": self.units,
            "activation": _activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": _initializers.serialize(self.recurrent_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": self.kernel_constraint,
            "recurrent_constraint": self.recurrent_constraint,
            "bias_constraint": self.bias_constraint,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


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
