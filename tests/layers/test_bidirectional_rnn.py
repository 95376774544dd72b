"""Bidirectional, RNN over cells, the cells and ConvLSTM2D: harness, errors, shapes,
configs. Numerical agreement with Keras lives in
tests/parity/test_bidirectional_rnn_parity.py."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer

B, T, F, U = 2, 4, 3, 2


def _data(shape=(B, T, F), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# ---------------------------------------------------------------- the shared harness
HARNESS = {
    "bidi_lstm_concat": (
        layers.Bidirectional,
        lambda: {"layer": layers.LSTM(U, dropout=0.2)},
        (B, T, F),
        (None, 2 * U),
    ),
    "bidi_gru_none_states": (
        layers.Bidirectional,
        lambda: {
            "layer": layers.GRU(U, return_sequences=True, return_state=True),
            "merge_mode": None,
        },
        (B, T, F),
        ((None, T, U), (None, T, U), (None, U), (None, U)),
    ),
    "bidi_simple_rnn_sum": (
        layers.Bidirectional,
        lambda: {"layer": layers.SimpleRNN(U, return_sequences=True), "merge_mode": "sum"},
        (B, T, F),
        (None, T, U),
    ),
    "rnn_lstm_cell": (
        layers.RNN,
        lambda: {"cell": layers.LSTMCell(U, recurrent_dropout=0.2), "return_state": True},
        (B, T, F),
        ((None, U), (None, U), (None, U)),
    ),
    "rnn_gru_cell": (
        layers.RNN,
        lambda: {"cell": layers.GRUCell(U), "return_sequences": True, "go_backwards": True},
        (B, T, F),
        (None, T, U),
    ),
    "rnn_stacked": (
        layers.RNN,
        lambda: {
            "cell": [layers.SimpleRNNCell(U, dropout=0.3), layers.LSTMCell(3)],
            "return_state": True,
            "unroll": True,
        },
        (B, T, F),
        ((None, 3), [(None, U)], [(None, 3), (None, 3)]),
    ),
    "conv_lstm2d": (
        layers.ConvLSTM2D,
        lambda: {"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True},
        (B, T, 4, 4, 1),
        (None, T, 4, 4, 2),
    ),
    "conv_lstm2d_channels_first_dropout": (
        layers.ConvLSTM2D,
        lambda: {
            "filters": 2,
            "kernel_size": 2,
            "data_format": "channels_first",
            "dropout": 0.2,
            "recurrent_dropout": 0.2,
            "return_state": True,
        },
        (B, T, 1, 4, 5),
        ((None, 2, 3, 4), (None, 2, 3, 4), (None, 2, 3, 4)),
    ),
    "conv_lstm1d": (
        layers.ConvLSTM1D,
        lambda: {"filters": 2, "kernel_size": 2, "return_sequences": True},
        (B, T, 5, 3),
        (None, T, 4, 2),
    ),
    "conv_lstm3d_channels_first": (
        layers.ConvLSTM3D,
        lambda: {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
        (B, 2, 1, 3, 3, 3),
        (None, 2, 2, 2, 2),
    ),
}


@pytest.mark.parametrize("case", list(HARNESS))
def test_harness(case):
    cls, kwargs, shape, expected = HARNESS[case]
    check_layer(cls, kwargs(), shape, expected_output_shape=_tuples(expected))


def _tuples(tree):
    if isinstance(tree, tuple) and all(d is None or isinstance(d, int) for d in tree):
        return tree
    return type(tree)(_tuples(t) for t in tree)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make, arg, shown",
    [
        (lambda: layers.Bidirectional(layers.LSTM(U), merge_mode="max"), "merge_mode", "'max'"),
        (lambda: layers.Bidirectional("lstm"), "layer", "'lstm'"),
        (
            lambda: layers.Bidirectional(layers.LSTM(U), backward_layer=3),
            "backward_layer",
            "3",
        ),
        (
            lambda: layers.Bidirectional(layers.LSTM(U), backward_layer=layers.LSTM(U)),
            "go_backwards",
            "False",
        ),
        (
            lambda: layers.Bidirectional(
                layers.LSTM(U),
                backward_layer=layers.LSTM(U, go_backwards=True, return_sequences=True),
            ),
            "return_sequences",
            "True",
        ),
        (lambda: layers.RNN("cell"), "cell", "'cell'"),
        (lambda: layers.RNN(layers.LSTMCell(U), stateful=True), "stateful", "True"),
        (lambda: layers.LSTMCell(0), "units", "0"),
        (lambda: layers.GRUCell(U, dropout=2.0), "dropout", "2.0"),
        (lambda: layers.ConvLSTM2D(0, 3), "filters", "0"),
        (lambda: layers.ConvLSTM2D(2, 0), "kernel_size", "0"),
        (lambda: layers.ConvLSTM2D(2, 3, padding="causal"), "padding", "'causal'"),
        (lambda: layers.ConvLSTM2D(2, 3, data_format="nhwc"), "data_format", "'nhwc'"),
        (lambda: layers.ConvLSTM2D(2, 3, recurrent_dropout=-1), "recurrent_dropout", "-1"),
    ],
)
def test_invalid_arguments(make, arg, shown):
    with pytest.raises(ValueError) as info:
        make()
    message = str(info.value)
    assert arg in message and shown in message, message


def test_initial_state_count_is_checked():
    rnn = layers.RNN([layers.LSTMCell(U), layers.GRUCell(U)])
    with pytest.raises(ValueError, match="3 initial state"):
        rnn(_data(), initial_state=[np.zeros((B, U), "float32")])


# ---------------------------------------------------------------- shapes and semantics
def test_bidirectional_builds_two_fresh_layers():
    lstm = layers.LSTM(U, name="enc")
    bidi = layers.Bidirectional(lstm)
    assert bidi.forward_layer.name == "forward_enc"
    assert bidi.backward_layer.name == "backward_enc"
    assert bidi.forward_layer is not lstm
    assert not bidi.forward_layer.go_backwards and bidi.backward_layer.go_backwards
    bidi(kerax.Input((T, F)))
    assert not lstm.built
    names = [w.path.split("/")[-1] for w in bidi.weights]
    assert names == ["kernel", "recurrent_kernel", "bias"] * 2
    assert [id(w) for w in bidi.weights] == [
        id(w) for w in bidi.forward_layer.weights + bidi.backward_layer.weights
    ]


def test_bidirectional_weights_argument():
    source = layers.Bidirectional(layers.GRU(U))
    source(kerax.Input((T, F)))
    weights = [w + 1.0 for w in source.get_weights()]
    target = layers.Bidirectional(layers.GRU(U), weights=weights)
    target(kerax.Input((T, F)))
    for got, want in zip(target.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


def test_bidirectional_halves_match_the_two_layers():
    """concat = [forward, reversed backward]; sum / ave / mul combine the same two."""
    x = _data()
    outs = {}
    first = None
    for mode in ["concat", "sum", "ave", "mul", None]:
        layer = layers.Bidirectional(layers.LSTM(U, return_sequences=True), merge_mode=mode)
        layer(kerax.Input((T, F)))
        if first is None:
            first = layer
        else:
            layer.set_weights(first.get_weights())
        outs[mode] = layer(x)
    fwd, bwd = (np.asarray(o) for o in outs[None])
    np.testing.assert_allclose(np.asarray(outs["concat"]), np.concatenate([fwd, bwd], -1))
    np.testing.assert_allclose(np.asarray(outs["sum"]), fwd + bwd, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(outs["ave"]), (fwd + bwd) / 2, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(outs["mul"]), fwd * bwd, rtol=1e-6)
    # The backward half, reversed into input order, is a go_backwards LSTM's output.
    backward = first.backward_layer(x)
    np.testing.assert_allclose(bwd, np.asarray(backward)[:, ::-1], rtol=1e-6)


def test_bidirectional_mask_zeroes_masked_steps():
    inputs = kerax.Input((T, F))
    h = layers.Masking()(inputs)
    out = layers.Bidirectional(layers.SimpleRNN(U, return_sequences=True))(h)
    model = kerax.Model(inputs, out)
    x = _data()
    x[0, 2:] = 0.0
    y = model.predict(x, verbose=0)
    assert np.all(y[0, 2:] == 0.0)
    assert np.all(y[0, :2] != 0.0)


def test_cells_follow_keras_call_api():
    x = _data((B, F))
    h = _data((B, U), seed=1)
    c = _data((B, U), seed=2)
    lstm = layers.LSTMCell(U)
    out, states = lstm(x, [h, c])
    assert isinstance(states, list) and len(states) == 2
    np.testing.assert_allclose(np.asarray(out), np.asarray(states[0]))
    kernel, rkernel, bias = lstm.get_weights()
    z = x @ kernel + h @ rkernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_new = sig(f) * c + sig(i) * np.tanh(g)
    np.testing.assert_allclose(np.asarray(states[1]), c_new, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out), sig(o) * np.tanh(c_new), rtol=1e-5, atol=1e-6)
    assert lstm.state_size == [U, U] and lstm.output_size == U

    gru = layers.GRUCell(U)
    out, state = gru(x, h)  # a bare state in, a bare state out
    assert not isinstance(state, list)
    out, state = gru(x, [h])
    assert isinstance(state, list) and len(state) == 1
    assert layers.SimpleRNNCell(U).state_size == U


def test_rnn_of_cell_equals_the_layer():
    """RNN(LSTMCell) and LSTM give the same numbers for the same weights."""
    x = _data()
    for cell_cls, layer_cls in [
        (layers.LSTMCell, layers.LSTM),
        (layers.GRUCell, layers.GRU),
        (layers.SimpleRNNCell, layers.SimpleRNN),
    ]:
        rnn = layers.RNN(cell_cls(U), return_sequences=True)
        ref = layer_cls(U, return_sequences=True)
        rnn(kerax.Input((T, F)))
        ref(kerax.Input((T, F)))
        ref.set_weights(rnn.get_weights())
        np.testing.assert_allclose(np.asarray(rnn(x)), np.asarray(ref(x)), rtol=1e-6, atol=1e-6)


class _MinimalCell(kerax.layers.Layer):
    """A user-defined cell: runs through the opaque (per-step) path of RNN."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units))

    def call(self, inputs, states):
        h = kerax.ops.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return h, [h]


