"""Dense and LayerNormalization compute through ``kerax.layers._math`` (jitted, traced
once per shape and configuration): the same numbers as the ops written out and
compiled, bit for bit; a train step of a deep model traces each distinct layer once; a user's own
activation still runs for every layer."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from kerax import layers
from kerax.layers import _math

RNG = np.random.default_rng(0)
X = jnp.asarray(RNG.normal(size=(5, 3, 6)), jnp.float32)


@pytest.mark.parametrize("activation", ["relu", "softmax", "gelu", None])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_is_the_ops_written_out(activation, use_bias):
    layer = layers.Dense(4, activation=activation, use_bias=use_bias)
    out = layer(X)
    kernel = layer.kernel.value
    expected = jnp.matmul(X, kernel)
    if use_bias:
        expected = expected + layer.bias.value
    expected = kerax.activations.get(activation)(expected)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"axis": [1, 2]},
        {"rms_scaling": True},
        {"center": False, "scale": False},
        {"dtype": "mixed_bfloat16"},
    ],
)
def test_layer_norm_is_the_ops_written_out(kwargs):
    layer = layers.LayerNormalization(epsilon=1e-3, **kwargs)
    layer.build(X.shape)
    for w in layer.weights:
        w.assign(RNG.normal(size=w.shape).astype(w.dtype))
    out = layer(X)
    axes = tuple(a % 3 for a in np.atleast_1d(kwargs.get("axis", -1)))
    # The layer reads its float32 weights cast to its compute dtype (autocast).
    values = {w.name: w.value.astype(layer.compute_dtype) for w in layer.weights}

    @jax.jit  # the ops written out, compiled as a step would compile them
    def written_out(x, values):
        x = x.astype(jnp.float32)
        bshape = [1, 1, 1]
        for a in axes:
            bshape[a] = x.shape[a]
        params = {k: v.astype(jnp.float32).reshape(bshape) for k, v in values.items()}
        var = jnp.var(x, axis=axes, keepdims=True)
        if kwargs.get("rms_scaling"):
            y = x * jax.lax.rsqrt(var + 1e-3) * params["gamma"]
        else:
            inv = jax.lax.rsqrt(var + 1e-3)
            if "gamma" in params:
                inv = inv * params["gamma"]
            offset = -jnp.mean(x, axis=axes, keepdims=True) * inv
            if "beta" in params:
                offset = offset + params["beta"]
            y = x * inv + offset
        return y.astype(layer.compute_dtype)

    expected = written_out(X, values)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


def test_each_distinct_layer_is_traced_once_in_a_train_step(monkeypatch):
    traced = []
    inner = _math.dense.__wrapped__

    def counting(*args, **kwargs):
        traced.append((args[0].shape, args[1].shape))
        return inner(*args, **kwargs)

    monkeypatch.setattr(_math, "dense", jax.jit(counting, static_argnums=3))
    inputs = layers.Input((8,))
    h = inputs
    for _ in range(6):
        h = layers.Dense(8, activation="relu")(h)
    model = kerax.Model(inputs, layers.Dense(1)(h))
    model.compile("sgd", "mse")
    del traced[:]  # building the graph traced each layer for its shapes
    model.train_on_batch(np.ones((4, 8), "float32"), np.ones((4, 1), "float32"))
    # Six Dense(8, relu) share one trace; the head is another (shape and activation).
    assert sorted(traced) == [((4, 8), (8, 1)), ((4, 8), (8, 8))], traced


def test_a_users_activation_runs_for_every_layer():
    calls = []

    def mine(x):
        calls.append(x.shape)
        return jnp.tanh(x)

    inputs = layers.Input((3,))
    h = layers.Dense(3, activation=mine)(layers.Dense(3, activation=mine)(inputs))
    model = kerax.Model(inputs, h)
    built = len(calls)  # shape inference (shared by layers of one configuration)
    model.predict(np.ones((2, 3), "float32"), verbose=0)
    assert calls[built:] == [(32, 3), (32, 3)]  # the traced predict (a padded batch of 32)
    assert not _math.builtin_activation(mine) and _math.builtin_activation(
        kerax.activations.get("relu")
    )
