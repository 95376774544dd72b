"""Custom layers in Keras's styles, run on kerax and on real Keras and compared.

Each row is one extension pattern: a function ``make(lib)`` that returns a layer built
from ``lib`` (``kerax`` or ``keras``) and the shape of one example. The test builds the
same small model around the layer on both, copies Keras's initial weights into kerax,
and compares the outputs, then the losses and weights after a few steps of ``fit``
(assignments inside ``call`` included). A new pattern is one row.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


def _std(ops, kernel):
    mean = ops.mean(kernel, axis=[0, 1, 2], keepdims=True)
    var = ops.var(kernel, axis=[0, 1, 2], keepdims=True)
    return (kernel - mean) / ops.sqrt(var + 1e-5)


def std_conv_call(lib):
    """A built-in subclass overriding ``call`` (weight-standardised convolution)."""
    ops = lib.ops

    class StdConv(lib.layers.Conv2D):
        def call(self, inputs):
            return ops.conv(inputs, _std(ops, self.kernel), padding="valid") + self.bias

    return StdConv(4, 3), (6, 6, 3)


def std_conv_op(lib):
    """A built-in subclass overriding the documented ``convolution_op`` hook."""
    ops = lib.ops

    class StdConvOp(lib.layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            return ops.conv(inputs, _std(ops, kernel), padding="valid")

    return StdConvOp(4, 3, activation="relu"), (6, 6, 3)


def super_call(lib):
    """``super().call(inputs)`` from an override."""

    class Doubled(lib.layers.Dense):
        def call(self, inputs):
            return super().call(inputs) * 2.0

    return Doubled(5, activation="tanh"), (3,)


def masked_conv(lib):
    """A sublayer built in the parent's ``build``, its kernel assigned in ``call``
    (masked convolution), and a non-trainable counter advanced with ``assign_add``."""
    ops = lib.ops

    class MaskedConv(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv = lib.layers.Conv2D(4, 3, padding="same")

        def build(self, input_shape):
            self.conv.build(input_shape)
            kh, kw, cin, cout = self.conv.kernel.shape
            mask = np.ones((kh, kw, cin, cout), "float32")
            mask[kh // 2, kw // 2 + 1 :] = 0.0
            mask[kh // 2 + 1 :] = 0.0
            self.mask = mask
            self.calls = self.add_weight(
                name="calls", shape=(), initializer="zeros", trainable=False
            )

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            self.calls.assign_add(1.0)
            return ops.relu(self.conv(inputs))

    return MaskedConv(), (5, 5, 2)


def declared_shape(lib):
    """A ``compute_output_shape`` that Keras uses for symbolic calls."""
    ops = lib.ops

    class Pairs(lib.layers.Layer):
        def call(self, inputs):
            return ops.reshape(inputs, (-1, inputs.shape[1] // 2, 2))

        def compute_output_shape(self, input_shape):
            return (input_shape[0], input_shape[1] // 2, 2)

    return Pairs(), (6,)


ROWS = [std_conv_call, std_conv_op, super_call, masked_conv, declared_shape]


def _model(lib, make):
    layer, shape = make(lib)
    inputs = lib.Input(shape=shape)
    x = layer(inputs)
    x = lib.layers.Flatten()(x)
    outputs = lib.layers.Dense(1)(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.001), loss="mse")
    return model, layer, shape


@pytest.mark.parametrize("make", ROWS, ids=lambda f: f.__name__)
def test_custom_layer_matches_keras(make):
    km, klayer, shape = _model(keras, make)
    xm, xlayer, _ = _model(kerax, make)
    assert [w.shape for w in xm.weights] == [tuple(w.shape) for w in km.weights]
    xm.set_weights(km.get_weights())
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, *shape)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    kh = km.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    xh = xm.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(xh.history["loss"], kh.history["loss"], rtol=1e-5, atol=1e-6)
    for xw, kw in zip(xm.get_weights(), km.get_weights(), strict=True):
        np.testing.assert_allclose(xw, np.asarray(kw), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        xm.predict(x, verbose=0), km.predict(x, verbose=0), rtol=1e-5, atol=1e-4
    )


def test_override_of_an_unused_hook_is_rejected():
    with pytest.raises(TypeError, match="compute_output_spec"):

        class Spec(kerax.layers.Dense):
            def compute_output_spec(self, inputs):
                return inputs
