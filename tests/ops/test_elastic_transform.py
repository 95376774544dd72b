"""kerax.ops.image.elastic_transform against Keras 3 at the same integer seed (Keras
draws its field from the raw key ``[seed, 0]``, as kerax.random does), plus its
structural properties."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

X = np.random.default_rng(0).random((2, 9, 8, 2)).astype("float32")


def test_matches_keras_at_the_same_seed():
    # Keras's eager op compiles slowly: one batch case here, one single image below.
    kwargs = {"alpha": 8.0, "sigma": 1.5, "interpolation": "nearest", "fill_mode": "constant"}
    x = np.moveaxis(X, -1, 1)
    got = kerax.ops.image.elastic_transform(x, seed=3, data_format="channels_first", **kwargs)
    want = keras.ops.image.elastic_transform(x, seed=3, data_format="channels_first", **kwargs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5)


def test_single_image_seeds_and_identity():
    image = X[0]
    out = np.asarray(kerax.ops.image.elastic_transform(image, seed=4))
    assert out.shape == image.shape and out.dtype == image.dtype
    want = np.asarray(keras.ops.image.elastic_transform(image, seed=4))
    np.testing.assert_allclose(out, want, atol=1e-5)
    again = np.asarray(kerax.ops.image.elastic_transform(image, seed=4))
    np.testing.assert_array_equal(out, again)
    other = np.asarray(kerax.ops.image.elastic_transform(image, seed=5))
    assert np.abs(other - out).max() > 1e-3
    # No displacement: every pixel samples itself.
    still = kerax.ops.image.elastic_transform(X, alpha=0.0, seed=1)
    np.testing.assert_allclose(np.asarray(still), X, atol=1e-6)
    # Nearest sampling only moves pixels: the output's values are input values.
    moved = np.asarray(kerax.ops.image.elastic_transform(image, interpolation="nearest", seed=2))
    assert np.isin(moved, image).all()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="interpolation"):
        kerax.ops.image.elastic_transform(X, interpolation="cubic")
    with pytest.raises(ValueError, match="fill_mode"):
        kerax.ops.image.elastic_transform(X, fill_mode="edge")
    with pytest.raises(ValueError, match="sigma"):
        kerax.ops.image.elastic_transform(X, sigma=0.0)
    with pytest.raises(ValueError, match="rank"):
        kerax.ops.image.elastic_transform(X[0, :, :, 0])
