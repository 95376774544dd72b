"""``class_weight`` with an iterable of batches weighs each batch as the arrays path does
(it used to be ignored without a word)."""

from __future__ import annotations

import numpy as np
import pytest

import kerax

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = (X[:, :1] > 0).astype("int32")
WEIGHTS = {0: 1.0, 1: 3.0}


def _model():
    kerax.set_random_seed(0)
    inputs = kerax.Input((4,))
    model = kerax.Model(inputs, kerax.layers.Dense(2, activation="softmax")(inputs))
    model.compile(kerax.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model.get_weights()  # the weights are drawn now, after the seed
    return model


def _batches(with_weights=False):
    for i in range(0, 32, 8):
        yield (
            (X[i : i + 8], Y[i : i + 8], np.ones(8, "float32"))
            if with_weights
            else (
                X[i : i + 8],
                Y[i : i + 8],
            )
        )


def test_iterable_class_weight_matches_arrays():
    arrays, batches, plain = _model(), _model(), _model()
    arrays.fit(X, Y, batch_size=8, shuffle=False, class_weight=WEIGHTS, verbose=0)
    batches.fit(_batches(), class_weight=WEIGHTS, verbose=0)
    plain.fit(_batches(), verbose=0)
    for a, b in zip(arrays.get_weights(), batches.get_weights()):
        np.testing.assert_allclose(b, a, atol=1e-6)
    assert any(not np.allclose(a, c) for a, c in zip(arrays.get_weights(), plain.get_weights()))


def test_iterable_class_weight_with_batch_sample_weights_is_refused():
    with pytest.raises(ValueError, match="class_weight"):
        _model().fit(_batches(with_weights=True), class_weight=WEIGHTS, verbose=0)
