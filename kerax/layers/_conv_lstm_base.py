"""The convolutional LSTM shared by ConvLSTM1D, ConvLSTM2D and ConvLSTM3D.

The input convolution does not depend on the state, so it runs once over all
timesteps (batch and time merged into one axis) before the loop; the loop only
convolves the state with the recurrent kernel. Weights follow Keras 3: ``kernel``
``(*kernel_size, channels, 4 * filters)``, ``recurrent_kernel``
``(*kernel_size, filters, 4 * filters)`` and ``bias`` ``(4 * filters,)``, gates in the
order ``i``, ``f``, ``c``, ``o``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import activations as _activations
from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._args import (
    check_positive,
    check_rate,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    serialize_regularizer,
)
from kerax.layers._base import InputSpec, Layer
from kerax.layers._conv_utils import check_strides_dilation, window_output_shape
from kerax.layers.lstm import _UnitForgetBias
from kerax.layers.rnn_loop import LoopOptions, run_loop, time_major_mask

Array = jax.Array


class ConvLSTM(LoopOptions, Layer):
    """A convolutional LSTM over sequences of ``rank``-D inputs; the public classes
    ``ConvLSTM1D`` / ``2D`` / ``3D`` set ``rank`` and document the arguments."""

    loop_friendly = False  # it convolves; XLA:CPU runs that slowly in a loop body
    _num_states = 2
    #: The number of spatial axes of one step.
    rank: int = 2

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        strides: int | Sequence[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | Sequence[int] = 1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        check_positive(cls, "filters", filters)
        self._init_loop_options(
            cls,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
        )
        rank = self.rank
        self.filters = filters
        self.kernel_size = normalize_tuple(cls, "kernel_size", kernel_size, rank)
        self.strides = normalize_tuple(cls, "strides", strides, rank)
        self.dilation_rate = normalize_tuple(cls, "dilation_rate", dilation_rate, rank)
        check_strides_dilation(cls, self.strides, self.dilation_rate)
        self.padding = normalize_padding(cls, padding, ("valid", "same"))
        self.data_format = normalize_data_format(cls, data_format)
        self.activation = _activations.get(activation)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.recurrent_initializer = _initializers.get(recurrent_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = _regularizers.get(recurrent_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = check_rate(cls, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.input_spec = InputSpec(ndim=rank + 3)

    # ------------------------------------------------------------------ weights
    @property
    def _channel_axis(self) -> int:
        """The channel axis of the input (batch, time, then one step)."""
        return -1 if self.data_format == "channels_last" else 2

    def build(self, input_shape: Sequence[int | None]) -> None:
        shape = tuple(input_shape)
        kind = type(self).__name__
        if len(shape) != self.rank + 3:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"ndim={self.rank + 3}, found ndim={len(shape)}. Full shape received: {shape}"
            )
        step = shape[2:]
        channels = step[-1] if self.data_format == "channels_last" else step[0]
        spatial = step[:-1] if self.data_format == "channels_last" else step[1:]
        if channels is None or None in spatial:
            raise ValueError(
                f"Layer '{self.name}' ({kind}) needs known channel and spatial "
                f"dimensions; received input shape {shape}."
            )
        out = self._output_spatial(spatial)
        if any(d <= 0 for d in out):
            raise ValueError(
                f"Layer '{self.name}' ({kind}): the input is too small for "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"dilation_rate={self.dilation_rate} and padding='{self.padding}'; "
                f"received input shape {shape}."
            )
        self.input_spec = InputSpec(ndim=self.rank + 3, axes={self._channel_axis: channels})
        width = 4 * self.filters
        self.kernel = self.add_weight(
            "kernel",
            (*self.kernel_size, channels, width),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel",
            (*self.kernel_size, self.filters, width),
            self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = _UnitForgetBias(self.bias_initializer, self.filters)
            self.bias = self.add_weight(
                "bias",
                (width,),
                init,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _output_spatial(self, spatial: Sequence[int]) -> tuple[int | None, ...]:
        return window_output_shape(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate
        )

    def _h5_groups(self) -> list[tuple[str, list[Any]]]:
        """Keras keeps the variables on the layer's cell: ``<path>/cell/vars``."""
        return [("vars", []), ("cell/vars", self._own_weights())]

    # ------------------------------------------------------------------ convolutions
    def _conv(
        self, x: Array, kernel: Array, strides: tuple[int, ...], padding: str, dilation: Any
    ) -> Array:
        spatial = "DHW"[3 - self.rank :]
        image = f"N{spatial}C" if self.data_format == "channels_last" else f"NC{spatial}"
        dims = (image, f"{spatial}IO", image)
        return jax.lax.conv_general_dilated(
            x,
            kernel,
            window_strides=strides,
            padding=padding.upper(),
            rhs_dilation=dilation,
            dimension_numbers=dims,
        )

    def _gated_conv(
        self,
        x: Array,
        kernel: Array,
        masks: Array | None,
        strides: tuple[int, ...],
        padding: str,
        dilation: Any,
    ) -> Array:
        """``x * kernel``; with per-gate dropout masks, each gate sees its own mask."""
        if masks is None:
            return self._conv(x, kernel, strides, padding, dilation)
        f = self.filters
        axis = -1 if self.data_format == "channels_last" else 1
        parts = [
            self._conv(x * masks[g], kernel[..., g * f : (g + 1) * f], strides, padding, dilation)
            for g in range(4)
        ]
        return jnp.concatenate(parts, axis=axis)

    def _draw_masks(self, ctx: Any, rate: float, shape: tuple[int, ...], dtype: Any) -> Any:
        if not (ctx.training and 0.0 < rate < 1.0):
            return None
        keep = jax.random.bernoulli(ctx.rng(), 1.0 - rate, (4, *shape))
        return keep.astype(dtype) / jnp.asarray(1.0 - rate, dtype)

    # ------------------------------------------------------------------ call
    def apply(
        self,
        ctx: Any,
        sequences: Array,
        initial_state: Any = None,
        mask: Array | None = None,
    ) -> Any:
        if sequences.ndim != self.rank + 3:
            raise ValueError(
                f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                f"ndim={self.rank + 3}, found ndim={sequences.ndim}. Full shape received: "
                f"{sequences.shape}"
            )
        p = ctx.params
        batch, steps = sequences.shape[0], sequences.shape[1]
        self._check_unrollable(type(self).__name__, steps)
        x = jnp.flip(sequences, axis=1) if self.go_backwards else sequences
        dtype = x.dtype
        step_shape = tuple(x.shape[2:])
        in_masks = self._draw_masks(ctx, self.dropout, (batch, *step_shape), dtype)

        # The input convolution of every timestep at once: batch and time merged.
        merged = x.reshape((-1, *step_shape))
        if in_masks is not None:
            tiled = jnp.repeat(in_masks, steps, axis=1)  # (4, batch * time, ...)
            in_masks = tiled.reshape((4, -1, *step_shape))
        zx = self._gated_conv(
            merged, p["kernel"], in_masks, self.strides, self.padding, self.dilation_rate
        )
        if self.use_bias:
            bias = p["bias"]
            if self.data_format == "channels_first":
                bias = bias.reshape((-1,) + (1,) * self.rank)
            zx = zx + bias
        zx = jnp.swapaxes(zx.reshape((batch, steps, *zx.shape[1:])), 0, 1)
        out_shape = tuple(zx.shape[2:])  # of the 4 gates together
        if self.data_format == "channels_last":
            state_shape = (*out_shape[:-1], self.filters)
        else:
            state_shape = (self.filters, *out_shape[1:])

        if initial_state is None:
            zeros = jnp.zeros((batch, *state_shape), dtype)
            states = [zeros, zeros]
        else:
            if not isinstance(initial_state, list | tuple):
                initial_state = [initial_state]
            if len(initial_state) != 2:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) expects 2 initial state tensors "
                    f"(h and c), received {len(initial_state)}."
                )
            states = [jnp.asarray(s).astype(dtype) for s in initial_state]
        rec_masks = self._draw_masks(ctx, self.recurrent_dropout, (batch, *state_shape), dtype)
        rkernel = p["recurrent_kernel"]
        f = self.filters
        axis = -1 if self.data_format == "channels_last" else 1
        act, ract = self.activation, self.recurrent_activation

        def gate(z: Array, g: int) -> Array:
            return jax.lax.slice_in_dim(z, g * f, (g + 1) * f, axis=axis % z.ndim)

        ones = (1,) * self.rank

        def step(z: Array, carry: Any) -> tuple[Array, Any]:
            h, c = carry
            z = z + self._gated_conv(h, rkernel, rec_masks, ones, "same", ones)
            i, fg, g, o = ract(gate(z, 0)), ract(gate(z, 1)), act(gate(z, 2)), ract(gate(z, 3))
            c = fg * c + i * g
            h = o * act(c)
            return h, [h, c]

        steps_mask = time_major_mask(mask, self.go_backwards)
        last, outputs, final = run_loop(
            step,
            zx,
            states,
            steps_mask,
            unroll=self.unroll,
            zero_output_for_mask=self.zero_output_for_mask,
            keep_all=self.return_sequences,
            previous_output=lambda carry: carry[0],
        )
        output = jnp.swapaxes(outputs, 0, 1) if self.return_sequences else last
        if self.return_state:
            return (output, *final)
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            return [out_mask, None, None]
        return out_mask

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            **self._loop_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": _activations.serialize(self.activation),
            "recurrent_activation": _activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": _initializers.serialize(self.recurrent_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": self.kernel_constraint,
            "recurrent_constraint": self.recurrent_constraint,
            "bias_constraint": self.bias_constraint,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
