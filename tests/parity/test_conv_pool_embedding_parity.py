"""Convolution, pooling and Embedding against Keras 3 (JAX backend): same weights,
same numbers.

Each test builds one model in both libraries from the same builder, with one branch
per configuration so that each library compiles once per test, copies Keras's weights
into the kerax model (Keras's weight order) and compares ``predict``, the output
shapes and the parameter counts.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

TOL = {"rtol": 1e-5, "atol": 1e-5}
# Keras compiles its random initializer once per weight shape (about a second each on
# CPU), so the layers with weights start from zeros and _compare draws every weight from
# NumPy instead: the same random values go into both models.
ZEROS = {"kernel_initializer": "zeros"}


def _as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, list | tuple) else [np.asarray(out)]


def _compare(build, data):
    reference = build(keras)
    model = build(kerax)
    assert model.count_params() == reference.count_params()
    assert [tuple(o.shape) for o in _as_list_of_tensors(model.outputs)] == [
        tuple(o.shape) for o in _as_list_of_tensors(reference.outputs)
    ]
    weights = reference.get_weights()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
    rng = np.random.default_rng(123)
    weights = [rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in weights]
    reference.set_weights(weights)
    model.set_weights(weights)
    expected = _as_list(reference.predict(data, verbose=0))
    got = _as_list(model.predict(data, verbose=0))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, **TOL)
    return model, reference


def _as_list_of_tensors(outputs):
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def _branches(lib, cls_name, inputs, configs):
    cls = getattr(lib.layers, cls_name)
    extra = ZEROS if cls_name.startswith("Conv") else {}
    return [cls(**config, **extra)(inputs) for config in configs]


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


CONV1D = [
    {"filters": 4, "kernel_size": 3},
    {"filters": 4, "kernel_size": 3, "padding": "same"},
    {"filters": 4, "kernel_size": 4, "padding": "same"},  # even kernel: uneven padding
    {"filters": 4, "kernel_size": 3, "padding": "causal"},
    {"filters": 3, "kernel_size": 2, "strides": 2},
    {"filters": 3, "kernel_size": 3, "strides": 3, "padding": "same"},
    {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "causal"},
    {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
    {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
    {"filters": 2, "kernel_size": 2, "dilation_rate": 3, "padding": "causal"},
    {"filters": 6, "kernel_size": 3, "groups": 2, "padding": "same"},
    {"filters": 4, "kernel_size": 3, "groups": 4},
    {"filters": 3, "kernel_size": 1, "use_bias": False, "activation": "relu"},
    {"filters": 3, "kernel_size": 3, "data_format": "channels_first"},
    {"filters": 3, "kernel_size": 3, "data_format": "channels_first", "padding": "same"},
    {"filters": 3, "kernel_size": 3, "data_format": "channels_first", "padding": "causal"},
    {"filters": 4, "kernel_size": 2, "data_format": "channels_first", "strides": 2, "groups": 2},
]

CONV2D = [
    {"filters": 3, "kernel_size": 3},
    {"filters": 3, "kernel_size": 3, "padding": "same"},
    {"filters": 3, "kernel_size": (2, 3), "padding": "same"},
    {"filters": 3, "kernel_size": 3, "strides": 2},
    {"filters": 3, "kernel_size": 3, "strides": (2, 1), "padding": "same"},
    {"filters": 3, "kernel_size": 2, "strides": 3, "padding": "same"},
    {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
    {"filters": 2, "kernel_size": (3, 2), "dilation_rate": (1, 2), "padding": "same"},
    {"filters": 4, "kernel_size": 3, "groups": 2},
    {"filters": 8, "kernel_size": 3, "groups": 4, "padding": "same"},
    {"filters": 2, "kernel_size": 1, "use_bias": False, "activation": "tanh"},
    {"filters": 3, "kernel_size": 3, "data_format": "channels_first"},
    {"filters": 3, "kernel_size": (3, 2), "data_format": "channels_first", "padding": "same"},
    {"filters": 3, "kernel_size": 2, "data_format": "channels_first", "strides": 2},
    {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "dilation_rate": 2},
    {"filters": 6, "kernel_size": 3, "data_format": "channels_first", "groups": 3},
]

CONV3D = [
    {"filters": 2, "kernel_size": 2},
    {"filters": 2, "kernel_size": 3, "padding": "same"},
    {"filters": 2, "kernel_size": (1, 2, 3), "strides": (1, 2, 2), "padding": "same"},
    {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1, 2)},
    {"filters": 4, "kernel_size": 2, "groups": 2, "padding": "same"},
    {"filters": 2, "kernel_size": 2, "use_bias": False, "activation": "relu"},
    {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
    {"filters": 2, "kernel_size": 3, "data_format": "channels_first", "padding": "same"},
    {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "strides": 2},
]


@pytest.mark.parametrize("cls_name", ["Conv1D", "Conv2D", "Conv3D"])
def test_conv(cls_name):
    configs, shape = {
        # channels_last reads 4 channels over 8 steps; channels_first reads 8 channels
        # over 4 steps, so every groups setting divides both.
        "Conv1D": (CONV1D, (8, 4)),
        # channels_last: 4 channels of 6x7; channels_first: 6 channels of 7x4.
        "Conv2D": (CONV2D, (6, 7, 4)),
        # channels_last: 2 channels of 4x5x6; channels_first: 4 channels of 5x6x2.
        "Conv3D": (CONV3D, (4, 5, 6, 2)),
    }[cls_name]

    def build(lib):
        inputs = lib.Input(shape)
        return lib.Model(inputs, _branches(lib, cls_name, inputs, configs))

    _compare(build, _data((3, *shape)))


def test_conv_stack():
    """A small image classifier: Conv2D, pooling, Conv2D, global pooling, Dense."""

    def build(lib):
        inputs = lib.Input((10, 10, 3))
        h = lib.layers.Conv2D(4, 3, padding="same", activation="relu", **ZEROS)(inputs)
        h = lib.layers.MaxPooling2D()(h)
        h = lib.layers.Conv2D(6, 3, strides=2, activation="relu", **ZEROS)(h)
        h = lib.layers.GlobalAveragePooling2D()(h)
        return lib.Model(inputs, lib.layers.Dense(2, activation="softmax", **ZEROS)(h))

    _compare(build, _data((4, 10, 10, 3)))


def _pool_configs(rank):
    window = {1: 3, 2: (2, 3), 3: 2}[rank]
    return [
        {},
        {"pool_size": window},
        {"pool_size": window, "strides": 1},
        {"pool_size": window, "padding": "same"},
        {"pool_size": window, "strides": 2, "padding": "same"},
        {"pool_size": 3, "strides": 2},
        {"pool_size": 3, "strides": 1, "padding": "same"},
        {"pool_size": window, "data_format": "channels_first"},
        {"pool_size": window, "data_format": "channels_first", "padding": "same"},
        {"pool_size": 2, "strides": 1, "data_format": "channels_first", "padding": "same"},
    ]


POOL_SHAPES = {1: (7, 3), 2: (5, 7, 3), 3: (4, 5, 3, 3)}


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_pooling(rank):
    shape = POOL_SHAPES[rank]
    configs = _pool_configs(rank)
    average_configs = [{"pool_size": 2, **c} if "pool_size" not in c else c for c in configs]

    def build(lib):
        inputs = lib.Input(shape)
        outputs = _branches(lib, f"MaxPooling{rank}D", inputs, configs)
        outputs += _branches(lib, f"AveragePooling{rank}D", inputs, average_configs)
        return lib.Model(inputs, outputs)

    _compare(build, _data((2, *shape)))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pooling(rank):
    shape = POOL_SHAPES[rank]
    configs = [
        {"data_format": fmt, "keepdims": keep}
        for fmt in ("channels_last", "channels_first")
        for keep in (False, True)
    ]

    def build(lib):
        inputs = lib.Input(shape)
        outputs = _branches(lib, f"GlobalMaxPooling{rank}D", inputs, configs)
        outputs += _branches(lib, f"GlobalAveragePooling{rank}D", inputs, configs)
        return lib.Model(inputs, outputs)

    _compare(build, _data((2, *shape)))


TOKENS = np.array([[3, 5, 0, 0, 0], [0, 0, 2, 7, 1], [4, 0, 6, 0, 9]], "int32")


def test_embedding():
    def build(lib):
        ids = lib.Input((5,), dtype="int32")
        grid = lib.Input((2, 3), dtype="int32")
        as_float = lib.Input((5,), dtype="float32")
        table = lib.layers.Embedding(10, 4)
        return lib.Model(
            [ids, grid, as_float],
            [
                table(ids),
                lib.layers.Embedding(10, 3, embeddings_initializer="glorot_uniform")(grid),
                table(as_float),
            ],
        )

    grid = np.random.default_rng(1).integers(0, 10, size=(3, 2, 3)).astype("int32")
    _compare(build, [TOKENS, grid, TOKENS.astype("float32")])


# Keras warns that Conv1D drops the mask: that is the behaviour under test.
@pytest.mark.filterwarnings("ignore:.*does not support masking")
def test_embedding_mask_into_pooling_and_conv():
    """mask_zero: the masked average skips padding; layers without mask support (Conv1D,
    global max) see every position."""

    def build(lib):
        ids = lib.Input((5,), dtype="int32")
        embedded = lib.layers.Embedding(10, 4, mask_zero=True)(ids)
        first = lib.layers.Embedding(10, 4, mask_zero=True)(ids)
        average = lib.layers.GlobalAveragePooling1D()(embedded)
        kept = lib.layers.GlobalAveragePooling1D(keepdims=True)(first)
        conv = lib.layers.Conv1D(3, 2, padding="causal", **ZEROS)(embedded)
        return lib.Model(ids, [average, kept, lib.layers.GlobalMaxPooling1D()(conv)])

    _compare(build, TOKENS)


def test_masked_global_average_channels_first():
    def build(lib):
        x = lib.Input((3, 5))
        mask = lib.Input((5,), dtype="bool")
        pool = lib.layers.GlobalAveragePooling1D(data_format="channels_first")
        return lib.Model([x, mask], pool(x, mask=mask))

    mask = TOKENS != 0
    _compare(build, [_data((3, 3, 5)), mask])


def test_training_matches():
    """Two SGD steps on a conv net give the same weights in both libraries."""

    def build(lib):
        inputs = lib.Input((6, 6, 2))
        h = lib.layers.Conv2D(3, 3, padding="same", activation="relu", **ZEROS)(inputs)
        h = lib.layers.AveragePooling2D(2, padding="same")(h)
        h = lib.layers.Conv2D(4, 2, **ZEROS)(h)
        h = lib.layers.GlobalMaxPooling2D()(h)
        return lib.Model(inputs, lib.layers.Dense(1, **ZEROS)(h))

    x = _data((4, 6, 6, 2))
    y = _data((4, 1), seed=1)
    model, reference = _compare(build, x)
    for lib_model in (model, reference):
        lib_model.compile(optimizer="sgd", loss="mse")
    for _ in range(2):
        reference.train_on_batch(x, y)
        model.train_on_batch(x, y)
    for got, expected in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, expected, **TOL)
