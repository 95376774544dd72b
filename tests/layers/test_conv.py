"""Conv1D, Conv2D, Conv3D: argument checks, shapes, weights and configs (numerics in
tests/parity/test_conv_pool_embedding_parity.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from tests.harness import check_layer

CONV_KEYS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "groups",
    "activation",
    "use_bias",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
)


@pytest.mark.parametrize(
    "cls, kwargs, pattern",
    [
        ("Conv2D", {"filters": 0, "kernel_size": 3}, r"`filters`.*filters=0"),
        ("Conv2D", {"filters": -2, "kernel_size": 3}, r"`filters`.*filters=-2"),
        ("Conv1D", {"filters": 2.5, "kernel_size": 3}, r"`filters`.*filters=2.5"),
        ("Conv2D", {"filters": 4, "kernel_size": (3, 3, 3)}, r"`kernel_size`.*\(3, 3, 3\)"),
        ("Conv3D", {"filters": 4, "kernel_size": (3, 3)}, r"`kernel_size`.*\(3, 3\)"),
        ("Conv2D", {"filters": 4, "kernel_size": (3, 0)}, r"`kernel_size`.*\(3, 0\)"),
        ("Conv2D", {"filters": 4, "kernel_size": "3"}, r"`kernel_size`.*'3'"),
        ("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 0}, r"`strides`.*strides=0"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": (1, -1)}, r"dilation_rate"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, r"padding='causal'"),
        ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "full"}, r"padding='full'"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "data_format": "NHWC"}, r"data_format='NHWC'"),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 0}, r"`groups`.*groups=0"),
        ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 4}, r"filters=6 and groups=4"),
        (
            "Conv2D",
            {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            r"strides=\(2, 2\) and dilation_rate=\(2, 2\)",
        ),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "activation": "nope"}, r"nope"),
    ],
)
def test_bad_arguments(cls, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        getattr(kerax.layers, cls)(**kwargs)


def test_numpy_integers_and_lists_are_accepted():
    layer = kerax.layers.Conv2D(4, [np.int64(3), 2], strides=np.int32(2))
    assert layer.kernel_size == (3, 2) and layer.strides == (2, 2)
    assert all(type(k) is int for k in layer.kernel_size + layer.strides)


def test_padding_is_case_insensitive():
    assert kerax.layers.Conv1D(2, 3, padding="SAME").padding == "same"
    assert kerax.layers.Conv1D(2, 3, padding="Causal").padding == "causal"


@pytest.mark.parametrize(
    "cls, shape",
    [("Conv1D", (8, 8, 3)), ("Conv2D", (8, 3)), ("Conv2D", (4, 8, 8, 3)), ("Conv3D", (8, 8, 3))],
)
def test_wrong_rank(cls, shape):
    layer = getattr(kerax.layers, cls)(4, 3, name="my_conv")
    with pytest.raises(ValueError, match=r"my_conv.*\(None, " + ", ".join(map(str, shape))):
        layer(kerax.Input(shape))
    assert not layer.built


def test_wrong_rank_eager():
    layer = kerax.layers.Conv2D(2, 3, name="eager_conv")
    with pytest.raises(ValueError, match=r"eager_conv.*ndim=4.*\(2, 5, 3\)"):
        layer(np.zeros((2, 5, 3), "float32"))
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"eager_conv.*ndim=4.*\(1, 5, 5\)"):
        layer(np.zeros((1, 5, 5), "float32"))


def test_channels_not_divisible_by_groups():
    layer = kerax.layers.Conv2D(4, 3, groups=2, name="grouped")
    with pytest.raises(ValueError, match=r"grouped.*groups=2.*\(None, 8, 8, 3\)"):
        layer(kerax.Input((8, 8, 3)))
    assert not layer.built and not layer.weights


def test_input_too_small():
    with pytest.raises(ValueError, match=r"small_in.*\(None, 2, 2, 3\)"):
        kerax.layers.Conv2D(4, 3, name="small_in")(kerax.Input((2, 2, 3)))


def test_channels_must_stay_the_same():
    layer = kerax.layers.Conv2D(4, 3)
    layer(kerax.Input((8, 8, 3)))
    with pytest.raises(ValueError, match=r"conv2d.*axis -1.*3"):
        layer(kerax.Input((8, 8, 5)))


@pytest.mark.parametrize(
    "cls, kwargs, shape, expected",
    [
        ("Conv2D", {"filters": 16, "kernel_size": (3, 3), "padding": "same"}, (32, 32, 3), None),
        ("Conv2D", {"filters": 8, "kernel_size": 3}, (32, 32, 3), (None, 30, 30, 8)),
        ("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2}, (9, 10, 3), (None, 4, 4, 8)),
        (
            "Conv2D",
            {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
            (9, 10, 3),
            (None, 5, 5, 8),
        ),
        (
            "Conv2D",
            {"filters": 8, "kernel_size": 3, "dilation_rate": 2},
            (9, 10, 3),
            (None, 5, 6, 8),
        ),
        (
            "Conv2D",
            {"filters": 8, "kernel_size": (2, 3), "data_format": "channels_first"},
            (3, 9, 10),
            (None, 8, 8, 8),
        ),
        ("Conv2D", {"filters": 8, "kernel_size": 3}, (None, None, 3), (None, None, None, 8)),
        ("Conv1D", {"filters": 5, "kernel_size": 3, "padding": "causal"}, (7, 2), (None, 7, 5)),
        (
            "Conv1D",
            {"filters": 5, "kernel_size": 3, "padding": "causal", "strides": 2},
            (7, 2),
            (None, 4, 5),
        ),
        ("Conv1D", {"filters": 5, "kernel_size": 4, "strides": 3}, (10, 2), (None, 3, 5)),
        ("Conv3D", {"filters": 2, "kernel_size": 2}, (4, 5, 6, 1), (None, 3, 4, 5, 2)),
        (
            "Conv3D",
            {"filters": 2, "kernel_size": 3, "padding": "same", "data_format": "channels_first"},
            (1, 4, 5, 6),
            (None, 2, 4, 5, 6),
        ),
    ],
)
def test_output_shape_matches_keras(cls, kwargs, shape, expected):
    ours = getattr(kerax.layers, cls)(**kwargs)(kerax.Input(shape)).shape
    # zeros: Keras would compile its random initializer for every kernel shape
    theirs = getattr(keras.layers, cls)(**kwargs, kernel_initializer="zeros")
    theirs = theirs(keras.Input(shape)).shape
    assert ours == theirs
    if expected is not None:
        assert ours == expected
    else:
        assert ours == (None, 32, 32, 16)


@pytest.mark.parametrize(
    "cls, kwargs, shape, kernel",
    [
        ("Conv1D", {"filters": 4, "kernel_size": 3}, (7, 2), (3, 2, 4)),
        ("Conv2D", {"filters": 6, "kernel_size": (2, 3), "groups": 3}, (5, 5, 9), (2, 3, 3, 6)),
        (
            "Conv2D",
            {"filters": 6, "kernel_size": 3, "data_format": "channels_first"},
            (2, 5, 5),
            (3, 3, 2, 6),
        ),
        ("Conv3D", {"filters": 2, "kernel_size": (1, 2, 3)}, (4, 4, 4, 3), (1, 2, 3, 3, 2)),
    ],
)
def test_weights(cls, kwargs, shape, kernel):
    layer = getattr(kerax.layers, cls)(**kwargs)
    layer(kerax.Input(shape))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [kernel, (kwargs["filters"],)]
    assert layer.count_params() == int(np.prod(kernel)) + kwargs["filters"]
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros(kwargs["filters"]))
    no_bias = getattr(kerax.layers, cls)(**kwargs, use_bias=False)
    no_bias(kerax.Input(shape))
    assert [w.shape for w in no_bias.weights] == [kernel]


def test_default_kernel_is_glorot_uniform():
    layer = kerax.layers.Conv2D(64, 3)
    layer(kerax.Input((8, 8, 32)))
    kernel = layer.get_weights()[0]
    limit = np.sqrt(6.0 / (9 * 32 + 9 * 64))
    assert np.all(np.abs(kernel) <= limit)
    assert np.abs(kernel).max() > 0.9 * limit


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("Conv1D", {"filters": 3, "kernel_size": 2, "padding": "causal", "dilation_rate": 2}),
        ("Conv2D", {"filters": 4, "kernel_size": (2, 3), "strides": (2, 1), "activation": "relu"}),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2, "use_bias": False}),
        ("Conv3D", {"filters": 2, "kernel_size": 2, "data_format": "channels_first"}),
        ("Conv2D", {"filters": 2, "kernel_size": 1, "kernel_regularizer": "l2"}),
    ],
)
def test_config_matches_keras_and_round_trips(cls, kwargs):
    layer = getattr(kerax.layers, cls)(**kwargs)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    reference = getattr(keras.layers, cls)(**kwargs).get_config()
    for key in CONV_KEYS:
        if key.endswith("regularizer") and reference[key] is not None:
            assert config[key]["class_name"] == reference[key]["class_name"]
            assert config[key]["config"] == reference[key]["config"]
        else:
            assert config[key] == reference[key], key
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        ("Conv1D", {"filters": 3, "kernel_size": 2, "padding": "causal"}, (2, 5, 2)),
        ("Conv2D", {"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same"}, (2, 5, 5, 2)),
        (
            "Conv3D",
            {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
            (2, 1, 3, 3, 3),
        ),
    ],
)
def test_harness(cls, kwargs, shape):
    check_layer(getattr(kerax.layers, cls), kwargs, shape)


def test_kernel_regularizer_adds_loss():
    inputs = kerax.Input((4, 4, 1))
    layer = kerax.layers.Conv2D(2, 2, kernel_regularizer=kerax.regularizers.L2(0.5))
    model = kerax.Model(inputs, layer(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((1, 4, 4, 1), "float32")
    y = np.zeros((1, 3, 3, 2), "float32")
    loss = model.test_on_batch(x, y)
    loss = loss[0] if isinstance(loss, list) else loss
    expected = 0.5 * np.sum(np.square(layer.get_weights()[0]))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
