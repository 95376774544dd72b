"""Bad input gets a clear error at construction, and leaves models usable."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.layers import Dense, Input, add, concatenate


def test_add_with_incompatible_shapes_names_layer_and_shapes():
    a, b = Input(shape=(3,)), Input(shape=(4,))
    with pytest.raises(ValueError, match=r'"add".*matching shapes.*\(None, 3\), \(None, 4\)'):
        add([a, b])


def test_concatenate_with_incompatible_shapes():
    a, b = Input(shape=(3, 5)), Input(shape=(4, 6))
    with pytest.raises(ValueError, match=r'"concatenate".*\(None, 3, 5\), \(None, 4, 6\)'):
        concatenate([a, b])
    assert concatenate([a, Input(shape=(3, 2))]).shape == (None, 3, 7)


def test_wrong_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r'layer "dense".*min_ndim=2, found ndim=1.*\(None,\)'):
        Dense(3, name="dense")(Input(batch_shape=(None,)))


def test_a_failed_call_leaves_the_layer_unbuilt_and_reusable():
    dense = Dense(3)
    x = Input(shape=(4,))
    dense(x)
    with pytest.raises(ValueError, match=r'"dense".*axis -1.*value 4.*\(None, 5\)'):
        dense(Input(shape=(5,)))
    assert len(dense._inbound_nodes) == 1
    assert dense.output.shape == (None, 3)
    merge = kerax.layers.Add()
    with pytest.raises(ValueError):
        merge([Input(shape=(2,)), Input(shape=(3,))])
    assert not merge.built and merge._inbound_nodes == []
    assert merge([Input(shape=(2,)), Input(shape=(2,))]).shape == (None, 2)


def test_model_called_on_bad_input_stays_usable():
    x = Input(shape=(4,))
    model = kerax.Model(x, Dense(2)(x))
    with pytest.raises(
        ValueError,
        match=r'model "functional".*expected shape \(None, 4\), received shape \(None, 5\)',
    ):
        model(Input(shape=(5,)))
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\)"):
        model(np.ones((2, 5), np.float32))
    assert model(Input(shape=(4,))).shape == (None, 2)
    assert model.predict(np.ones((2, 4), np.float32), verbose=0).shape == (2, 2)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"`units`.*units=-3"):
        Dense(-3)
    with pytest.raises(ValueError, match="Unknown activation: 'rellu'.*'relu'"):
        Dense(3, activation="rellu")
    with pytest.raises(TypeError, match="unexpected keyword"):
        Dense(3, unit=4)


def test_eager_calls_check_the_input_spec_too():
    with pytest.raises(ValueError, match=r'layer "dense".*min_ndim=2, found ndim=1'):
        Dense(2, name="dense")(np.zeros((3,), np.float32))
    dense = Dense(2, name="d2")
    dense(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r'layer "d2".*axis -1.*value 3.*\(1, 4\)'):
        dense(np.zeros((1, 4), np.float32))


def test_a_failed_build_forgets_sublayers_it_created():
    class Composite(kerax.layers.Layer):
        def build(self, input_shape):
            self.inner = Dense(2)
            self.inner._build_guarded(input_shape)
            raise ValueError("Layer 'composite' refuses this input")

        def apply(self, ctx, x):
            return ctx.call(self.inner, x)

    layer = Composite(name="composite")
    with pytest.raises(ValueError, match="refuses"):
        layer(Input(shape=(3,)))
    assert not layer.built and layer._sublayers() == [] and layer.weights == []