def test_rnn_over_a_custom_cell_matches_simple_rnn():
    x = _data()
    rnn = layers.RNN(_MinimalCell(U), return_sequences=True, go_backwards=True)
    ref = layers.SimpleRNN(U, use_bias=False, return_sequences=True, go_backwards=True)
    rnn(kerax.Input((T, F)))
    ref(kerax.Input((T, F)))
    ref.set_weights(rnn.get_weights())
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    for kwargs in ({}, {"mask": mask}):
        np.testing.assert_allclose(
            np.asarray(rnn(x, **kwargs)), np.asarray(ref(x, **kwargs)), rtol=1e-6, atol=1e-6
        )


def test_conv_lstm2d_shapes_and_weights():
    layer = layers.ConvLSTM2D(4, (3, 2), strides=(2, 1), return_state=True)
    out = layer(kerax.Input((T, 7, 5, 3)))
    assert [o.shape for o in out] == [(None, 3, 4, 4)] * 3
    assert [w.shape for w in layer.weights] == [(3, 2, 3, 16), (3, 2, 4, 16), (16,)]
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert layers.ConvLSTM2D.loop_friendly is False


# ---------------------------------------------------------------- configs
def test_config_round_trips():
    bidi = layers.Bidirectional(layers.LSTM(U, return_sequences=True), merge_mode="ave")
    config = bidi.get_config()
    assert config["merge_mode"] == "ave"
    assert config["layer"]["class_name"] == "LSTM"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    clone = layers.Bidirectional.from_config(config)
    assert clone.get_config() == config

    rnn = layers.RNN([layers.LSTMCell(U), layers.GRUCell(U, reset_after=False)], unroll=True)
    config = rnn.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    clone = layers.RNN.from_config(config)
    assert clone.get_config() == config
    assert [type(c) for c in clone.cell.cells] == [layers.LSTMCell, layers.GRUCell]
    assert clone.cell.cells[1].reset_after is False

    conv = layers.ConvLSTM2D(2, 3, padding="same", data_format="channels_first", seed=3)
    config = conv.get_config()
    assert layers.ConvLSTM2D.from_config(config).get_config() == config


def test_stacked_state_structure():
    rnn = layers.RNN([layers.LSTMCell(U), layers.SimpleRNNCell(3)], return_state=True)
    out = rnn(_data())
    assert len(out) == 3
    assert [np.shape(s) for s in jax.tree_util.tree_leaves(out[1:])] == [(B, U), (B, U), (B, 3)]
    # Flat or per-cell initial states give the same result.
    states = [np.full((B, U), 0.5, "float32")] * 2 + [np.ones((B, 3), "float32")]
    flat = rnn(_data(), initial_state=states)
    nested = rnn(_data(), initial_state=[states[:2], states[2:]])
    for a, b in zip(jax.tree_util.tree_leaves(flat), jax.tree_util.tree_leaves(nested)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
