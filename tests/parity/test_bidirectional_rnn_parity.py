"""Bidirectional, RNN over cells and ConvLSTM1D/2D/3D against Keras 3 (JAX backend).

Each test builds one model in both libraries from the same builder, copies Keras's
weights into the kerax model with ``set_weights`` and compares ``predict``; several
configurations run as branches of one model so that each test compiles once.
"""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import kerax

B, T, F, U = 3, 5, 4, 3
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _sequences(seed=0):
    x = np.random.default_rng(seed).normal(size=(B, T, F)).astype("float32")
    x[0, 3:] = 0.0  # trailing padding
    x[1, :2] = 0.0  # leading padding
    x[2, 2] = 0.0  # a hole in the middle
    return x


def _leaves(out):
    return [np.asarray(o) for o in jax.tree_util.tree_leaves(out)]


def _compare(build, data):
    reference = build(keras)
    model = build(kerax)
    weights = reference.get_weights()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
    model.set_weights(weights)
    expected = _leaves(reference.predict(data, verbose=0))
    got = _leaves(model.predict(data, verbose=0))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, **TOL)


def _flat(out):
    return list(out) if isinstance(out, list | tuple) else [out]


MERGE_MODES = ["concat", "sum", "mul", "ave", None]


@pytest.mark.parametrize("masked", [False, True], ids=["plain", "masked"])
def test_bidirectional_lstm_every_merge_mode(masked):
    """Every merge_mode, with and without return_sequences / return_state."""

    def build(lib):
        inputs = lib.Input((T, F))
        h = lib.layers.Masking()(inputs) if masked else inputs
        outputs = []
        for mode in MERGE_MODES:
            for options in ({}, {"return_sequences": True, "return_state": True}):
                layer = lib.layers.Bidirectional(lib.layers.LSTM(U, **options), merge_mode=mode)
                outputs.extend(_flat(layer(h)))
        return lib.Model(inputs, outputs)

    _compare(build, _sequences())


@pytest.mark.parametrize("kind", ["GRU", "SimpleRNN"])
def test_bidirectional_gru_and_simple_rnn(kind):
    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        cls = getattr(lib.layers, kind)
        a = lib.layers.Bidirectional(cls(U, return_sequences=True))(masked)
        b = lib.layers.Bidirectional(cls(U, return_state=True), merge_mode="sum")(inputs)
        c = lib.layers.Bidirectional(cls(U, unroll=True, return_sequences=True), merge_mode="ave")(
            masked
        )
        return lib.Model(inputs, [a, *b, c])

    _compare(build, _sequences())


def test_bidirectional_initial_state_and_custom_backward_layer():
    """initial_state: the first half goes forward, the second half backward."""

    def build(lib):
        inputs = lib.Input((T, F))
        states = [lib.Input((U,)) for _ in range(4)]
        layer = lib.layers.Bidirectional(
            lib.layers.LSTM(U, return_sequences=True, return_state=True)
        )
        out = layer(inputs, initial_state=states)
        custom = lib.layers.Bidirectional(
            lib.layers.GRU(U, return_sequences=True),
            backward_layer=lib.layers.GRU(
                2, activation="relu", return_sequences=True, go_backwards=True
            ),
        )
        return lib.Model([inputs, *states], [*out, custom(inputs)])

    rng = np.random.default_rng(5)
    states = [rng.normal(size=(B, U)).astype("float32") for _ in range(4)]
    _compare(build, [_sequences(), *states])


def test_stacked_bidirectional_with_dense_head():
    def build(lib):
        inputs = lib.Input((T, F))
        h = lib.layers.Masking()(inputs)
        h = lib.layers.Bidirectional(lib.layers.LSTM(U, return_sequences=True))(h)
        h = lib.layers.Bidirectional(lib.layers.GRU(U))(h)
        return lib.Model(inputs, lib.layers.Dense(2)(h))

    _compare(build, _sequences())


CELL_OPTIONS = [
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_state": True},
    {"unroll": True, "return_sequences": True},
    {"return_sequences": True, "zero_output_for_mask": True, "go_backwards": True},
]


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "GRUCell", "LSTMCell"])
def test_rnn_over_each_cell(cell):
    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        outputs = []
        for source in (inputs, masked):
            for options in CELL_OPTIONS:
                layer = lib.layers.RNN(getattr(lib.layers, cell)(U), **options)
                outputs.extend(_flat(layer(source)))
        return lib.Model(inputs, outputs)

    _compare(build, _sequences())


