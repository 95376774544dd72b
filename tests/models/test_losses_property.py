"""``model.losses`` / ``layer.losses`` after a call: the added losses (``add_loss``,
activity penalties) and the weight penalties, by layer, in Keras's order."""

from __future__ import annotations

import keras
import numpy as np

import kerax


def _model(lib):
    class Penalty(lib.layers.Layer):
        def call(self, x):
            self.add_loss(lib.ops.sum(x) * 0.1)
            return x

    inputs = lib.Input((3,))
    dense = lib.layers.Dense(
        2,
        kernel_regularizer=lib.regularizers.L2(0.1),
        activity_regularizer=lib.regularizers.L1(0.01),
    )
    penalty = Penalty()
    return lib.Model(inputs, penalty(dense(inputs))), dense, penalty


def test_losses_match_keras():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    km, kd, kp = _model(keras)
    xm, xd, xp = _model(kerax)
    assert len(xm.losses) == len(km.losses) == 1  # before a call: the weight penalty
    km(x)
    xm(x)
    xm.set_weights(km.get_weights())
    km(x)
    xm(x)
    for mine, theirs in ((xm, km), (xd, kd), (xp, kp)):
        got = [float(v) for v in mine.losses]
        np.testing.assert_allclose(got, [float(v) for v in theirs.losses], rtol=1e-6)
