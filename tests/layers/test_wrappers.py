"""TimeDistributed: shapes, shared weights (also of a whole wrapped model), masks, config."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer

B, T, F = 2, 5, 4


def _data(shape=(B, T, F), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _inner_model():
    inputs = kerax.Input((F,))
    hidden = layers.Dense(6, activation="relu")(inputs)
    return kerax.Model(inputs, layers.Dense(3)(hidden))


def test_harness_dense():
    check_layer(
        layers.TimeDistributed,
        {"layer": layers.Dense(3, activation="tanh")},
        (B, T, F),
        expected_output_shape=(None, T, 3),
    )


def test_invalid_layer_argument():
    with pytest.raises(ValueError, match="layer=") as err:
        layers.TimeDistributed("dense")
    assert "'dense'" in str(err.value)


def test_rank_two_input_is_rejected():
    with pytest.raises(ValueError, match="rank 3"):
        layers.TimeDistributed(layers.Dense(3))(kerax.Input((F,)))


def test_builds_the_inner_layer_for_one_timestep():
    dense = layers.Dense(3)
    td = layers.TimeDistributed(dense)
    out = td(kerax.Input((T, 7, F)))
    assert out.shape == (None, T, 7, 3)
    assert dense.built and dense.kernel.shape == (F, 3)
    assert td.weights == dense.weights and td._own_weights() == []


def test_wrapped_model_is_shared_not_copied():
    inner = _inner_model()
    td = layers.TimeDistributed(inner)
    inputs = kerax.Input((T, F))
    model = kerax.Model(inputs, td(inputs))
    assert len(td.weights) == len(inner.weights) == 4
    assert all(a is b for a, b in zip(td.weights, inner.weights))
    assert model.count_params() == inner.count_params()
    x = _data()

    def per_step():
        return np.stack([inner.predict(x[:, t], verbose=0) for t in range(T)], axis=1)

    before = model.predict(x, verbose=0)
    np.testing.assert_allclose(before, per_step(), rtol=1e-6, atol=1e-6)
    rng = np.random.default_rng(5)
    inner.set_weights([rng.normal(size=w.shape).astype("float32") for w in inner.weights])
    after = model.predict(x, verbose=0)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, per_step(), rtol=1e-5, atol=1e-5)
    # and the other way round: weights set through the outer model reach the inner one
    model.set_weights([w * 0.5 for w in model.get_weights()])
    np.testing.assert_allclose(inner.get_weights()[0], td.get_weights()[0])
    np.testing.assert_allclose(model.predict(x, verbose=0), per_step(), rtol=1e-5, atol=1e-5)


def test_training_the_outer_model_trains_the_inner_model():
    inner = _inner_model()
    inputs = kerax.Input((T, F))
    model = kerax.Model(inputs, layers.TimeDistributed(inner)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    before = inner.get_weights()
    model.train_on_batch(_data(), np.zeros((B, T, 3), "float32"))
    assert all(not np.array_equal(a, b) for a, b in zip(before, inner.get_weights()))


def test_wrapped_sequential_with_flatten():
    vision = kerax.Sequential([layers.Flatten(), layers.Dense(3)])
    inputs = kerax.Input((T, 2, 3))
    model = kerax.Model(inputs, layers.TimeDistributed(vision)(inputs))
    assert model.output_shape == (None, T, 3)
    x = _data((B, T, 2, 3))
    expected = vision.predict(x.reshape(B * T, 2, 3), verbose=0).reshape(B, T, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)


def test_guide_video_shape_with_a_model():
    # the guide's shape: a per-frame model on (20, 784) frames
    frame_in = kerax.Input((784,))
    per_frame = kerax.Model(frame_in, layers.Dense(10, activation="softmax")(frame_in))
    video = kerax.Input((20, 784))
    out = layers.TimeDistributed(per_frame)(video)
    assert out.shape == (None, 20, 10)


def test_config_round_trip_rebuilds_the_wrapped_layer():
    td = layers.TimeDistributed(layers.Dense(3, activation="relu"), name="td")
    config = td.get_config()
    assert config["layer"]["class_name"] == "Dense"
    clone = layers.TimeDistributed.from_config(config)
    assert clone.get_config() == config
    assert clone.layer is not td.layer


def test_mask_passes_through_to_a_following_lstm():
    x = _data()
    x[0, 3:] = 0.0
    x[1, :2] = 0.0

    def build(lib):
        inputs = lib.Input((T, F))
        h = lib.layers.Masking()(inputs)
        h = lib.layers.TimeDistributed(lib.layers.Dense(3))(h)
        return lib.Model(inputs, lib.layers.LSTM(2, return_sequences=True)(h))

    reference = build(keras)
    model = build(kerax)
    model.set_weights(reference.get_weights())
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_parity_with_keras_for_a_wrapped_model():
    def build(lib):
        inner_in = lib.Input((F,))
        inner = lib.Model(inner_in, lib.layers.Dense(3, activation="relu")(inner_in))
        inputs = lib.Input((T, F))
        return lib.Model(inputs, lib.layers.TimeDistributed(inner)(inputs))

    reference = build(keras)
    model = build(kerax)
    model.set_weights(reference.get_weights())
    x = _data()
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


@pytest.mark.skipif(not hasattr(layers, "Conv2D"), reason="Conv2D not available yet")
def test_wrapped_conv_model():
    vision = kerax.Sequential(
        [
            kerax.Input((8, 8, 1)),
            layers.Conv2D(2, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
        ]
    )
    inputs = kerax.Input((T, 8, 8, 1))
    model = kerax.Model(inputs, layers.TimeDistributed(vision)(inputs))
    x = _data((B, T, 8, 8, 1))
    expected = vision.predict(x.reshape(B * T, 8, 8, 1), verbose=0).reshape(B, T, -1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
