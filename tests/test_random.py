"""kerax.random: Keras's random ops and SeedGenerator, eager and inside layers."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from kerax import random as krandom
from kerax.layers import Dense, Input, Layer


def test_namespace_matches_keras():
    import keras

    ours = {n for n in dir(krandom) if not n.startswith("_")}
    theirs = {n for n in dir(keras.random) if not n.startswith("_")}
    assert theirs <= ours


def test_shapes_dtypes_and_ranges():
    assert krandom.normal((3, 4), seed=1).shape == (3, 4)
    assert krandom.normal((2,), dtype="float16", seed=1).dtype == jnp.float16
    u = np.asarray(krandom.uniform((1000,), minval=2.0, maxval=3.0, seed=1))
    assert u.min() >= 2.0 and u.max() < 3.0
    t = np.asarray(krandom.truncated_normal((1000,), mean=1.0, stddev=0.5, seed=1))
    assert t.min() >= 0.0 and t.max() <= 2.0  # cut at two standard deviations
    r = np.asarray(krandom.randint((1000,), 3, 7, seed=1))
    assert r.dtype == np.int32 and set(np.unique(r)) == {3, 4, 5, 6}
    c = np.asarray(krandom.categorical(jnp.log(jnp.array([[0.0, 1.0], [1.0, 0.0]])), 5, seed=1))
    np.testing.assert_array_equal(c, [[1] * 5, [0] * 5])
    assert sorted(np.asarray(krandom.shuffle(jnp.arange(6), seed=1)).tolist()) == list(range(6))
    assert krandom.gamma((4,), alpha=2.0, seed=1).shape == (4,)
    b = np.asarray(krandom.binomial((500,), counts=4.0, probabilities=0.5, seed=1))
    assert b.min() >= 0 and b.max() <= 4 and abs(b.mean() - 2.0) < 0.2
    be = np.asarray(krandom.beta((500,), alpha=2.0, beta=2.0, seed=1))
    assert be.min() > 0 and be.max() < 1


def test_dropout_zeroes_and_rescales():
    x = jnp.ones((200, 50))
    y = np.asarray(krandom.dropout(x, 0.25, seed=3))
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    shared = np.asarray(krandom.dropout(x, 0.5, noise_shape=(200, 1), seed=3))
    assert (shared == shared[:, :1]).all()  # one draw per row


def test_seeds_int_fixed_generator_advances():
    np.testing.assert_array_equal(krandom.normal((4,), seed=7), krandom.normal((4,), seed=7))
    gen = krandom.SeedGenerator(7)
    a, b = krandom.normal((4,), seed=gen), krandom.normal((4,), seed=gen)
    assert not np.allclose(a, b)
    assert krandom.SeedGenerator.from_config(gen.get_config()).seed == 7
    with pytest.raises(TypeError, match="`seed` must be an int"):
        krandom.normal((2,), seed="x")


class NoisyDropout(Layer):
    """A Keras-style custom layer with its own SeedGenerator."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = kerax.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return kerax.random.dropout(inputs, self.rate, seed=self.seed_generator)
        return inputs


def _fit_losses():
    kerax.backend.clear_session()
    kerax.set_random_seed(0)
    x = Input(shape=(8,))
    # a kernel of powers of two makes each row's output spell out its mask, so the loss
    # tells different masks apart
    powers = kerax.initializers.Constant(2.0 ** np.arange(8, dtype=np.float32)[:, None])
    model = kerax.Model(x, Dense(1, kernel_initializer=powers)(NoisyDropout(0.5)(x)))
    model.compile(optimizer=kerax.optimizers.SGD(0.0), loss="mse")
    data = np.ones((4, 8), np.float32)
    losses = [model.train_on_batch(data, np.zeros((4, 1), np.float32)) for _ in range(4)]
    return model, data, losses


def test_seed_generator_in_a_custom_layer_draws_per_step_and_reproducibly():
    model, data, losses = _fit_losses()
    assert len(set(losses)) == 4  # a new mask at every step (weights do not move)
    np.testing.assert_array_equal(model.predict(data, verbose=0), np.full((4, 1), 255.0))
    assert losses == _fit_losses()[2]  # the same seed, the same masks


def test_integer_seed_draws_keras_numbers():
    import keras

    for name in ("normal", "uniform", "truncated_normal"):
        np.testing.assert_array_equal(
            np.asarray(getattr(kerax.random, name)((5,), seed=7)),
            np.asarray(getattr(keras.random, name)((5,), seed=7)),
        )
    np.testing.assert_array_equal(
        np.asarray(kerax.random.randint((6,), 0, 10, seed=7)),
        np.asarray(keras.random.randint((6,), 0, 10, seed=7)),
    )
