"""Changing which weights train (``layer.trainable``) after ``compile``: honoured, or
refused as Keras refuses it; never a frozen layer that silently keeps training.

Before: the compiled programs kept the trainable mask of their first use, so a layer
frozen after an ``evaluate`` or a ``fit`` went on training without a word."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(1)
X = RNG.random((16, 3)).astype("float32")
Y = RNG.random((16, 1)).astype("float32")


def _pair():
    models = []
    for lib in (kerax, keras):
        m = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), lib.layers.Dense(1)])
        m.compile(lib.optimizers.SGD(0.1), "mse")
        models.append(m)
    models[0].set_weights(models[1].get_weights())
    return models


def _same(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(x, np.asarray(y), atol=1e-6)


def test_freezing_before_the_first_fit_is_honoured_after_evaluate():
    ours, theirs = _pair()
    for m in (ours, theirs):
        m.evaluate(X, Y, verbose=0)
        m.layers[0].trainable = False
    # Keras built its optimizer already and asks for compile() here; kerax has no
    # optimizer state yet and takes the new set of weights as it is.
    theirs.compile(keras.optimizers.SGD(0.1), "mse")
    frozen = ours.layers[0].get_weights()
    for m in (ours, theirs):
        m.fit(X, Y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    for before, after in zip(frozen, ours.layers[0].get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    _same(ours, theirs)


def test_freezing_after_fit_asks_for_compile_and_leaves_the_model_intact():
    ours, _ = _pair()
    ours.fit(X, Y, epochs=1, verbose=0)
    ours.layers[0].trainable = False
    weights = ours.get_weights()
    with pytest.raises(ValueError, match=r"trainable weights changed.*compile\(\)"):
        ours.fit(X, Y, epochs=1, verbose=0)
    for before, after in zip(weights, ours.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_freeze_then_compile_again_trains_the_rest_as_keras():
    ours, theirs = _pair()
    for m, lib in ((ours, kerax), (theirs, keras)):
        m.fit(X, Y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        m.layers[0].trainable = False
        m.compile(lib.optimizers.SGD(0.1), "mse")
        m.fit(X, Y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        m.layers[0].trainable = True  # and back, as the transfer-learning guide does
        m.compile(lib.optimizers.SGD(0.05), "mse")
        m.fit(X, Y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    _same(ours, theirs)


def test_freezing_from_a_callback_during_fit_asks_for_compile_at_the_next_fit():
    ours, _ = _pair()

    class Freeze(kerax.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.layers[0].trainable = False

    ours.fit(X, Y, epochs=1, verbose=0, callbacks=[Freeze()])
    with pytest.raises(ValueError, match=r"trainable weights changed.*compile\(\)"):
        ours.fit(X, Y, epochs=1, verbose=0)
