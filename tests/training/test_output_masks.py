"""An output that carries a Keras mask leaves the masked entries out of the loss (and of
evaluation metrics), as in Keras; checked against the real package."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
TOKENS = RNG.integers(1, 10, size=(12, 7))
TOKENS[:, 4:] = 0
TOKENS[::3, 2:] = 0
LABELS = RNG.integers(0, 3, size=(12, 7))


def embedding_model(lib):
    inputs = lib.Input((7,), dtype="int32")
    h = lib.layers.Embedding(10, 4, mask_zero=True)(inputs)
    h = lib.layers.LSTM(5, return_sequences=True)(h)
    model = lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(h))
    model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def masking_model(lib):
    """``Masking`` on the input, a per-step output whose loss (mse) reduces the last
    axis: each row counts by its unmasked steps."""
    inputs = lib.Input((7, 2))
    h = lib.layers.Masking(0.0)(inputs)
    h = lib.layers.SimpleRNN(3, return_sequences=True)(h)
    model = lib.Model(inputs, lib.layers.Dense(1)(h))
    model.compile(lib.optimizers.SGD(0.05), "mse")
    return model


def _data(make):
    if make is embedding_model:
        return TOKENS, LABELS
    x = RNG.normal(size=(12, 7, 2)).astype("float32")
    x[TOKENS == 0] = 0.0
    return x, RNG.normal(size=(12, 7, 1)).astype("float32")


@pytest.mark.parametrize("make", [embedding_model, masking_model], ids=lambda f: f.__name__)
def test_masked_loss_matches_keras(make):
    x, y = _data(make)
    km, xm = make(keras), make(kerax)
    xm.set_weights(km.get_weights())
    np.testing.assert_allclose(
        xm.evaluate(x, y, verbose=0), km.evaluate(x, y, verbose=0), rtol=1e-5
    )
    kh = km.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    xh = xm.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    for name in kh.history:
        np.testing.assert_allclose(xh.history[name], kh.history[name], rtol=1e-5)
    for xw, kw in zip(xm.get_weights(), km.get_weights(), strict=True):
        np.testing.assert_allclose(xw, np.asarray(kw), atol=1e-6)


def test_padding_row_of_the_embedding_is_not_trained():
    model = embedding_model(kerax)
    before = model.layers[1].get_weights()[0][0].copy()
    model.fit(TOKENS, LABELS, batch_size=4, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0][0], before)
