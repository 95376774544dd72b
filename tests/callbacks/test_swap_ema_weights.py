"""SwapEMAWeights against Keras: the same start, data and optimizer give the same
validation losses (computed with the averages), the same final weights, and the same
predictions around ``predict``."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3)).astype("float32")
Y = RNG.normal(size=(8, 2)).astype("float32")


def _model(lib):
    inputs = lib.Input((3,))
    model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
    model.compile(optimizer=lib.optimizers.SGD(0.3, use_ema=True, ema_momentum=0.5), loss="mse")
    return model


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_matches_keras(swap_on_epoch):
    theirs, ours = _model(keras), _model(kerax)
    start = [RNG.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(start)
    ours.set_weights(start)
    kwargs = {"batch_size": 4, "epochs": 3, "shuffle": False, "verbose": 0}
    expected = theirs.fit(
        X,
        Y,
        validation_data=(X, Y),
        callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch)],
        **kwargs,
    )
    got = ours.fit(
        X,
        Y,
        validation_data=(X, Y),
        callbacks=[kerax.callbacks.SwapEMAWeights(swap_on_epoch)],
        **kwargs,
    )
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got.history[key], expected.history[key], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.predict(X, callbacks=[kerax.callbacks.SwapEMAWeights()], verbose=0),
        theirs.predict(X, callbacks=[keras.callbacks.SwapEMAWeights()], verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_swap_ema_weights_needs_use_ema():
    inputs = kerax.Input((3,))
    model = kerax.Model(inputs, kerax.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[kerax.callbacks.SwapEMAWeights()])
