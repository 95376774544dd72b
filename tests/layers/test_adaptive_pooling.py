"""Adaptive pooling against Keras 3: outputs for divisible, non-divisible and
up-sampling sizes in both data formats, configs, argument errors, symbolic shapes."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


def _x(rank, n, data_format, seed=0):
    rng = np.random.default_rng(seed)
    spatial = [n] * rank
    shape = (2, *spatial, 3) if data_format == "channels_last" else (2, 3, *spatial)
    return rng.normal(size=shape).astype("float32")


# tests/layers/test_weight_order.py checks every class at 5 -> 3, channels_last.
@pytest.mark.parametrize(
    "name, n, m, data_format",
    [
        ("AdaptiveAveragePooling1D", 3, 5, "channels_first"),
        ("AdaptiveMaxPooling2D", 7, 3, "channels_first"),
        ("AdaptiveAveragePooling2D", 6, 2, "channels_last"),
        ("AdaptiveMaxPooling3D", 3, 4, "channels_last"),
    ],
)
def test_outputs_match_keras(name, n, m, data_format):
    x = _x(int(name[-2]), n, data_format)
    ours = getattr(kerax.layers, name)(m, data_format=data_format)
    ref = getattr(keras.layers, name)(m, data_format=data_format)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)), rtol=1e-6, atol=1e-6)
    assert ours.get_config() == {**ref.get_config(), "dtype": ours.get_config()["dtype"]}


def test_tuple_sizes_and_symbolic_shape_match_keras():
    x = _x(2, 7, "channels_last")[:, :, :5]  # 7 x 5 image
    ours = kerax.layers.AdaptiveMaxPooling2D((4, 2))
    ref = keras.layers.AdaptiveMaxPooling2D((4, 2))
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(ref(x)))
    inp = kerax.Input((None, 5, 3))
    out = kerax.layers.AdaptiveAveragePooling2D((4, 2))(inp)
    assert tuple(out.shape) == (None, 4, 2, 3)
    model = kerax.Model(inp, out)
    expected = keras.layers.AdaptiveAveragePooling2D((4, 2))(x)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(expected), atol=1e-6)


def test_gradient_of_average_spreads_over_bins():
    import jax

    layer = kerax.layers.AdaptiveAveragePooling1D(2)
    x = np.arange(3, dtype="float32").reshape(1, 3, 1)
    # Bins [0, 2) and [1, 3): the middle cell is in both, each cell weighs 1/2 per bin.
    grad = jax.grad(lambda v: layer(v).sum())(x)
    np.testing.assert_allclose(np.asarray(grad).ravel(), [0.5, 1.0, 0.5])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="output_size"):
        kerax.layers.AdaptiveAveragePooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="data_format"):
        kerax.layers.AdaptiveMaxPooling1D(2, data_format="nhwc")
    with pytest.raises(ValueError, match="ndim=3"):
        kerax.layers.AdaptiveMaxPooling1D(2)(np.zeros((2, 3, 4, 5), "float32"))
