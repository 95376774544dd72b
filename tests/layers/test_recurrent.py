"""SimpleRNN, GRU and LSTM: construction, shapes, weights, config, masking, dropout.

Numerical agreement with Keras lives in tests/parity/test_recurrent_parity.py; here the
reference for the forward pass is a plain NumPy LSTM.
"""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer

B, T, F, U = 2, 5, 4, 3


def _data(shape=(B, T, F), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _numpy_lstm(x, kernel, rkernel, bias, h, c):
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ rkernel + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs, axis=1), h, c


# ---------------------------------------------------------------- the shared harness
@pytest.mark.parametrize(
    "cls, kwargs, expected",
    [
        (
            layers.LSTM,
            {
                "units": U,
                "return_state": True,
                "go_backwards": True,
                "dropout": 0.3,
                "recurrent_dropout": 0.2,
            },
            ((None, U), (None, U), (None, U)),
        ),
        (
            layers.GRU,
            {"units": U, "reset_after": False, "dropout": 0.2, "return_sequences": True},
            (None, T, U),
        ),
        (layers.SimpleRNN, {"units": U}, (None, U)),
    ],
)
def test_harness(cls, kwargs, expected):
    check_layer(cls, kwargs, (B, T, F), expected_output_shape=expected)


# ---------------------------------------------------------------- construction
@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
@pytest.mark.parametrize(
    "kwargs, arg, shown",
    [
        ({"units": 0}, "units", "units=0"),
        ({"units": 2.5}, "units", "units=2.5"),
        ({"units": 3, "dropout": 1.5}, "dropout", "dropout=1.5"),
        ({"units": 3, "recurrent_dropout": -0.1}, "recurrent_dropout", "recurrent_dropout=-0.1"),
        ({"units": 3, "use_cudnn": "yes"}, "use_cudnn", "use_cudnn='yes'"),
    ],
)
def test_invalid_arguments(cls, kwargs, arg, shown):
    with pytest.raises(ValueError, match=f"`{arg}`") as err:
        cls(**kwargs)
    assert shown in str(err.value)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_stateful_is_rejected(cls):
    with pytest.raises(ValueError, match="stateful=True") as err:
        cls(3, stateful=True)
    assert "initial_state" in str(err.value)


def test_keras_defaults():
    lstm = layers.LSTM(4)
    config = lstm.get_config()
    assert config["activation"] == "tanh"
    assert config["recurrent_activation"] == "sigmoid"
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["unit_forget_bias"] is True
    for key in ("return_sequences", "return_state", "go_backwards", "stateful", "unroll"):
        assert config[key] is False
    assert config["dropout"] == config["recurrent_dropout"] == 0.0
    assert layers.GRU(4).get_config()["reset_after"] is True


# ---------------------------------------------------------------- weights
def test_lstm_weights_layout_and_forget_bias():
    lstm = layers.LSTM(U)
    lstm(kerax.Input((T, F)))
    names = [w.name for w in lstm.weights]
    shapes = [w.shape for w in lstm.weights]
    assert names == ["kernel", "recurrent_kernel", "bias"]
    assert shapes == [(F, 4 * U), (U, 4 * U), (4 * U,)]
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias[U : 2 * U], np.ones(U))
    np.testing.assert_array_equal(np.delete(bias, np.s_[U : 2 * U]), np.zeros(3 * U))
    rk = lstm.get_weights()[1]
    # orthogonal: the columns of each (U, U) block are not, but rows of (U, 4U) are
    np.testing.assert_allclose(rk @ rk.T, np.eye(U), atol=1e-5)


def test_lstm_without_forget_bias_uses_bias_initializer():
    lstm = layers.LSTM(U, unit_forget_bias=False, bias_initializer="ones", use_bias=True)
    lstm(kerax.Input((T, F)))
    np.testing.assert_array_equal(lstm.get_weights()[2], np.ones(4 * U))


@pytest.mark.parametrize(
    "cls, kwargs, shapes",
    [
        (layers.GRU, {}, [(F, 3 * U), (U, 3 * U), (2, 3 * U)]),
        (layers.GRU, {"reset_after": False}, [(F, 3 * U), (U, 3 * U), (3 * U,)]),
        (layers.SimpleRNN, {}, [(F, U), (U, U), (U,)]),
        (layers.LSTM, {"use_bias": False}, [(F, 4 * U), (U, 4 * U)]),
    ],
)
def test_weight_shapes(cls, kwargs, shapes):
    layer = cls(U, **kwargs)
    layer(kerax.Input((T, F)))
    assert [w.shape for w in layer.weights] == shapes


