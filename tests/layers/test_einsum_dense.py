"""EinsumDense: the harness on several equations, Keras's weight shapes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer


@pytest.mark.parametrize(
    "kwargs, shape, expected, weight_shapes",
    [
        (
            {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"},
            (2, 3),
            (None, 4),
            [(3, 4), (4,)],
        ),
        (
            {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"},
            (2, 5, 6),
            (None, 5, 2, 3),
            [(6, 2, 3), (2, 3)],
        ),
        (
            {
                "equation": "...b,bc->...c",
                "output_shape": 4,
                "bias_axes": "c",
                "activation": "relu",
            },
            (2, 5, 6),
            (None, 5, 4),
            [(6, 4), (4,)],
        ),
        (
            {"equation": "ab...,bc->ac...", "output_shape": 4, "bias_axes": "c"},
            (2, 6, 5, 2),
            (None, 4, 5, 2),
            [(6, 4), (4, 1, 1)],
        ),
        (
            {"equation": "abc,cd->abd", "output_shape": (5, 4), "bias_axes": "bd"},
            (2, 5, 6),
            (None, 5, 4),
            [(6, 4), (5, 4)],
        ),
        (
            {"equation": "abcd,cde->abe", "output_shape": (None, 3)},
            (2, 4, 2, 5),
            (None, 4, 3),
            [(2, 5, 3)],
        ),
    ],
)
def test_harness(kwargs, shape, expected, weight_shapes):
    model = check_layer(layers.EinsumDense, kwargs, shape, expected_output_shape=expected)
    assert [tuple(w.shape) for w in model.layers[-1].weights] == weight_shapes
    assert [w.name for w in model.layers[-1].weights] == ["kernel", "bias"][: len(weight_shapes)]


def test_matches_dense():
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    einsum = layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")
    dense = layers.Dense(4)
    einsum(x), dense(x)
    dense.set_weights(einsum.get_weights())
    np.testing.assert_allclose(np.asarray(einsum(x)), np.asarray(dense(x)), rtol=1e-6)


def test_glorot_fans_follow_input_and_output_axes():
    # Kernel (64, 8, 8): fan_in 64, fan_out 64 as in Keras 3 (not conv-style fans).
    layer = layers.EinsumDense("ab,bcd->acd", output_shape=(8, 8))
    layer(kerax.Input((64,)))
    kernel = layer.get_weights()[0]
    limit = np.sqrt(6.0 / (64 + 64))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        ({"equation": "abc", "output_shape": 3}, "equation"),
        ({"equation": 3, "output_shape": 3}, "equation"),
        ({"equation": "ab,bc->ac", "output_shape": -2}, "output_shape"),
        ({"equation": "ab,bc->ac", "output_shape": "x"}, "output_shape"),
        ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": 1}, "bias_axes"),
    ],
)
def test_constructor_errors(kwargs, arg):
    with pytest.raises(ValueError, match=f"`{arg}`.*{arg}="):
        layers.EinsumDense(**kwargs)


@pytest.mark.parametrize(
    "kwargs, shape, match",
    [
        ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "x"}, (4,), "bias_axes='x'"),
        ({"equation": "a.b,bc->ac", "output_shape": 3}, (4,), "equation='a.b,bc->ac'"),
        ({"equation": "ab,bcd->ac", "output_shape": 3}, (4,), "'d'"),
        ({"equation": "abc,cd->abd", "output_shape": (3, 4)}, (5, 6), "shared axis 'b'"),
        ({"equation": "ab,bc->acd", "output_shape": 3}, (4,), "output_shape"),
    ],
)
def test_build_errors(kwargs, shape, match):
    layer = layers.EinsumDense(**kwargs)
    with pytest.raises(ValueError, match=match):
        layer(kerax.Input(shape))
    assert not layer.built
