"""The loop of the built-in recurrent layers SimpleRNN, GRU and LSTM.

All three share one loop (:class:`_Recurrent`); their weights and step math are in
``rnn_cell_base.py`` and the layers themselves in ``simple_rnn.py``, ``gru.py`` and
``lstm.py``. The input projection
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
from kerax.layers._args import check_positive, check_rate, serialize_regularizer
from kerax.layers._base import InputSpec, Layer
from kerax.layers.rnn_cell_base import _Kernels
from kerax.layers.rnn_loop import LoopOptions

Array = jax.Array
States = tuple[Array, ...]


class _Recurrent(_Kernels, LoopOptions, Layer):
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
        self._init_loop_options(
            cls,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
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
        self.dropout = check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = check_rate(cls, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
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
    def get_initial_state(self, batch_size: int | None = None) -> list[Array]:
        """The states the layer starts from without ``initial_state=``: zeros (Keras's
        hook: a subclass may override it, e.g. with learned states)."""
        zeros = jnp.zeros((batch_size, self.units), self.compute_dtype)
        return [zeros for _ in range(self._num_states)]

    def _initial_states(self, x: Array, initial_state: Any) -> States:
        dtype = x.dtype
        if initial_state is None:
            initial_state = self.get_initial_state(x.shape[0])
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
        self._check_unrollable(type(self).__name__, sequences.shape[1])
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
            **self._loop_config(),
            **self._kernel_config(
                activity_regularizer=serialize_regularizer(self.activity_regularizer)
            ),
        }
