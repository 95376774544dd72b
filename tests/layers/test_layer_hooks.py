"""The public methods built-in layers add to Keras's Layer API, each classified: kerax
calls it through the instance (so an override is used) or it is only called by users.
A new public method fails here until it is classified; the ones kerax calls get a
behaviour check (here, or in the conformance suite)."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

import kerax
from kerax.layers import Layer

#: name -> how an override takes effect.
HOOKS = {
    "convolution_op": "conv apply calls self.convolution_op (test_custom_layer_conformance)",
    "get_initial_state": "recurrent layers start from self.get_initial_state (below)",
    "get_random_transformation": "image augmentation apply draws through it (below)",
    "transform_images": "image augmentation apply transforms through it (below)",
    "host_transform": "the data path maps raw inputs through it (preprocessing_text)",
    "output_dtype": "symbolic calls of host-only layers read it (preprocessing_text)",
    "save_assets": "saving calls it for each layer (preprocessing_text)",
    "load_assets": "loading calls it for each layer (preprocessing_text)",
    "state_size": "an RNN reads its cell's (test_recurrent)",
    "output_size": "an RNN reads its cell's (test_recurrent)",
    "adapt": "called by users",
    "finalize_state": "called by users",
    "get_vocabulary": "called by users",
    "set_vocabulary": "called by users",
    "vocabulary_size": "called by users",
    "hash_values": "called by users",
    "enable_lora": "called by users (test_lora)",
    "transform_labels": "MixUp / CutMix mix labels through it (test_prep_mixing)",
    "kernel": "read by users; overriding it is refused (below)",
    "embeddings": "read by users; overriding it is refused (below)",
}


def _added_public_methods() -> set[str]:
    base = set(dir(Layer))
    names = set()
    for name in kerax.layers.__all__:
        cls = getattr(kerax.layers, name)
        if not (inspect.isclass(cls) and issubclass(cls, Layer)):
            continue
        for klass in cls.__mro__:
            if klass is Layer:
                break
            for attr, value in vars(klass).items():
                if attr.startswith("_") or attr in base:
                    continue
                if callable(value) or isinstance(value, property | classmethod | staticmethod):
                    names.add(attr)
    return names


def test_every_added_public_method_is_classified():
    assert _added_public_methods() == set(HOOKS)


X = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN", "RNN"])
def test_get_initial_state_override_matches_keras(name):
    outs, weights = [], None
    for lib in (keras, kerax):
        n = 2 if name == "LSTM" else 1
        base = getattr(lib.layers, name)

        class Learned(base):
            def get_initial_state(self, batch_size):
                return [lib.ops.ones((batch_size, 2))] * n  # noqa: B023 - used in this iteration

        layer = Learned(lib.layers.SimpleRNNCell(2)) if name == "RNN" else Learned(2)
        layer(X)
        if weights is None:
            weights = layer.get_weights()
        else:
            layer.set_weights(weights)
        outs.append(np.asarray(layer(X)))
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-6)
    plain_cls = getattr(kerax.layers, name)
    plain = plain_cls(kerax.layers.SimpleRNNCell(2)) if name == "RNN" else plain_cls(2)
    plain(X)
    plain.set_weights(weights)
    assert not np.allclose(np.asarray(plain(X)), outs[1])  # the override changed the result


def test_image_augmentation_hooks_are_used():
    images = np.random.default_rng(1).random((2, 4, 4, 3)).astype("float32")

    class Negate(kerax.layers.RandomFlip):
        def get_random_transformation(self, data, training=True, seed=None):
            return {"sign": -1.0}

        def transform_images(self, images, transformation=None, training=True):
            if transformation is None:
                return images
            return images * transformation["sign"]

    layer = Negate()
    np.testing.assert_allclose(np.asarray(layer(images, training=True)), -images)
    np.testing.assert_allclose(np.asarray(layer(images, training=False)), images)


@pytest.mark.parametrize("base", ["Dense", "Embedding"])
def test_overriding_a_weight_view_the_layer_does_not_read_is_refused(base):
    name = "kernel" if base == "Dense" else "embeddings"
    with pytest.raises(TypeError, match=f"overrides `{name}`.*override `call`"):
        type("Scaled", (getattr(kerax.layers, base),), {name: property(lambda self: 0)})

    class Own(kerax.layers.Layer):  # a layer of the user's own may name a property so
        @property
        def kernel(self):
            return 1

    assert Own().kernel == 1