def test_regularizers_are_applied_to_their_weights():
    inputs = kerax.Input((T, F))
    layer = layers.LSTM(U, kernel_regularizer="l2", recurrent_regularizer="l1")
    model = kerax.Model(inputs, layer(inputs))
    kernel, rkernel, _ = model.get_weights()
    penalties = model.lowered.layout.regularization(model.get_variables()["params"])
    expected = 0.01 * np.sum(kernel**2) + 0.01 * np.sum(np.abs(rkernel))
    np.testing.assert_allclose(float(sum(penalties)), expected, rtol=1e-5)


# ---------------------------------------------------------------- forward
def test_lstm_matches_numpy_reference():
    x = _data()
    inputs = kerax.Input((T, F))
    h0, c0 = kerax.Input((U,)), kerax.Input((U,))
    layer = layers.LSTM(U, return_sequences=True, return_state=True)
    model = kerax.Model([inputs, h0, c0], layer(inputs, initial_state=[h0, c0]))
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in layer.weights]
    model.set_weights(weights)
    h_init, c_init = _data((B, U), 2), _data((B, U), 3)
    seq, h, c = model.predict([x, h_init, c_init], verbose=0)
    ref_seq, ref_h, ref_c = _numpy_lstm(x, *weights, h_init, c_init)
    np.testing.assert_allclose(seq, ref_seq, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_unroll_equals_scan(cls):
    x = _data()
    mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
    for backwards in (False, True):
        scan = cls(U, return_sequences=True, return_state=True, go_backwards=backwards)
        unrolled = cls.from_config({**scan.get_config(), "unroll": True, "name": "unrolled"})
        a = scan(x, mask=mask)
        unrolled(x)
        unrolled.set_weights(scan.get_weights())
        b = unrolled(x, mask=mask)
        for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
            np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-5, atol=1e-6)


def test_go_backwards_reverses_processing():
    x = _data()
    fwd = layers.LSTM(U, return_sequences=True)
    bwd = layers.LSTM(U, return_sequences=True, go_backwards=True)
    fwd(x)
    bwd(x)
    bwd.set_weights(fwd.get_weights())
    # processing x backwards gives, in processing order, what processing flip(x) gives
    np.testing.assert_allclose(
        np.asarray(bwd(x)), np.asarray(fwd(x[:, ::-1])), rtol=1e-6, atol=1e-6
    )


def test_masked_steps_carry_the_state():
    x = _data()
    mask = np.array([[1, 1, 0, 0, 1], [1, 0, 1, 1, 0]], bool)
    layer = layers.LSTM(U, return_sequences=True, return_state=True)
    seq, h, c = (np.asarray(a) for a in layer(x, mask=mask))
    # a masked step repeats the previous output
    np.testing.assert_array_equal(seq[0, 2], seq[0, 1])
    np.testing.assert_array_equal(seq[0, 3], seq[0, 1])
    np.testing.assert_array_equal(seq[1, 1], seq[1, 0])
    # a trailing masked step leaves the final state at the last valid step's
    np.testing.assert_array_equal(h[1], seq[1, 3])
    # the result equals running on the valid steps only
    for b in range(B):
        valid = x[b : b + 1, mask[b]]
        out = layers.LSTM.from_config({**layer.get_config(), "name": f"ref{b}"})
        out(valid)
        out.set_weights(layer.get_weights())
        _, hb, cb = out(valid)
        np.testing.assert_allclose(np.asarray(hb)[0], h[b], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(cb)[0], c[b], rtol=1e-5, atol=1e-6)


def test_zero_output_for_mask():
    x = _data()
    mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
    layer = layers.GRU(U, return_sequences=True, zero_output_for_mask=True)
    seq = np.asarray(layer(x, mask=mask))
    np.testing.assert_array_equal(seq[0, 2], 0.0)
    np.testing.assert_array_equal(seq[0, 4], 0.0)
    assert np.all(seq[0, 3] != 0.0)


