"""Sequential: list constructor, add, pop, input_shape / input_dim, deferred build."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.layers import Dense, Input
from kerax.models import Sequential


def test_add_with_input_dim_builds_immediately():
    model = Sequential()
    model.add(Dense(2, input_dim=1))
    assert model.built
    assert model.input_shape == (None, 1)
    assert model.output_shape == (None, 2)
    assert model.count_params() == 4


def test_list_constructor_input_shape_and_layers():
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3)])
    assert model.output_shape == (None, 3)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3


def test_input_as_first_element():
    model = Sequential([Input(shape=(5,)), Dense(2)])
    assert model.input_shape == (None, 5)
    assert len(model.layers) == 1


def test_deferred_build_from_data_and_fit():
    model = Sequential([Dense(4, activation="relu"), Dense(1)])
    assert not model.built
    with pytest.raises(ValueError, match="not built"):
        model.count_params()
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32)
    model.fit(x, x.sum(-1, keepdims=True), epochs=1, verbose=0)
    assert model.built and model.input_shape == (None, 3)
    assert model.predict(x, verbose=0).shape == (32, 1)


def test_pop_removes_the_last_layer():
    model = Sequential([Dense(4, input_dim=3), Dense(2)])
    last = model.pop()
    assert last.name == "dense_1"
    assert model.output_shape == (None, 4)
    assert last._inbound_nodes == []
    model.add(Dense(5))
    assert model.output_shape == (None, 5)
    with pytest.raises(IndexError):
        Sequential().pop()


def test_sequential_as_a_layer_in_a_functional_graph():
    vision = Sequential([Dense(6, activation="relu", input_shape=(4,)), Dense(2)])
    a, b = Input(shape=(4,)), Input(shape=(4,))
    merged = kerax.layers.concatenate([vision(a), vision(b)])
    model = kerax.Model([a, b], Dense(1)(merged))
    assert model.count_params() == vision.count_params() + 5
    x = np.ones((3, 4), np.float32)
    np.testing.assert_allclose(
        model.get_layer(index=2)([x]) if False else vision.predict(x, verbose=0),
        np.asarray(vision(x)),
        rtol=1e-6,
    )


def test_deferred_sequential_built_by_a_symbolic_call():
    seq = Sequential([Dense(3), Dense(2)])
    x = Input(shape=(7,))
    y = seq(x)
    assert y.shape == (None, 2) and seq.built and seq.input_shape == (None, 7)


def test_bad_add_leaves_the_model_intact():
    model = Sequential([Dense(4, input_dim=3)])
    with pytest.raises(TypeError, match="expects a layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="dense"))
    assert model.output_shape == (None, 4)
    model.add(Dense(2))
    assert model.output_shape == (None, 2)
