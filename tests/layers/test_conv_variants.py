"""DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1D/2D/3DTranspose: argument checks,
shapes, weights and configs against Keras 3 (numerics in
tests/parity/test_conv_variants_parity.py)."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
from keras.src.backend.common.backend_utils import compute_conv_transpose_output_shape

import kerax
from kerax.layers._conv_utils import transpose_output_length
from tests.harness import check_layer

ALL = (
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
)

# Keras builds with zero initializers here: a random one compiles once per weight shape.
KERAS_ZEROS = {
    "Depthwise": {"depthwise_initializer": "zeros"},
    "Separable": {"depthwise_initializer": "zeros", "pointwise_initializer": "zeros"},
    "Conv": {"kernel_initializer": "zeros"},
}


def _zeros(cls: str) -> dict:
    return next(v for k, v in KERAS_ZEROS.items() if cls.startswith(k))


@pytest.mark.parametrize("cls", ALL)
def test_exported_and_not_loop_friendly(cls):
    layer_cls = getattr(kerax.layers, cls)
    assert cls in kerax.layers.__all__
    assert layer_cls.loop_friendly is False


@pytest.mark.parametrize(
    "cls, kwargs, pattern",
    [
        ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 0}, r"depth_multiplier=0"),
        ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": -1}, r"depth_multiplier=-1"),
        ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 1.5}, r"depth_multiplier=1.5"),
        ("DepthwiseConv2D", {"kernel_size": (3, 0)}, r"`kernel_size`.*\(3, 0\)"),
        ("DepthwiseConv1D", {"kernel_size": (3, 3)}, r"`kernel_size`.*\(3, 3\)"),
        ("DepthwiseConv2D", {"kernel_size": 3, "strides": 0}, r"`strides`.*strides=0"),
        ("DepthwiseConv2D", {"kernel_size": 3, "dilation_rate": (1, 0)}, r"dilation_rate"),
        ("DepthwiseConv1D", {"kernel_size": 3, "padding": "causal"}, r"padding='causal'"),
        ("DepthwiseConv2D", {"kernel_size": 3, "data_format": "NCHW"}, r"data_format='NCHW'"),
        ("DepthwiseConv2D", {"kernel_size": 3, "activation": "nope"}, r"nope"),
        ("SeparableConv2D", {"filters": 0, "kernel_size": 3}, r"`filters`.*filters=0"),
        ("SeparableConv1D", {"filters": 2.0, "kernel_size": 3}, r"`filters`.*filters=2.0"),
        (
            "SeparableConv2D",
            {"filters": 2, "kernel_size": 3, "depth_multiplier": 0},
            r"depth_multiplier=0",
        ),
        ("SeparableConv1D", {"filters": 2, "kernel_size": 3, "padding": "causal"}, r"'causal'"),
        ("SeparableConv2D", {"filters": 2, "kernel_size": "3"}, r"`kernel_size`.*'3'"),
        ("SeparableConv2D", {"filters": 2, "kernel_size": 3, "strides": (1, -2)}, r"\(1, -2\)"),
        ("Conv2DTranspose", {"filters": 0, "kernel_size": 3}, r"`filters`.*filters=0"),
        ("Conv3DTranspose", {"filters": 2, "kernel_size": (3, 3)}, r"`kernel_size`.*\(3, 3\)"),
        ("Conv1DTranspose", {"filters": 2, "kernel_size": 3, "padding": "causal"}, r"'causal'"),
        ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "padding": "full"}, r"'full'"),
        ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "data_format": "x"}, r"'x'"),
        (
            "Conv2DTranspose",
            {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            r"strides=\(2, 2\) and dilation_rate=\(2, 2\)",
        ),
        (
            "Conv2DTranspose",
            {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2},
            r"`output_padding`.*output_padding=2.*strides=\(2, 2\)",
        ),
        (
            "Conv1DTranspose",
            {"filters": 2, "kernel_size": 3, "output_padding": 1},
            r"`output_padding`.*output_padding=1",
        ),
        (
            "Conv2DTranspose",
            {"filters": 2, "kernel_size": 3, "strides": 3, "output_padding": (1, -1)},
            r"`output_padding`.*\(1, -1\)",
        ),
        (
            "Conv3DTranspose",
            {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": (1, 1)},
            r"`output_padding`.*\(1, 1\)",
        ),
        (
            "Conv2DTranspose",
            {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": "1"},
            r"`output_padding`.*'1'",
        ),
    ],
)
def test_bad_arguments(cls, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        getattr(kerax.layers, cls)(**kwargs)


def test_normalized_arguments():
    layer = kerax.layers.Conv2DTranspose(2, [3, np.int64(2)], strides=2, output_padding=1)
    assert layer.kernel_size == (3, 2) and layer.strides == (2, 2)
    assert layer.output_padding == (1, 1)
    assert kerax.layers.Conv1DTranspose(2, 3).output_padding is None
    assert kerax.layers.DepthwiseConv1D(3, padding="SAME").padding == "same"
    assert kerax.layers.SeparableConv2D(2, 3, data_format=None).data_format == "channels_last"


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (
            "DepthwiseConv1D",
            {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
            (2, 6, 3),
        ),
        (
            "DepthwiseConv2D",
            {"kernel_size": 2, "strides": 2, "data_format": "channels_first"},
            (2, 2, 5, 4),
        ),
        (
            "DepthwiseConv2D",
            {"kernel_size": 3, "depth_multiplier": 2, "activation": "relu"},
            (2, 5, 5, 2),
        ),
        ("SeparableConv1D", {"filters": 3, "kernel_size": 2, "dilation_rate": 2}, (2, 6, 2)),
        (
            "SeparableConv2D",
            {"filters": 3, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
            (2, 4, 5, 2),
        ),
        ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 2)),
        (
            "Conv2DTranspose",
            {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
            (2, 3, 4, 2),
        ),
        (
            "Conv3DTranspose",
            {"filters": 2, "kernel_size": 2, "strides": 2, "data_format": "channels_first"},
            (2, 1, 2, 2, 3),
        ),
    ],
)
def test_harness(cls, kwargs, shape):
    check_layer(getattr(kerax.layers, cls), kwargs, shape)


SHAPE_CASES = [
    ("DepthwiseConv1D", {"kernel_size": 3}, (9, 2)),
    ("DepthwiseConv1D", {"kernel_size": 4, "strides": 3, "depth_multiplier": 3}, (10, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "padding": "same", "strides": 2}, (7, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "dilation_rate": 2}, (9, 10, 2)),
    ("DepthwiseConv2D", {"kernel_size": (2, 3), "data_format": "channels_first"}, (3, 6, 7)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (None, None, 3)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (9, 2)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, (2, 9)),
    (
        "SeparableConv2D",
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (9, 8, 3),
    ),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 2, "depth_multiplier": 3}, (None, 5, 3)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3}, (5, 2)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 2, "strides": 3}, (5, 2)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (5, 2)),
    (
        "Conv1DTranspose",
        {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
        (5, 2),
    ),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (None, 2)),
    (
        "Conv1DTranspose",
        {"filters": 3, "kernel_size": 4, "strides": 3, "output_padding": 2, "padding": "same"},
        (5, 2),
    ),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
        (4, 5, 2),
    ),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": (2, 3), "strides": (3, 2), "output_padding": (1, 0)},
        (4, 5, 2),
    ),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 1, "strides": 3}, (4, 5, 2)),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": 2, "data_format": "channels_first"},
        (2, 4, 5),
    ),
    (
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": (1, 2, 3), "padding": "same"},
        (2, 3, 4, 1),
    ),
    (
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": (0, 1, 1)},
        (2, 3, 4, 1),
    ),
]


@pytest.mark.parametrize("cls, kwargs, shape", SHAPE_CASES)
def test_output_shape_matches_keras(cls, kwargs, shape):
    layer = getattr(kerax.layers, cls)(**kwargs)
    ours = layer(kerax.Input(shape)).shape
    theirs = tuple(getattr(keras.layers, cls)(**kwargs).compute_output_shape((None, *shape)))
    assert ours == theirs
    assert tuple(layer.compute_output_shape((None, *shape))) == theirs


def test_transpose_length_formula_matches_keras():
    """The length rule itself, over a grid wider than any layer test."""
    grid = itertools.product((1, 2, 5), (1, 2, 3, 4), (1, 2, 3), (1, 2), ("valid", "same"))
    for n, k, s, d, padding in grid:
        if s > 1 and d > 1:
            continue
        for op in (None, *range(s)):
            theirs = compute_conv_transpose_output_shape(
                (None, n, 1), (k,), 1, (s,), padding, None if op is None else (op,), dilation_rate=d
            )[1]
            ours = transpose_output_length(n, k, s, d, padding, op)
            assert ours == theirs, (n, k, s, d, padding, op)


def test_transpose_zero_length_output_as_keras():
    """An even kernel with "same" and output_padding=0 maps one step to none, as in
    Keras."""
    layer = kerax.layers.Conv1DTranspose(3, 4, padding="same", output_padding=0)
    assert layer(kerax.Input((1, 2))).shape == (None, 0, 3)
    out = layer(np.ones((2, 1, 2), "float32"))
    assert out.shape == (2, 0, 3)


@pytest.mark.parametrize(
    "cls, kwargs, shape, expected",
    [
        (
            "DepthwiseConv1D",
            {"kernel_size": 3, "depth_multiplier": 2},
            (7, 3),
            [("kernel", (3, 3, 2)), ("bias", (6,))],
        ),
        (
            "DepthwiseConv2D",
            {"kernel_size": (2, 3), "data_format": "channels_first"},
            (4, 5, 5),
            [("kernel", (2, 3, 4, 1)), ("bias", (4,))],
        ),
        (
            "SeparableConv1D",
            {"filters": 5, "kernel_size": 3, "depth_multiplier": 2},
            (7, 3),
            [("depthwise_kernel", (3, 3, 2)), ("pointwise_kernel", (1, 6, 5)), ("bias", (5,))],
        ),
        (
            "SeparableConv2D",
            {"filters": 5, "kernel_size": (3, 2), "data_format": "channels_first"},
            (2, 6, 6),
            [
                ("depthwise_kernel", (3, 2, 2, 1)),
                ("pointwise_kernel", (1, 1, 2, 5)),
                ("bias", (5,)),
            ],
        ),
        (
            "Conv1DTranspose",
            {"filters": 4, "kernel_size": 3},
            (7, 2),
            [("kernel", (3, 4, 2)), ("bias", (4,))],
        ),
        (
            "Conv2DTranspose",
            {"filters": 4, "kernel_size": (2, 3), "data_format": "channels_first"},
            (3, 5, 5),
            [("kernel", (2, 3, 4, 3)), ("bias", (4,))],
        ),
        (
            "Conv3DTranspose",
            {"filters": 2, "kernel_size": (1, 2, 3)},
            (3, 3, 3, 5),
            [("kernel", (1, 2, 3, 2, 5)), ("bias", (2,))],
        ),
    ],
)
def test_weights_match_keras(cls, kwargs, shape, expected):
    layer = getattr(kerax.layers, cls)(**kwargs)
    layer(kerax.Input(shape))
    assert [(w.name, w.shape) for w in layer.weights] == expected
    reference = getattr(keras.layers, cls)(**kwargs, **_zeros(cls))
    reference(keras.Input(shape))
    assert [(w.name, tuple(w.shape)) for w in reference.weights] == expected
    assert layer.count_params() == reference.count_params()
    np.testing.assert_array_equal(layer.get_weights()[-1], np.zeros(expected[-1][1]))
    no_bias = getattr(kerax.layers, cls)(**kwargs, use_bias=False)
    no_bias(kerax.Input(shape))
    assert [(w.name, w.shape) for w in no_bias.weights] == expected[:-1]


@pytest.mark.parametrize(
    "cls, shape",
    [("DepthwiseConv2D", (6, 3)), ("SeparableConv1D", (6, 6, 3)), ("Conv3DTranspose", (6, 6, 3))],
)
def test_wrong_rank(cls, shape):
    args = {"kernel_size": 2} if cls.startswith("Depthwise") else {"filters": 2, "kernel_size": 2}
    layer = getattr(kerax.layers, cls)(**args, name="my_layer")
    with pytest.raises(ValueError, match=r"my_layer.*\(None, " + ", ".join(map(str, shape))):
        layer(kerax.Input(shape))
    assert not layer.built


def test_input_too_small():
    with pytest.raises(ValueError, match=r"tiny.*\(None, 2, 2, 3\)"):
        kerax.layers.DepthwiseConv2D(3, name="tiny")(kerax.Input((2, 2, 3)))
    with pytest.raises(ValueError, match=r"tiny_sep.*\(None, 2, 3\)"):
        kerax.layers.SeparableConv1D(2, 3, name="tiny_sep")(kerax.Input((2, 3)))


def test_unknown_channels():
    for layer in (
        kerax.layers.DepthwiseConv1D(2, name="no_channels"),
        kerax.layers.Conv1DTranspose(2, 2, name="no_channels_t"),
    ):
        with pytest.raises(ValueError, match=layer.name + r".*channel.*\(None, 5, None\)"):
            layer(kerax.Input((5, None)))
        assert not layer.built


def test_channels_must_stay_the_same():
    layer = kerax.layers.SeparableConv2D(4, 3)
    layer(kerax.Input((8, 8, 3)))
    with pytest.raises(ValueError, match=r"separable_conv2d.*axis -1.*3"):
        layer(kerax.Input((8, 8, 5)))


CONFIG_CASES = [
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}),
    (
        "DepthwiseConv2D",
        {"kernel_size": (2, 3), "strides": 2, "data_format": "channels_first", "use_bias": False},
    ),
    ("DepthwiseConv2D", {"kernel_size": 3, "depthwise_regularizer": "l2", "activation": "relu"}),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 2, "dilation_rate": 2}),
    (
        "SeparableConv2D",
        {"filters": 3, "kernel_size": 3, "depth_multiplier": 2, "pointwise_regularizer": "l1"},
    ),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 2, "strides": 2, "output_padding": 1}),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"},
    ),
    (
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "dilation_rate": 2},
    ),
]


def _comparable(config):
    out = dict(config)
    for key in ("name", "dtype", "trainable"):
        out.pop(key)
    for key, value in out.items():
        if key.endswith("initializer"):
            # Keras 3.15's variance-scaling configs also carry `input_axes` and
            # `output_axes` (fan axes), which kerax's initializers do not have (yet).
            out[key] = (value["class_name"], value["config"].get("seed"))
        elif key.endswith("regularizer") and value is not None:
            # Keras 3.15 writes L1's factor as a float32 value (0.009999999776482582).
            factors = {k: np.float32(v) for k, v in value["config"].items()}
            out[key] = (value["class_name"], factors)
    return out


@pytest.mark.parametrize("cls, kwargs", CONFIG_CASES)
def test_config_matches_keras_and_round_trips(cls, kwargs):
    layer_cls = getattr(kerax.layers, cls)
    config = layer_cls(**kwargs).get_config()
    assert layer_cls.from_config(config).get_config() == config
    reference = getattr(keras.layers, cls)(**kwargs).get_config()
    assert _comparable(config) == _comparable(reference)
    # a Keras config loads into the kerax class
    assert _comparable(layer_cls.from_config(reference).get_config()) == _comparable(reference)


def test_regularizers_add_losses():
    inputs = kerax.Input((4, 4, 2))
    layer = kerax.layers.SeparableConv2D(
        3,
        2,
        depthwise_regularizer=kerax.regularizers.L2(0.5),
        pointwise_regularizer=kerax.regularizers.L1(0.25),
    )
    model = kerax.Model(inputs, layer(inputs))
    model.compile(optimizer="sgd", loss="mse")
    loss = model.test_on_batch(np.zeros((1, 4, 4, 2), "float32"), np.zeros((1, 3, 3, 3), "float32"))
    loss = loss[0] if isinstance(loss, list) else loss
    depthwise, pointwise, _ = layer.get_weights()
    expected = 0.5 * np.sum(np.square(depthwise)) + 0.25 * np.sum(np.abs(pointwise))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