def test_compute_mask():
    mask = np.ones((B, T), bool)
    assert layers.LSTM(U).compute_mask(None, mask) is None
    assert layers.LSTM(U, return_sequences=True).compute_mask(None, mask) is mask
    out = layers.LSTM(U, return_sequences=True, return_state=True).compute_mask(None, mask)
    assert out[0] is mask and out[1:] == [None, None]


def test_symbolic_errors():
    with pytest.raises(ValueError, match="ndim=3"):
        layers.LSTM(U)(kerax.Input((F,)))
    with pytest.raises(ValueError, match="unroll"):
        layers.LSTM(U, unroll=True)(kerax.Input((None, F)))
    with pytest.raises(ValueError, match="2 initial state"):
        layers.LSTM(U)(kerax.Input((T, F)), initial_state=[kerax.Input((U,))])


def test_variable_length_time_axis():
    inputs = kerax.Input((None, F))
    model = kerax.Model(inputs, layers.GRU(U, return_sequences=True)(inputs))
    assert model.output_shape == (None, None, U)
    assert model.predict(_data((B, 7, F)), verbose=0).shape == (B, 7, U)


# ---------------------------------------------------------------- dropout
_JITTED = {}


def _apply(model, x, training, seed=0):
    """The model's pure apply, jitted once per model (the seed is traced)."""
    if model not in _JITTED:
        _JITTED[model] = jax.jit(model.lowered.apply, static_argnames="training")
    out, _ = _JITTED[model](model.get_variables(), x, training=training, rng=jax.random.key(seed))
    return np.asarray(out)


def test_simple_rnn_dropout_mask_is_reused_at_every_step():
    # kernel = identity, no recurrence, linear: the output of step t is x_t * mask
    inputs = kerax.Input((T, F))
    layer = layers.SimpleRNN(F, activation=None, use_bias=False, dropout=0.5, return_sequences=True)
    model = kerax.Model(inputs, layer(inputs))
    model.set_weights([np.eye(F, dtype="float32"), np.zeros((F, F), "float32")])
    x = np.ones((8, T, F), "float32")
    out = _apply(model, x, training=True)
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert 0.0 in out and 2.0 in out
    np.testing.assert_array_equal(out, np.repeat(out[:, :1], T, axis=1))
    np.testing.assert_array_equal(_apply(model, x, training=False), x)


def test_lstm_dropout_is_one_input_mask_per_sequence():
    # The training output must equal the inference output on x * m for a single
    # {0, 2}-valued feature mask m per sequence: search all 2**F masks per sample.
    inputs = kerax.Input((T, F))
    layer = layers.LSTM(U, dropout=0.5, return_sequences=True)
    model = kerax.Model(inputs, layer(inputs))
    x = _data((4, T, F))
    trained = _apply(model, x, training=True, seed=3)
    assert not np.allclose(trained, _apply(model, x, training=False))
    candidates = np.array(list(itertools.product([0.0, 2.0], repeat=F)), "float32")
    for b in range(x.shape[0]):
        tiled = x[b][None] * candidates[:, None, :]
        outs = model.predict(tiled, verbose=0, batch_size=len(candidates))
        errors = np.abs(outs - trained[b][None]).max(axis=(1, 2))
        assert errors.min() < 1e-5, f"sample {b}: no single mask reproduces the output"


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU, layers.SimpleRNN])
def test_recurrent_dropout_is_random_per_key_and_off_in_inference(cls):
    inputs = kerax.Input((T, F))
    model = kerax.Model(inputs, cls(U, dropout=0.2, recurrent_dropout=0.5)(inputs))
    x = _data()
    a, b = _apply(model, x, True, seed=0), _apply(model, x, True, seed=0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, _apply(model, x, True, seed=1))
    np.testing.assert_allclose(
        _apply(model, x, False), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6
    )
    assert not np.allclose(a, model.predict(x, verbose=0))


def test_layer_works_inside_jit_and_grad():
    inputs = kerax.Input((T, F))
    model = kerax.Model(inputs, layers.LSTM(U, recurrent_dropout=0.3)(inputs))
    variables = model.get_variables()

    def loss(params):
        out, _ = model.lowered.apply(
            {**variables, "params": params}, _data(), training=True, rng=jax.random.key(0)
        )
        return (out**2).sum()

    grads = jax.jit(jax.grad(loss))(variables["params"])
    leaves = jax.tree_util.tree_leaves(grads)
    assert len(leaves) == 3 and all(np.all(np.isfinite(g)) and np.any(g != 0) for g in leaves)
