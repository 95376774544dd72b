"""Data whose dtype differs from its ``Input``'s is cast on the way in, as Keras does:
bool one-hot sequences into an LSTM, uint8 images, int64 indices."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
ONE_HOT = np.eye(4, dtype=bool)[RNG.integers(0, 4, size=(6, 5))]
IMAGES = RNG.integers(0, 256, size=(6, 4, 4, 1)).astype("uint8")
INDICES = RNG.integers(0, 9, size=(6, 3)).astype("int64")


def one_hot_lstm(lib):
    inputs = lib.Input((5, 4))
    return lib.Model(inputs, lib.layers.Dense(1)(lib.layers.LSTM(3)(inputs))), ONE_HOT


def uint8_conv(lib):
    inputs = lib.Input((4, 4, 1))
    x = lib.layers.Conv2D(2, 3)(lib.layers.Rescaling(1 / 255)(inputs))
    return lib.Model(inputs, lib.layers.Flatten()(x)), IMAGES


def int64_embedding(lib):
    inputs = lib.Input((3,), dtype="int32")
    return lib.Model(inputs, lib.layers.Embedding(9, 2)(inputs)), INDICES


@pytest.mark.parametrize(
    "make", [one_hot_lstm, uint8_conv, int64_embedding], ids=lambda f: f.__name__
)
def test_inputs_are_cast_to_the_input_dtype_as_in_keras(make):
    (km, x), (xm, _) = make(keras), make(kerax)
    xm.set_weights(km.get_weights())
    expected = km.predict(x, verbose=0)
    np.testing.assert_allclose(xm.predict(x, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(xm(x)), expected, atol=1e-5)
    xm.compile("sgd", "mse")
    xm.fit(x, np.zeros_like(expected), epochs=1, verbose=0)  # trains on the cast data


def test_text_into_a_number_input_is_still_refused():
    inputs = kerax.Input((2,))
    model = kerax.Model(inputs, kerax.layers.Dense(1)(inputs))
    with pytest.raises(ValueError, match="text|string"):
        model.predict(np.array([["a", "b"]]), verbose=0)
