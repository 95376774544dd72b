"""clone_model against keras.models.clone_model: same architecture, fresh weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

X = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)


def functional(lib):
    x = lib.Input(shape=(4,), name="x")
    inner_in = lib.Input(shape=(3,), name="inner_in")
    inner = lib.Model(inner_in, lib.layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    h = lib.layers.Dense(3, activation="relu", name="d1")(x)
    h = lib.layers.Dropout(0.5, name="drop")(h)
    out = lib.layers.Dense(2, name="d2")(inner(h))
    return lib.Model(x, out, name="net")


def sequential(lib):
    return lib.Sequential(
        [lib.Input(shape=(4,)), lib.layers.Dense(3, name="s1"), lib.layers.Dense(2, name="s2")],
        name="seq",
    )


def _summary(model):
    return [(type(layer).__name__, layer.name) for layer in model.layers]


@pytest.mark.parametrize("build", [functional, sequential])
def test_clone_matches_keras(build):
    original, k_original = build(kerax), build(keras)
    clone = kerax.models.clone_model(original)
    k_clone = keras.models.clone_model(k_original)
    assert type(clone) is type(original)
    assert clone.name == k_clone.name == original.name
    assert [n for _, n in _summary(clone)] == [n for _, n in _summary(k_clone)]
    assert clone.get_config() == original.get_config()
    # Fresh weights, as in Keras; the layers are new objects.
    assert all(a is not b for a, b in zip(clone.layers, original.layers))
    assert any(not np.allclose(a, b) for a, b in zip(clone.get_weights(), original.get_weights()))
    weights = original.get_weights()
    clone.set_weights(weights)
    k_clone.set_weights(weights)
    np.testing.assert_allclose(clone.predict(X, verbose=0), original.predict(X, verbose=0))
    np.testing.assert_allclose(
        clone.predict(X, verbose=0), k_clone.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_clone_function_call_function_and_input_tensors():
    original = functional(kerax)
    k_original = functional(keras)

    def rename(lib):
        def clone(layer):
            config = layer.get_config()
            config["name"] = layer.name + "_c"
            return layer.__class__.from_config(config)

        return clone

    renamed = kerax.models.clone_model(original, clone_function=rename(kerax))
    k_renamed = keras.models.clone_model(k_original, clone_function=rename(keras))
    assert [n for _, n in _summary(renamed)] == [n for _, n in _summary(k_renamed)]

    called = []

    def call(layer, *args, **kwargs):
        called.append(layer.name)
        return layer(*args, **kwargs)

    kerax.models.clone_model(original, call_function=call)
    k_called = list(called)
    called.clear()
    keras.models.clone_model(k_original, call_function=call)
    assert k_called == called

    new_input = kerax.Input(shape=(4,), name="fresh")
    on_input = kerax.models.clone_model(original, input_tensors=new_input)
    assert on_input.layers[0].name == "fresh"
    with pytest.raises(ValueError, match="input_tensors"):
        kerax.models.clone_model(original, input_tensors=[new_input, new_input])
    seq_input = kerax.Input(shape=(4,), name="seq_in")
    seq = kerax.models.clone_model(sequential(kerax), input_tensors=seq_input)
    assert seq.predict(X, verbose=0).shape == (2, 2)
    with pytest.raises(ValueError, match="call_function.*Sequential"):
        kerax.models.clone_model(sequential(kerax), call_function=call)
    with pytest.raises(ValueError, match=r"Unexpected keyword argument\(s\): \('foo',\)"):
        kerax.models.clone_model(original, foo=1)


def test_recursive_clones_nested_models_with_the_clone_function():
    def seen_by_clone_function(lib, recursive):
        seen = []

        def clone(layer):
            seen.append(layer.name)
            return layer.__class__.from_config(layer.get_config())

        lib.models.clone_model(functional(lib), clone_function=clone, recursive=recursive)
        return seen

    for recursive in (True, False):
        seen = seen_by_clone_function(kerax, recursive)
        assert seen == seen_by_clone_function(keras, recursive)
        assert ("inner_dense" in seen) is recursive
