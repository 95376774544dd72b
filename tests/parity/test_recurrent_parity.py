"""Recurrent layers against Keras 3 (JAX backend): same weights, same numbers.

Each test builds one model in both libraries from the same builder, copies Keras's
weights into the kerax model and compares ``predict`` (and, for training, the weights
after SGD steps through ``compile`` + ``train_on_batch``).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

B, T, F, U = 3, 5, 4, 3
TOL = {"rtol": 1e-5, "atol": 1e-5}

RNNS = {
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
    "gru_reset_before": ("GRU", {"reset_after": False}),
    "simple_rnn": ("SimpleRNN", {}),
}
NUM_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}


def _sequences(seed=0):
    x = np.random.default_rng(seed).normal(size=(B, T, F)).astype("float32")
    x[0, 3:] = 0.0  # trailing padding
    x[1, :2] = 0.0  # leading padding
    x[2, 2] = 0.0  # a hole in the middle
    return x


def _as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, list | tuple) else [np.asarray(out)]


def _compare(build, data):
    reference = build(keras)
    model = build(kerax)
    weights = reference.get_weights()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
    model.set_weights(weights)
    expected = _as_list(reference.predict(data, verbose=0))
    got = _as_list(model.predict(data, verbose=0))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, **TOL)


def _rnn(lib, kind, **kwargs):
    cls_name, extra = RNNS[kind]
    return getattr(lib.layers, cls_name)(U, **extra, **kwargs)


# Several configurations of one layer class run as parallel branches of one model, so
# that each test compiles once per library.
FORWARD_OPTIONS = [
    {},
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_sequences": True},
    {"unroll": True, "go_backwards": True, "return_state": True},
]
MASKED_OPTIONS = [
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_state": True},
    {"unroll": True, "return_sequences": True},
    {"unroll": True, "go_backwards": True, "return_sequences": True},
    {"return_sequences": True, "zero_output_for_mask": True},
    {"zero_output_for_mask": True, "go_backwards": True},
]


def _branches(lib, kind, inputs, options):
    outputs = []
    for option in options:
        out = _rnn(lib, kind, **option)(inputs)
        outputs.extend(out if isinstance(out, list | tuple) else [out])
    return outputs


@pytest.mark.parametrize("kind", list(RNNS))
def test_forward(kind):
    """return_sequences, return_state, go_backwards and unroll, no mask."""

    def build(lib):
        inputs = lib.Input((T, F))
        return lib.Model(inputs, _branches(lib, kind, inputs, FORWARD_OPTIONS))

    _compare(build, _sequences())


@pytest.mark.parametrize("kind", list(RNNS))
def test_masking(kind):
    """A Masking mask with leading, trailing and inner padding, in every mode."""

    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        return lib.Model(inputs, _branches(lib, kind, masked, MASKED_OPTIONS))

    _compare(build, _sequences())


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_initial_state_with_mask(kind):
    # With a mask and unroll=True Keras outputs zeros (not the initial state) before the
    # first valid step; with the scan it repeats the initial state. kerax matches both.
    # The mask is an explicit call argument: Keras propagates an upstream mask only to
    # layers called on a single tensor, so it would drop a Masking mask here.
    n_states = NUM_STATES[RNNS[kind][0]]

    def build(lib):
        inputs = lib.Input((T, F))
        mask = lib.Input((T,), dtype="bool")
        states = [lib.Input((U,)) for _ in range(n_states)]
        outputs = []
        for unroll in (False, True):
            rnn = _rnn(lib, kind, return_sequences=True, return_state=True, unroll=unroll)
            outputs.extend(rnn(inputs, initial_state=states, mask=mask))
        return lib.Model([inputs, mask, *states], outputs)

    x = _sequences()
    rng = np.random.default_rng(7)
    states = [rng.normal(size=(B, U)).astype("float32") for _ in range(n_states)]
    _compare(build, [x, np.any(x != 0.0, axis=-1), *states])


@pytest.mark.skipif(not hasattr(kerax.layers, "Embedding"), reason="Embedding not available yet")
def test_embedding_mask_zero():
    tokens = np.array([[3, 5, 0, 0, 0], [0, 0, 2, 7, 1], [4, 0, 6, 0, 9]], "int32")

    def build(lib):
        inputs = lib.Input((T,), dtype="int32")
        h = lib.layers.Embedding(10, F, mask_zero=True)(inputs)
        h = lib.layers.LSTM(U, return_sequences=True)(h)
        return lib.Model(inputs, lib.layers.GRU(U)(h))

    _compare(build, tokens)


def test_stacked_with_dense_head():
    def build(lib):
        inputs = lib.Input((T, F))
        h = lib.layers.GRU(U, return_sequences=True)(inputs)
        h = lib.layers.LSTM(U, go_backwards=True)(h)
        return lib.Model(inputs, lib.layers.Dense(2)(h))

    _compare(build, _sequences())


def test_sgd_steps_match():
    """Gradients agree: the weights after two SGD steps are Keras's."""

    def build(lib):
        inputs = lib.Input((T, F))
        masked = lib.layers.Masking()(inputs)
        h = _rnn(lib, "lstm", return_sequences=True)(masked)
        h = _rnn(lib, "gru", go_backwards=True)(h)
        model = lib.Model(inputs, lib.layers.Dense(2)(h))
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.5), loss="mse")
        return model

    reference = build(keras)
    model = build(kerax)
    initial = reference.get_weights()
    model.set_weights(initial)
    x = _sequences()
    y = np.random.default_rng(3).normal(size=(B, 2)).astype("float32")
    for _ in range(2):
        expected_loss = reference.train_on_batch(x, y)
        loss = model.train_on_batch(x, y)
        np.testing.assert_allclose(np.asarray(loss), np.asarray(expected_loss), **TOL)
    final = reference.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(initial, final))
    for got, expected in zip(model.get_weights(), final):
        np.testing.assert_allclose(got, expected, **TOL)
