"""The guide's node API: layer.output / input / shapes and the *_at(node_index) methods."""

from __future__ import annotations

import pytest

import kerax
from kerax.layers import Dense, Input


def test_single_node_output_and_input():
    a = Input(shape=(5, 4))
    dense = Dense(3)
    out = dense(a)
    assert dense.output is out
    assert dense.output == out
    assert dense.input is a
    assert dense.input_shape == (None, 5, 4)
    assert dense.output_shape == (None, 5, 3)


def test_multiple_nodes_make_output_ambiguous():
    a, b = Input(shape=(5, 4)), Input(shape=(5, 4))
    dense = Dense(3)
    ea, eb = dense(a), dense(b)
    with pytest.raises(
        AttributeError, match=r"multiple inbound nodes.*get_output_at\(node_index\)"
    ):
        _ = dense.output
    with pytest.raises(AttributeError, match=r"get_input_at\(node_index\)"):
        _ = dense.input
    assert dense.get_output_at(0) is ea and dense.get_output_at(1) is eb
    assert dense.get_input_at(1) is b
    # Same shapes on every node: the shape properties stay defined.
    assert dense.input_shape == (None, 5, 4)
    assert dense.output_shape == (None, 5, 3)


def test_nodes_with_different_shapes_make_shapes_ambiguous():
    a, b = Input(shape=(5, 4)), Input(shape=(7, 4))
    dense = Dense(3)
    dense(a)
    assert dense.input_shape == (None, 5, 4)
    dense(b)
    with pytest.raises(AttributeError, match=r"get_input_shape_at\(node_index\)"):
        _ = dense.input_shape
    with pytest.raises(AttributeError, match=r"get_output_shape_at\(node_index\)"):
        _ = dense.output_shape
    assert dense.get_input_shape_at(0) == (None, 5, 4)
    assert dense.get_input_shape_at(1) == (None, 7, 4)
    assert dense.get_output_shape_at(1) == (None, 7, 3)


def test_unconnected_layer_and_bad_index():
    dense = Dense(3)
    with pytest.raises(AttributeError, match="no inbound nodes"):
        _ = dense.output
    with pytest.raises(AttributeError, match="never been called"):
        _ = dense.input_shape
    dense(Input(shape=(2,)))
    with pytest.raises(ValueError, match="only 1 inbound node"):
        dense.get_output_at(3)


def test_model_node_zero_is_its_own_definition():
    x = Input(shape=(4,))
    y = Dense(2)(x)
    model = kerax.Model(x, y)
    assert model.output is y and model.input is x
    assert model.output_shape == (None, 2)
    z = model(Input(shape=(4,)))
    assert model.get_output_at(0) is y
    assert model.get_output_at(1) is z
    assert model.output is y  # still its own outputs after being called
