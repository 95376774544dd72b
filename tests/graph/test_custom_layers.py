"""Keras-style subclassed layers take part in the pure apply and in training."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from kerax import layers


class Linear(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", name="w"
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, inputs, training=None):
        if training:
            self.calls.assign(self.calls + 1)
        self.add_loss(0.5 * jnp.sum(self.w.value**2))
        return inputs @ self.w + self.b


class Block(layers.Layer):
    """Holds sublayers that are built in its first call, as in Keras."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = Linear(8)
        self.outer = Linear(1)

    def call(self, x):
        return self.outer(jax.nn.relu(self.inner(x)))


def test_custom_layer_weights_state_and_losses():
    x = kerax.Input(shape=(4,))
    block = Block()
    model = kerax.Model(x, block(x))
    assert [w.path for w in model.weights] == [
        "linear/w",
        "linear/b",
        "linear/calls",
        "linear_1/w",
        "linear_1/b",
        "linear_1/calls",
    ]
    variables = model.get_variables()
    data = np.ones((3, 4), np.float32)
    out, state, losses = model.lowered.forward(variables, data, training=True)
    inner, outer = block.inner, block.outer
    hidden = np.maximum(data @ inner.w.numpy() + inner.b.numpy(), 0)
    np.testing.assert_allclose(
        np.asarray(out), hidden @ outer.w.numpy() + outer.b.numpy(), rtol=1e-5, atol=1e-6
    )
    assert float(state["linear"]["calls"]) == 1.0
    expected = 0.5 * (np.sum(inner.w.numpy() ** 2) + np.sum(outer.w.numpy() ** 2))
    np.testing.assert_allclose(float(sum(losses)), expected, rtol=1e-5)
    # Pure: the layer's own counter did not move.
    assert float(inner.calls.numpy()) == 0.0


def test_custom_layer_trains_and_counts_steps():
    x = kerax.Input(shape=(4,))
    block = Block()
    model = kerax.Model(x, block(x))
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    before = block.inner.w.numpy().copy()
    model.fit(data, data.sum(-1, keepdims=True), epochs=3, batch_size=16, verbose=0)
    assert float(block.inner.calls.numpy()) == 6.0
    assert not np.allclose(before, block.inner.w.numpy())


def test_custom_layer_called_eagerly():
    block = Block()
    out = block(np.ones((2, 4), np.float32))
    assert out.shape == (2, 1)
    assert block.inner.built and block.inner.w.shape == (4, 8)


def test_add_weight_takes_keras3_and_name_first_orders():
    class Both(kerax.layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight((input_shape[-1], 2), "ones", name="a")
            self.b = self.add_weight("b", (2,), "zeros")
            self.c = self.add_weight(shape=(), initializer="ones", dtype="int32", trainable=False)

        def call(self, x):
            return x @ self.a + self.b

    layer = Both()
    out = layer(np.ones((1, 3), "float32"))
    np.testing.assert_array_equal(np.asarray(out), [[3.0, 3.0]])
    assert [(w.name, w.shape, w.dtype) for w in layer.weights] == [
        ("a", (3, 2), "float32"),
        ("b", (2,), "float32"),
        ("variable_2", (), "int32"),
    ]


def test_add_weight_refuses_what_it_cannot_honour():
    layer = kerax.layers.Layer()
    with pytest.raises(NotImplementedError, match="overwrite_with_gradient"):
        layer.add_weight(shape=(2,), overwrite_with_gradient=True)
    with pytest.raises(ValueError, match="aggregation"):
        layer.add_weight(shape=(2,), aggregation="max")


def test_add_weight_autocast_false_keeps_the_storage_dtype():
    seen = {}

    class Mixed(kerax.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(3,), initializer="ones", autocast=False)
            self.v = self.add_weight(shape=(3,), initializer="ones")

        def call(self, x):
            seen["w"], seen["v"] = self.w.value.dtype, self.v.value.dtype
            return x * self.v

    Mixed(dtype="mixed_float16")(np.ones((1, 3), "float32"))
    assert (str(seen["w"]), str(seen["v"])) == ("float32", "float16")
