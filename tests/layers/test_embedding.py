"""Embedding: argument checks, shapes, lookups, masks and configs (parity with Keras
in tests/parity/test_conv_pool_embedding_parity.py)."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

import kerax
from tests.harness import check_layer


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"input_dim": 0, "output_dim": 4}, r"`input_dim`.*input_dim=0"),
        ({"input_dim": -3, "output_dim": 4}, r"`input_dim`.*input_dim=-3"),
        ({"input_dim": 10.0, "output_dim": 4}, r"`input_dim`.*input_dim=10.0"),
        ({"input_dim": 10, "output_dim": 0}, r"`output_dim`.*output_dim=0"),
        ({"input_dim": 10, "output_dim": True}, r"`output_dim`.*output_dim=True"),
        ({"input_dim": 10, "output_dim": 4, "embeddings_initializer": "unifrom"}, r"unifrom"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        kerax.layers.Embedding(**kwargs)


def test_input_length_is_deprecated_and_ignored():
    with pytest.warns(DeprecationWarning, match="input_length.*ignored"):
        layer = kerax.layers.Embedding(10, 3, input_length=5)
    out = layer(kerax.Input((7,), dtype="int32"))
    assert out.shape == (None, 7, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kerax.layers.Embedding(10, 3)


@pytest.mark.parametrize(
    "shape, dtype, expected",
    [
        ((5,), "int32", (None, 5, 4)),
        ((None,), "int32", (None, None, 4)),
        ((2, 3), "int64", (None, 2, 3, 4)),
        ((5,), "float32", (None, 5, 4)),
        ((), "int32", (None, 4)),
    ],
)
def test_output_shape_matches_keras(shape, dtype, expected):
    ours = kerax.layers.Embedding(10, 4)(kerax.Input(shape, dtype=dtype))
    theirs = keras.layers.Embedding(10, 4)(keras.Input(shape, dtype=dtype))
    assert ours.shape == expected == theirs.shape
    assert ours.dtype == theirs.dtype == "float32"


def test_weights_and_default_initializer():
    layer = kerax.layers.Embedding(50, 40)
    layer(kerax.Input((3,), dtype="int32"))
    assert [(w.name, w.shape) for w in layer.weights] == [("embeddings", (50, 40))]
    assert layer.count_params() == 2000
    table = layer.get_weights()[0]
    assert np.all(table >= -0.05) and np.all(table < 0.05)
    assert table.min() < -0.04 and table.max() > 0.04
    config = layer.get_config()["embeddings_initializer"]
    assert config == {
        "module": "keras.initializers",
        "class_name": "RandomUniform",
        "config": {"minval": -0.05, "maxval": 0.05, "seed": None},
        "registered_name": None,
    }


def test_uniform_initializer_alias():
    init = kerax.initializers.get("uniform")
    assert isinstance(init, kerax.initializers.RandomUniform)
    assert (init.minval, init.maxval) == (-0.05, 0.05)


def test_lookup():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = kerax.layers.Embedding(4, 3, weights=table)
    ids = np.array([[3, 0, 1], [2, 2, 0]], "int32")
    np.testing.assert_array_equal(np.asarray(layer(ids)), table[ids])
    # floating ids are cast to int32 (truncated) first
    np.testing.assert_array_equal(np.asarray(layer(ids.astype("float32") + 0.25)), table[ids])
    other = kerax.layers.Embedding(4, 3, weights=[table * 2])
    np.testing.assert_array_equal(other.get_weights()[0], table * 2)


def test_mask_zero():
    plain = kerax.layers.Embedding(5, 2)
    assert not getattr(plain, "creates_mask", False)
    assert plain.compute_mask(np.array([[0, 1]])) is None
    layer = kerax.layers.Embedding(5, 2, mask_zero=True)
    assert layer.creates_mask and layer.supports_masking
    ids = np.array([[0, 1, 4], [3, 0, 0]], "int32")
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ids)), ids != 0)


def test_mask_reaches_downstream_layer():
    inputs = kerax.Input((4,), dtype="int32")
    table = np.array([[100.0], [1.0], [2.0], [3.0]], "float32")
    hidden = kerax.layers.Embedding(4, 1, mask_zero=True, weights=table)(inputs)
    model = kerax.Model(inputs, kerax.layers.GlobalAveragePooling1D()(hidden))
    ids = np.array([[1, 0, 3, 0], [2, 2, 2, 1]], "int32")
    np.testing.assert_allclose(model.predict(ids, verbose=0), [[2.0], [1.75]], rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_dim": 10, "output_dim": 3},
        {"input_dim": 7, "output_dim": 2, "mask_zero": True, "embeddings_regularizer": "l2"},
        {"input_dim": 7, "output_dim": 2, "embeddings_initializer": "glorot_uniform"},
    ],
)
def test_config_matches_keras_and_round_trips(kwargs):
    layer = kerax.layers.Embedding(**kwargs)
    config = layer.get_config()
    assert kerax.layers.Embedding.from_config(config).get_config() == config
    reference = keras.layers.Embedding(**kwargs).get_config()
    for key in ("input_dim", "output_dim", "mask_zero", "embeddings_constraint"):
        assert config[key] == reference[key], key
    for key in ("embeddings_initializer", "embeddings_regularizer"):
        if reference[key] is None:
            assert config[key] is None
        else:
            assert config[key]["class_name"] == reference[key]["class_name"]


def test_regularizer_adds_loss():
    inputs = kerax.Input((2,), dtype="int32")
    layer = kerax.layers.Embedding(3, 2, embeddings_regularizer=kerax.regularizers.L1(0.1))
    model = kerax.Model(inputs, layer(inputs))
    model.compile(optimizer="sgd", loss="mse")
    ids = np.array([[0, 1]], "int32")
    loss = model.test_on_batch(ids, np.asarray(layer(ids)))
    loss = loss[0] if isinstance(loss, list) else loss
    np.testing.assert_allclose(loss, 0.1 * np.abs(layer.get_weights()[0]).sum(), rtol=1e-5)


def test_harness():
    model = check_layer(
        kerax.layers.Embedding,
        {"input_dim": 6, "output_dim": 3},
        (2, 4),
        "int32",
        expected_output_shape=(None, 4, 3),
    )
    assert model.count_params() == 18
