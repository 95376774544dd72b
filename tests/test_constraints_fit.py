"""Constraints in training: after each optimizer step, ``fit`` projects the weights
exactly as Keras does (same start, same data, same weights after two steps)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3)).astype("float32")
Y = RNG.normal(size=(8, 2)).astype("float32") * 3


def _model(lib, kernel, bias):
    inputs = lib.Input((3,))
    outputs = lib.layers.Dense(2, kernel_constraint=kernel, bias_constraint=bias)(inputs)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.5), loss="mse")
    return model


@pytest.mark.parametrize(
    "kernel, bias",
    [
        (("MaxNorm", {"max_value": 0.5}), ("NonNeg", {})),
        ("unit_norm", "non_neg"),
    ],
    ids=["objects", "names"],
)
def test_fit_applies_constraints_like_keras(kernel, bias):
    def make(lib, spec):
        return getattr(lib.constraints, spec[0])(**spec[1]) if isinstance(spec, tuple) else spec

    theirs = _model(keras, make(keras, kernel), make(keras, bias))
    ours = _model(kerax, make(kerax, kernel), make(kerax, bias))
    start = [RNG.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(start)
    ours.set_weights(start)
    theirs.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    ours.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for got, expected in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    kernel_after, bias_after = ours.get_weights()
    assert not np.allclose(kernel_after, start[0])  # the step did move the weights
    assert (bias_after >= 0).all()
