"""Reshape, Permute, RepeatVector, Flatten, Masking against keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda m: m.layers.Reshape((3, 4)), (12,)),
        (lambda m: m.layers.Reshape((-1, 2)), (3, 4)),
        (lambda m: m.layers.Permute((2, 1)), (3, 4)),
        (lambda m: m.layers.RepeatVector(3), (4,)),
        (lambda m: m.layers.Flatten(), (2, 3, 4)),
        (lambda m: m.layers.Flatten(data_format="channels_first"), (2, 3, 4)),
        (lambda m: m.layers.Masking(mask_value=0.0), (5, 3)),
    ],
)
def test_matches_keras(make, shape):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(2, *shape)).astype(np.float32)
    if len(shape) == 2:
        data[:, 1] = 0.0  # a fully masked timestep for Masking
    ours = kerax.Model(*(lambda x: (x, make(kerax)(x)))(kerax.Input(shape=shape)))
    theirs = keras.Model(*(lambda x: (x, make(keras)(x)))(keras.Input(shape=shape)))
    assert ours.output_shape == theirs.output_shape
    np.testing.assert_allclose(ours.predict(data, verbose=0), theirs.predict(data, verbose=0))


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"`target_shape`.*\(-1, -1\)"):
        kerax.layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"cannot reshape inputs of shape \(None, 12\)"):
        kerax.layers.Reshape((5,))(kerax.Input(shape=(12,)))
    with pytest.raises(ValueError, match=r"`dims`.*\(1, 3\)"):
        kerax.layers.Permute((1, 3))
    with pytest.raises(ValueError, match="`n` must be a positive integer; received n=0"):
        kerax.layers.RepeatVector(0)


def test_masking_mask_reaches_a_mask_aware_layer():
    seen = {}

    class Probe(kerax.layers.Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs

    x = kerax.Input(shape=(4, 2))
    model = kerax.Model(x, Probe()(kerax.layers.Masking()(x)))
    data = np.ones((1, 4, 2), np.float32)
    data[0, 2] = 0.0
    model.lowered.apply(model.get_variables(), data)  # not jitted: the mask is concrete
    np.testing.assert_array_equal(np.asarray(seen["mask"]), [[True, True, False, True]])