def test_rnn_over_a_list_of_cells():
    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        outputs = []
        for source, options in [
            (inputs, {"return_sequences": True, "return_state": True}),
            (masked, {"return_sequences": True, "return_state": True, "go_backwards": True}),
            (masked, {"unroll": True}),
        ]:
            cells = [
                lib.layers.LSTMCell(U),
                lib.layers.GRUCell(2, reset_after=False),
                lib.layers.SimpleRNNCell(U),
            ]
            outputs.extend(jax.tree_util.tree_leaves(lib.layers.RNN(cells, **options)(source)))
        return lib.Model(inputs, outputs)

    _compare(build, _sequences())


def test_bidirectional_over_rnn_of_cell():
    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        rnn = lib.layers.RNN(lib.layers.GRUCell(U), return_sequences=True)
        return lib.Model(inputs, lib.layers.Bidirectional(rnn, merge_mode="mul")(masked))

    _compare(build, _sequences())


def test_conv_lstm2d():
    def build(lib):
        inputs = lib.Input((T, 5, 6, 2))
        a = lib.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inputs)
        b = lib.layers.ConvLSTM2D(
            2, (2, 3), strides=2, return_sequences=True, return_state=True, go_backwards=True
        )(inputs)
        c = lib.layers.ConvLSTM2D(2, 2, dilation_rate=2, activation="relu")(inputs)
        return lib.Model(inputs, [a, *b, c])

    x = np.random.default_rng(1).normal(size=(2, T, 5, 6, 2)).astype("float32")
    _compare(build, x)


@pytest.mark.parametrize("rank", [1, 3])
def test_conv_lstm_1d_3d(rank):
    spatial = (5, 4, 3) if rank == 3 else (6,)
    name = f"ConvLSTM{rank}D"

    def build(lib):
        cls = getattr(lib.layers, name)
        inputs = lib.Input((T, *spatial, 2))
        a = cls(3, 2, padding="same", return_sequences=True)(inputs)
        b = cls(2, 2, strides=2, return_state=True, go_backwards=True)(inputs)
        c = cls(2, 2, dilation_rate=2, activation="relu", use_bias=False)(inputs)
        return lib.Model(inputs, [a, *b, c])

    x = np.random.default_rng(1).normal(size=(2, T, *spatial, 2)).astype("float32")
    _compare(build, x)


def test_sgd_step_bidirectional_lstm():
    """Gradients agree: the weights after one SGD step are Keras's."""

    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        h = lib.layers.Bidirectional(lib.layers.LSTM(U, return_sequences=True))(masked)
        h = lib.layers.Bidirectional(lib.layers.LSTM(U), merge_mode="sum")(h)
        model = lib.Model(inputs, lib.layers.Dense(2)(h))
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.5), loss="mse")
        return model

    reference = build(keras)
    model = build(kerax)
    initial = reference.get_weights()
    model.set_weights(initial)
    x = _sequences()
    y = np.random.default_rng(3).normal(size=(B, 2)).astype("float32")
    expected_loss = reference.train_on_batch(x, y)
    loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(np.asarray(loss), np.asarray(expected_loss), **TOL)
    final = reference.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(initial, final))
    for got, expected in zip(model.get_weights(), final):
        np.testing.assert_allclose(got, expected, **TOL)


def _h5_model(lib):
    inputs = lib.Input((T, F))
    h = lib.layers.Bidirectional(lib.layers.LSTM(U, return_sequences=True))(inputs)
    h = lib.layers.RNN([lib.layers.GRUCell(2), lib.layers.LSTMCell(2)])(h)
    return lib.Model(inputs, lib.layers.Dense(2)(h))


def test_weights_h5_round_trip_with_keras(tmp_path):
    x = _sequences()
    theirs = _h5_model(keras)
    theirs.set_weights([w + 0.1 for w in theirs.get_weights()])
    keras_file = str(tmp_path / "k.weights.h5")
    theirs.save_weights(keras_file)
    ours = _h5_model(kerax)
    ours.load_weights(keras_file)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), **TOL)

    ours.set_weights([w * 0.9 for w in ours.get_weights()])
    kerax_file = str(tmp_path / "x.weights.h5")
    ours.save_weights(kerax_file)
    again = _h5_model(keras)
    again.load_weights(kerax_file)
    np.testing.assert_allclose(again.predict(x, verbose=0), ours.predict(x, verbose=0), **TOL)
