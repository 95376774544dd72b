"""Spatial dropouts, Gaussian noise / dropout, AlphaDropout and ActivityRegularization:
the shared harness, training-only behaviour, statistics (not Keras's random draws),
the added loss, and the argument errors."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _train(layer, x, seed=0):
    """One training-mode apply of ``layer`` on ``x`` through a model's pure function."""
    inputs = kerax.Input(x.shape[1:])
    model = kerax.Model(inputs, layer(inputs))
    out, _ = model.lowered.apply(model.get_variables(), x, training=True, rng=jax.random.key(seed))
    return np.asarray(out)


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (layers.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
        (layers.SpatialDropout2D, {"rate": 0.5}, (2, 3, 3, 4)),
        (layers.SpatialDropout2D, {"rate": 0.3, "data_format": "channels_first"}, (2, 4, 3, 3)),
        (layers.SpatialDropout3D, {"rate": 0.5}, (2, 2, 2, 2, 3)),
        (layers.SpatialDropout3D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 2, 2, 2)),
        (layers.GaussianNoise, {"stddev": 0.2}, (2, 3)),
        (layers.GaussianDropout, {"rate": 0.4}, (2, 3)),
        (layers.AlphaDropout, {"rate": 0.2}, (2, 3)),
        (layers.AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 4)}, (2, 3, 4)),
        (layers.ActivityRegularization, {"l1": 0.1, "l2": 0.01}, (2, 3)),
    ],
)
def test_harness(cls, kwargs, shape):
    check_layer(cls, kwargs, shape, expected_output_shape=(None, *shape[1:]))


@pytest.mark.parametrize(
    "layer",
    [
        layers.SpatialDropout1D(0.5),
        layers.GaussianNoise(0.5),
        layers.GaussianDropout(0.5),
        layers.AlphaDropout(0.5),
        layers.ActivityRegularization(l1=1.0),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_identity_at_inference(layer):
    x = _data((2, 3, 4))
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    assert layer.supports_masking


@pytest.mark.parametrize(
    "cls, shape, channel_axis",
    [
        (layers.SpatialDropout1D, (40, 6, 25), -1),
        (layers.SpatialDropout2D, (40, 3, 2, 25), -1),
        (layers.SpatialDropout3D, (40, 2, 2, 2, 25), -1),
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout_drops_whole_maps(cls, shape, channel_axis, data_format):
    rate = 0.4
    x = np.abs(_data(shape)) + 0.5  # never 0, so zeros mean dropped
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
        channel_axis = 1
    out = _train(cls(rate, data_format=data_format), x)
    spatial = tuple(i for i in range(1, x.ndim) if i != channel_axis % x.ndim)
    dropped = np.all(out == 0, axis=spatial)
    kept = np.all(np.isclose(out, x / (1 - rate)), axis=spatial)
    assert np.all(dropped | kept), "a feature map was partly dropped"
    assert abs(dropped.mean() - rate) < 0.06  # 1000 maps


def test_gaussian_noise_statistics():
    x = _data((50, 400))
    noise = _train(layers.GaussianNoise(0.3), x) - x
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 0.3) < 0.01


def test_gaussian_dropout_statistics():
    rate = 0.3
    factor = _train(layers.GaussianDropout(rate), np.ones((50, 400), "float32"))
    assert abs(factor.mean() - 1.0) < 0.01
    assert abs(factor.std() - np.sqrt(rate / (1 - rate))) < 0.01


def test_alpha_dropout_keeps_selu_statistics():
    rate = 0.2
    x = _data((50, 400))
    out = _train(layers.AlphaDropout(rate), x)
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02
    # Dropped inputs all take one value: a * alpha' + b.
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    # noise_shape: one draw shared along axis 1.
    shared = _train(layers.AlphaDropout(rate, noise_shape=(None, 1, 8)), _data((30, 5, 8)))
    flags = np.isclose(shared, a * alpha_p + b, atol=1e-6)
    assert np.all(flags == flags[:, :1])


def test_draws_differ_between_keys_and_calls():
    x = np.ones((4, 64), "float32")
    layer = layers.GaussianNoise(0.5)
    assert not np.array_equal(
        _train(layer, x, seed=0), _train(layers.GaussianNoise(0.5), x, seed=1)
    )
    inputs = kerax.Input((64,))
    shared = layers.GaussianDropout(0.5)
    model = kerax.Model(inputs, [shared(inputs), shared(inputs)])
    (first, second), _ = model.lowered.apply(
        model.get_variables(), x, training=True, rng=jax.random.key(0)
    )
    assert not np.array_equal(np.asarray(first), np.asarray(second))


def test_activity_regularization_loss():
    x, y = _data((4, 3)), _data((4, 3), 1)
    inputs = kerax.Input((3,))
    model = kerax.Model(inputs, layers.ActivityRegularization(l1=0.1, l2=0.5)(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    model.compile(optimizer="sgd", loss="mse")
    penalty = (0.1 * np.abs(x).sum() + 0.5 * np.square(x).sum()) / 4  # per sample
    expected = np.mean((x - y) ** 2) + penalty
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=4, verbose=0), expected, rtol=1e-5)
    config = layers.ActivityRegularization(l1=0.1).get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.0


def test_activity_regularization_loss_with_a_partial_batch():
    x, y = _data((4, 3)), _data((4, 3), 1)
    inputs = kerax.Input((3,))
    model = kerax.Model(inputs, layers.ActivityRegularization(l1=0.1, l2=0.5)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    penalty = (0.1 * np.abs(x).sum() + 0.5 * np.square(x).sum()) / 4
    expected = np.mean((x - y) ** 2) + penalty
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_configs_match_keras_keys():
    config = layers.SpatialDropout2D(0.2, data_format="channels_first", seed=3).get_config()
    assert set(config) == {"rate", "seed", "name", "dtype", "data_format"}
    assert set(layers.SpatialDropout1D(0.2).get_config()) == {"rate", "seed", "name", "dtype"}
    clone = layers.SpatialDropout2D.from_config(config)
    assert clone.data_format == "channels_first" and clone.rate == 0.2


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: layers.SpatialDropout1D(1.5), r"`rate`.*rate=1\.5"),
        (lambda: layers.SpatialDropout2D(-0.1), r"`rate`.*rate=-0\.1"),
        (lambda: layers.SpatialDropout2D(0.1, data_format="nhwc"), r"`data_format`.*'nhwc'"),
        (lambda: layers.SpatialDropout3D(0.1, data_format=3), r"`data_format`.*data_format=3"),
        (lambda: layers.GaussianNoise(2.0), r"`stddev`.*stddev=2\.0"),
        (lambda: layers.GaussianNoise("a"), r"`stddev`.*stddev='a'"),
        (lambda: layers.GaussianDropout(1.0), r"`rate`.*rate=1\.0"),
        (lambda: layers.AlphaDropout(-1), r"`rate`.*rate=-1"),
        (lambda: layers.ActivityRegularization(l1=-0.1), r"`l1`.*l1=-0\.1"),
        (lambda: layers.ActivityRegularization(l2="x"), r"`l2`.*l2='x'"),
    ],
)
def test_constructor_errors(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_spatial_dropout_rank_errors():
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.SpatialDropout1D(0.5)(kerax.Input((4,)))
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.SpatialDropout2D(0.5)(kerax.Input((4, 3)))
    with pytest.raises(ValueError, match="expected ndim=5"):
        layers.SpatialDropout3D(0.5)(kerax.Input((4, 3, 2)))
