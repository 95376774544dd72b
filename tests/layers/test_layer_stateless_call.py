"""layer.stateless_call: Keras 3's stateless call of a single layer, against real Keras."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax

keras = pytest.importorskip("keras")

X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)


def _values(layer):
    return (
        [jnp.asarray(np.asarray(v.numpy())) for v in layer.trainable_variables],
        [jnp.asarray(np.asarray(v.numpy())) for v in layer.non_trainable_variables],
    )


def _pair(make):
    """The same layer in both libraries, built on ``X``, with Keras's weights."""
    k, ours = make(keras), make(kerax)
    k(X)
    ours(X)
    ours.set_weights(k.get_weights())
    return k, ours


def _check(k, ours, **kwargs):
    k_result = k.stateless_call(*_values(k), X, return_losses=True, **kwargs)
    before = ours.get_weights()
    result = ours.stateless_call(*_values(ours), X, return_losses=True, **kwargs)
    np.testing.assert_allclose(result[0], k_result[0], rtol=1e-5, atol=1e-6)
    assert len(result[1]) == len(k_result[1])
    for a, b in zip(result[1], k_result[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(result[2]) == len(k_result[2])
    for a, b in zip(result[2], k_result[2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), before):  # nothing changed on the layer
        np.testing.assert_array_equal(a, b)
    return result


def test_dense_with_other_values_and_weight_penalty():
    k, ours = _pair(lambda lib: lib.layers.Dense(2, kernel_regularizer="l2"))
    trainable = [jnp.ones((3, 2)), jnp.full((2,), 0.5)]
    k_out, k_state, k_losses = k.stateless_call(trainable, [], X, return_losses=True)
    out, state, losses = ours.stateless_call(trainable, [], X, return_losses=True)
    np.testing.assert_allclose(out, k_out, rtol=1e-6)
    np.testing.assert_allclose(out, X @ np.ones((3, 2)) + 0.5, rtol=1e-6)
    assert state == k_state == []
    np.testing.assert_allclose(losses, k_losses, rtol=1e-6)  # penalty at the given kernel
    _check(k, ours)


def test_batch_normalization_training_updates():
    k, ours = _pair(lambda lib: lib.layers.BatchNormalization(momentum=0.5))
    _, state, _ = _check(k, ours, training=True)
    assert not np.allclose(state[0], 0.0)  # the moving mean moved
    _check(k, ours, training=False)


class _Penalised:
    """A user layer with a weight and ``add_loss``, defined in either library."""

    @staticmethod
    def make(lib):
        class Penalised(lib.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
                self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

            def call(self, inputs):
                self.add_loss(lib.ops.sum(self.w**2))
                self.count.assign(self.count + 1.0)
                return inputs * self.w

        return Penalised()


def test_custom_layer_add_loss_and_assign():
    k, ours = _pair(_Penalised.make)
    _, state, losses = _check(k, ours)
    assert float(state[0]) == 2.0  # built at 1 by the eager call, +1 here
    assert len(losses) == 1


def test_jit_and_grad_through_layer():
    k, ours = _pair(lambda lib: lib.layers.Dense(2))

    def loss_fn(layer):
        def fn(trainable, x):
            out, _ = layer.stateless_call(trainable, [], x)
            return jnp.sum(out**2)

        return jax.jit(jax.value_and_grad(fn))

    k_value, k_grads = loss_fn(k)(_values(k)[0], X)
    value, grads = loss_fn(ours)(_values(ours)[0], X)
    np.testing.assert_allclose(value, k_value, rtol=1e-5)
    for a, b in zip(grads, k_grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_errors_name_the_layer():
    layer = kerax.layers.Dense(2, name="head")
    with pytest.raises(ValueError, match="'head' must be built"):
        layer.stateless_call([], [], X)
    layer(X)
    with pytest.raises(ValueError, match="'head' has 2 trainable_variables.*received 1"):
        layer.stateless_call([jnp.ones((3, 2))], [], X)


def test_dropout_takes_rng():
    layer = kerax.layers.Dropout(0.5)
    layer(X)
    a, _ = layer.stateless_call([], [], X, training=True, rng=jax.random.key(1))
    b, _ = layer.stateless_call([], [], X, training=True, rng=jax.random.key(1))
    np.testing.assert_array_equal(a, b)
    kept = np.asarray(a) != 0
    np.testing.assert_allclose(np.asarray(a)[kept], 2 * X[kept], rtol=1e-6)
    with pytest.raises(ValueError, match="rng"):
        layer.stateless_call([], [], X, training=True)


def _block(lib):
    class Block(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(2, kernel_regularizer="l2")
            self.norm = lib.layers.BatchNormalization()

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones")
            self.dense.build(input_shape)
            self.norm.build((*input_shape[:-1], 2))

        def call(self, inputs, training=False):
            return self.norm(self.dense(inputs), training=training) * self.scale

    return Block()


def test_composite_layer_and_model_penalties():
    k, ours = _pair(_block)
    _check(k, ours, training=True)  # sublayers' weights, penalties and updates

    def model(lib):
        x = lib.Input((3,))
        return lib.Model(x, lib.layers.Dense(2, kernel_regularizer="l2")(x))

    km, m = model(keras), model(kerax)
    m.set_weights(km.get_weights())
    _check(km, m)  # a model's losses include the weight penalties too, as in Keras
