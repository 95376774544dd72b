"""model.stateless_call: Keras 3's JAX custom-loop idiom, against real Keras."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax

keras = pytest.importorskip("keras")


def _pair(lib):
    x = lib.Input(shape=(3,))
    h = lib.layers.Dense(4, activity_regularizer="l2")(x)
    h = lib.layers.BatchNormalization()(h)
    return lib.Model(x, lib.layers.Dense(2)(h))


def _models():
    km, model = _pair(keras), _pair(kerax)
    model.set_weights(km.get_weights())
    return km, model


X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)


def _values(model):
    return (
        [jnp.asarray(v.numpy()) for v in model.trainable_variables],
        [jnp.asarray(v.numpy()) for v in model.non_trainable_variables],
    )


@pytest.mark.parametrize("training", [False, True])
def test_stateless_call_matches_keras(training):
    km, model = _models()
    k_out, k_state, k_losses = km.stateless_call(
        [v.value for v in km.trainable_variables],
        [v.value for v in km.non_trainable_variables],
        X,
        training=training,
        return_losses=True,
    )
    before = model.get_weights()
    out, state, losses = model.stateless_call(
        *_values(model), X, training=training, return_losses=True
    )
    np.testing.assert_allclose(out, k_out, rtol=1e-5, atol=1e-6)
    assert len(state) == len(k_state) == 2  # moving mean and variance
    for a, b in zip(state, k_state):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sum(losses), sum(k_losses), rtol=1e-5)
    for a, b in zip(model.get_weights(), before):  # nothing changed in the model
        np.testing.assert_array_equal(a, b)


def test_stateless_call_inside_jit_and_grad():
    _, model = _models()
    trainable, non_trainable = _values(model)

    @jax.jit
    def loss(trainable, non_trainable, x):
        out, _ = model.stateless_call(trainable, non_trainable, x)
        return jnp.mean(out**2)

    grads = jax.grad(loss)(trainable, non_trainable, X)
    assert [g.shape for g in grads] == [v.shape for v in model.trainable_variables]
    eps = 1e-3
    bumped = [trainable[0].at[0, 0].add(eps), *trainable[1:]]
    numeric = (loss(bumped, non_trainable, X) - loss(trainable, non_trainable, X)) / eps
    np.testing.assert_allclose(grads[0][0, 0], numeric, rtol=2e-2)


def test_stateless_call_checks_its_lists():
    _, model = _models()
    trainable, non_trainable = _values(model)
    with pytest.raises(ValueError, match=r"has 6 trainable_variables.*received 5"):
        model.stateless_call(trainable[:5], non_trainable, X)
