"""Depthwise, separable and transposed convolutions against Keras 3 (JAX backend): same
weights, same numbers.

Each test builds one model in both libraries from the same builder, one branch per
configuration so that each library compiles once per test, draws every weight (biases
included) from NumPy, copies them into both models in Keras's order and compares
``predict``, the output shapes and the parameter counts. The training tests then take
one SGD step in both and compare the updated weights.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

TOL = {"rtol": 1e-5, "atol": 1e-5}

# Keras compiles a random initializer once per weight shape (about a second each on
# CPU), so both libraries start from zeros and _compare sets random NumPy weights.
ZEROS = {
    "Depthwise": {"depthwise_initializer": "zeros"},
    "Separable": {"depthwise_initializer": "zeros", "pointwise_initializer": "zeros"},
    "Conv": {"kernel_initializer": "zeros"},
}


def _zeros(cls_name):
    return next(v for k, v in ZEROS.items() if cls_name.startswith(k))


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _compare(build, data):
    reference = build(keras)
    model = build(kerax)
    assert model.count_params() == reference.count_params()
    assert [tuple(o.shape) for o in model.outputs] == [tuple(o.shape) for o in reference.outputs]
    weights = reference.get_weights()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
    rng = np.random.default_rng(123)
    weights = [rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in weights]
    reference.set_weights(weights)
    model.set_weights(weights)
    expected = reference.predict(data, verbose=0)
    got = model.predict(data, verbose=0)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), **TOL)
    return model, reference


def _branches(lib, cls_name, inputs, configs):
    cls = getattr(lib.layers, cls_name)
    return [cls(**config, **_zeros(cls_name))(inputs) for config in configs]


def _depthwise_configs(rank):
    kernel = {1: 3, 2: (2, 3)}[rank]
    return [
        {"kernel_size": kernel},
        {"kernel_size": kernel, "padding": "same"},
        {"kernel_size": 2, "padding": "same"},  # even kernel: uneven padding
        {"kernel_size": kernel, "strides": 2},
        {"kernel_size": 3, "strides": 2, "padding": "same"},
        {"kernel_size": 2, "dilation_rate": 2},
        {"kernel_size": kernel, "dilation_rate": 2, "padding": "same"},
        {"kernel_size": 2, "strides": 2, "dilation_rate": 2, "padding": "same"},
        {"kernel_size": kernel, "depth_multiplier": 2},
        {"kernel_size": 3, "depth_multiplier": 3, "strides": 2, "padding": "same"},
        {"kernel_size": 1, "use_bias": False, "activation": "relu"},
        {"kernel_size": kernel, "data_format": "channels_first"},
        {"kernel_size": kernel, "data_format": "channels_first", "padding": "same"},
        {"kernel_size": 2, "data_format": "channels_first", "depth_multiplier": 2, "strides": 2},
        {"kernel_size": 2, "data_format": "channels_first", "dilation_rate": 2},
    ]


def _separable_configs(rank):
    return [{"filters": 3 + i % 2, **c} for i, c in enumerate(_depthwise_configs(rank))]


# channels_last reads 3 channels over the spatial axes; channels_first reads the first
# axis as channels.
SHAPES = {1: (8, 3), 2: (6, 7, 3)}


@pytest.mark.parametrize("rank", [1, 2])
def test_depthwise_and_separable(rank):
    shape = SHAPES[rank]

    def build(lib):
        inputs = lib.Input(shape)
        outputs = _branches(lib, f"DepthwiseConv{rank}D", inputs, _depthwise_configs(rank))
        outputs += _branches(lib, f"SeparableConv{rank}D", inputs, _separable_configs(rank))
        return lib.Model(inputs, outputs)

    _compare(build, _data((2, *shape)))


def _transpose_configs(rank):
    kernel = {1: 3, 2: (2, 3), 3: (2, 1, 3)}[rank]
    configs = [
        {"filters": 2, "kernel_size": kernel},
        {"filters": 2, "kernel_size": kernel, "padding": "same"},
        {"filters": 2, "kernel_size": 2, "padding": "same"},
        {"filters": 2, "kernel_size": kernel, "strides": 2},
        {"filters": 2, "kernel_size": kernel, "strides": 2, "padding": "same"},
        {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"},
        {"filters": 2, "kernel_size": 2, "strides": 3},  # stride above the kernel
        {"filters": 2, "kernel_size": kernel, "strides": 2, "output_padding": 1},
        {"filters": 2, "kernel_size": kernel, "strides": 3, "output_padding": 2},
        {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 0, "padding": "same"},
        {"filters": 2, "kernel_size": 2, "strides": 3, "output_padding": 1, "padding": "same"},
        {"filters": 2, "kernel_size": kernel, "dilation_rate": 2},
        {"filters": 2, "kernel_size": kernel, "dilation_rate": 2, "padding": "same"},
        {"filters": 3, "kernel_size": 1, "use_bias": False, "activation": "tanh"},
        {"filters": 2, "kernel_size": kernel, "data_format": "channels_first"},
        {"filters": 2, "kernel_size": 3, "strides": 2, "data_format": "channels_first"},
        {
            "filters": 2,
            "kernel_size": kernel,
            "strides": 2,
            "padding": "same",
            "output_padding": 1,
            "data_format": "channels_first",
        },
    ]
    if rank > 1:
        configs.append(
            {
                "filters": 2,
                "kernel_size": 3,
                "strides": (1, 2, 3)[:rank],
                "output_padding": (0, 1, 2)[:rank],
                "padding": "same",
            }
        )
    return configs


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_transpose(rank):
    # channels_first reads the first axis (2 or 3 wide) as channels.
    shape = {1: (5, 3), 2: (3, 4, 3), 3: (2, 3, 2, 2)}[rank]

    def build(lib):
        inputs = lib.Input(shape)
        cls_name = f"Conv{rank}DTranspose"
        return lib.Model(inputs, _branches(lib, cls_name, inputs, _transpose_configs(rank)))

    _compare(build, _data((2, *shape)))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_training_step_matches(data_format):
    """One SGD step through a depthwise, a separable and a transposed layer gives the
    same weights in both libraries."""
    shape = (6, 6, 3) if data_format == "channels_last" else (3, 6, 6)
    fmt = {"data_format": data_format}

    def build(lib):
        inputs = lib.Input(shape)
        h = lib.layers.DepthwiseConv2D(
            3,
            depth_multiplier=2,
            padding="same",
            activation="relu",
            **fmt,
            **_zeros("DepthwiseConv2D"),
        )(inputs)
        h = lib.layers.SeparableConv2D(
            4, 3, strides=2, activation="tanh", **fmt, **_zeros("SeparableConv2D")
        )(h)
        h = lib.layers.Conv2DTranspose(
            2, 3, strides=2, padding="same", output_padding=1, **fmt, **_zeros("Conv2DTranspose")
        )(h)
        return lib.Model(inputs, h)

    x = _data((4, *shape))
    model, reference = _compare(build, x)
    y = _data(tuple(reference.outputs[0].shape[1:]), seed=1)[None].repeat(4, axis=0)
    for lib_model in (model, reference):
        lib_model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    expected_loss = reference.train_on_batch(x, y)
    loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(loss, expected_loss, **TOL)
    for got, expected, old in zip(
        model.get_weights(), reference.get_weights(), before, strict=True
    ):
        assert not np.array_equal(got, old)
        np.testing.assert_allclose(got, expected, **TOL)
