"""ConvLSTM1D, ConvLSTM2D, ConvLSTM3D: LSTMs whose input and recurrent transforms are
convolutions over 1, 2 or 3 spatial axes (the implementation is ``_conv_lstm_base``).
"""

from __future__ import annotations

from kerax.layers._conv_lstm_base import ConvLSTM

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


class ConvLSTM1D(ConvLSTM):
    """A 1-D convolutional LSTM over sequences of 1-D signals.

    Arguments, call arguments and weights as in :class:`ConvLSTM2D`, with one spatial
    axis: ``kernel_size``, ``strides`` and ``dilation_rate`` are an int or 1 int.

    Input shape:
        ``(batch_size, timesteps, steps, channels)`` (channels last) or
        ``(batch_size, timesteps, channels, steps)`` (channels first).

    Output shape:
        ``(batch_size, timesteps, new_steps, filters)`` with ``return_sequences``,
        else ``(batch_size, new_steps, filters)`` (channels last).

    Example:
        >>> x = kerax.Input((10, 16, 3))  # 10 frames of 16 samples, 3 channels
        >>> kerax.layers.ConvLSTM1D(4, 3)(x).shape
        (None, 14, 4)
    """

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """A 2-D convolutional LSTM over sequences of images.

    Per step, with ``*`` a convolution: ``z = x_t * kernel + h * recurrent_kernel +
    bias``; ``i, f, o`` are ``recurrent_activation`` of their slices,
    ``g = activation(z_c)``, ``c = f * c + i * g`` and ``h = o * activation(c)``. The
    recurrent convolution always uses ``"same"`` padding and stride 1, so the states
    keep the spatial shape of the input convolution's output.

    Args:
        filters: Number of output channels (and of state channels); positive.
        kernel_size: Window size: an int or 2 ints.
        strides: Step of the input convolution: an int or 2 ints (default 1).
        padding: ``"valid"`` or ``"same"`` for the input convolution.
        data_format: ``"channels_last"`` (``(batch, time, rows, cols, channels)``, the
            default) or ``"channels_first"`` (``(batch, time, channels, rows, cols)``).
        dilation_rate: Dilation of the input convolution: an int or 2 ints.
        activation: Activation of the candidate and the cell output (default
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
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of ``kernel`` after updates.
        recurrent_constraint: Optional projection of ``recurrent_kernel`` after updates.
        bias_constraint: Optional projection of ``bias`` after updates.
        dropout: Fraction in [0, 1] of input values dropped in training (one mask per
            gate and sequence).
        recurrent_dropout: Fraction in [0, 1] of state values dropped in training
            (one mask per gate and sequence).
        seed: Accepted for Keras compatibility; kerax draws dropout masks from the
            ``rng`` key of the call.
        return_sequences: Whether to return the output of every step.
        return_state: Whether to return the final states ``h`` and ``c`` as well.
        go_backwards: Whether to process the sequence in reverse.
        stateful: Must be ``False``; kerax layers keep no state between batches.
        unroll: Whether to unroll the loop in Python.
        zero_output_for_mask: Whether masked steps output zeros rather than the
            previous output (ignored with ``unroll=True``, as in Keras).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Call arguments:
        sequences: The input sequences.
        initial_state: Optional ``[h, c]``, each of the state shape.
        mask: Optional boolean ``(batch_size, timesteps)`` mask.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, timesteps, rows, cols, channels)`` with ``channels_last``,
        ``(batch_size, timesteps, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        With ``return_sequences``, ``(batch_size, timesteps, new_rows, new_cols,
        filters)`` (channels last; channels first likewise), else the last step,
        ``(batch_size, new_rows, new_cols, filters)``; with ``return_state``, that
        output followed by ``h`` and ``c``, each of the last step's shape.

    Weights:
        ``kernel`` ``(*kernel_size, channels, 4 * filters)``, ``recurrent_kernel``
        ``(*kernel_size, filters, 4 * filters)`` and ``bias`` ``(4 * filters,)``, gates
        in the order ``i``, ``f``, ``c``, ``o``, as in Keras 3.

    Example:
        >>> x = kerax.Input((10, 8, 8, 3))  # 10 frames of 8x8 RGB images
        >>> kerax.layers.ConvLSTM2D(4, 3, padding="same")(x).shape
        (None, 8, 8, 4)
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """A 3-D convolutional LSTM over sequences of volumes.

    Arguments, call arguments and weights as in :class:`ConvLSTM2D`, with three spatial
    axes: ``kernel_size``, ``strides`` and ``dilation_rate`` are an int or 3 ints.

    Input shape:
        ``(batch_size, timesteps, depth, rows, cols, channels)`` (channels last) or
        ``(batch_size, timesteps, channels, depth, rows, cols)`` (channels first).

    Output shape:
        ``(batch_size, timesteps, new_depth, new_rows, new_cols, filters)`` with
        ``return_sequences``, else the last step (channels last).

    Example:
        >>> x = kerax.Input((4, 6, 6, 6, 1))
        >>> kerax.layers.ConvLSTM3D(2, 3)(x).shape
        (None, 4, 4, 4, 2)
    """

    rank = 3
