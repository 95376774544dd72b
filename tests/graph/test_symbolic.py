"""Symbolic construction: Input, KerasTensor, recording calls without running them."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.layers import Dense, Input


def test_input_spec_and_names():
    x = Input(shape=(784,))
    assert x.shape == (None, 784)
    assert x.dtype == "float32"
    y = Input(shape=(100,), dtype="int32", name="main_input")
    assert y.shape == (None, 100) and y.dtype == "int32" and y.name == "main_input"
    z = Input(shape=(3,), batch_size=8)
    assert z.shape == (8, 3)
    assert kerax.layers.Input is kerax.Input


def test_input_requires_shape():
    with pytest.raises(ValueError, match="needs a `shape`"):
        Input()
    with pytest.raises(ValueError, match="non-negative integers"):
        Input(shape=(-1,))


def test_call_records_a_node_and_infers_shapes_without_weights():
    x = Input(shape=(20, 16))
    dense = Dense(8)
    y = dense(x)
    assert y.shape == (None, 20, 8)
    assert dense.built
    assert [w.shape for w in dense.weights] == [(16, 8), (8,)]
    # Shape inference allocated nothing: the value cell is still empty.
    assert dense._values is None
    assert len(dense._inbound_nodes) == 1
    assert dense._inbound_nodes[0].output_tensors is y


def test_symbolic_tensor_has_no_value():
    x = Input(shape=(2,))
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)
    with pytest.raises(TypeError, match="holds no data"):
        np.asarray(x)


def test_eager_call_runs_on_arrays():
    dense = Dense(3, kernel_initializer="ones", bias_initializer="zeros")
    out = dense(np.ones((2, 4), np.float32))
    np.testing.assert_allclose(np.asarray(out), np.full((2, 3), 4.0))


def test_default_names_follow_keras():
    a, b = Dense(1), Dense(1)
    assert (a.name, b.name) == ("dense", "dense_1")
    kerax.backend.clear_session()
    assert Dense(1).name == "dense"
