"""LoRA on Dense, EinsumDense and Embedding, against Keras 3: weights, numbers,
training, configs and files both ways."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from tests.harness import copy_keras_weights, weight_signature


def _dense(lib):
    layer = lib.layers.Dense(3, kernel_regularizer="l2")
    layer.build((None, 4))
    layer.enable_lora(2, lora_alpha=6)
    return layer


def _einsum(lib):
    # The constructor path; EinsumDense keeps lora_alpha in Keras too.
    layer = lib.layers.EinsumDense(
        "abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", lora_rank=2, lora_alpha=5
    )
    layer.build((None, 3, 4))
    return layer


def _embedding(lib):
    layer = lib.layers.Embedding(6, 3, mask_zero=True, embeddings_regularizer="l1")
    layer.build()
    layer.enable_lora(2, lora_alpha=3, a_initializer="glorot_uniform")
    return layer


CASES = {
    "Dense": (_dense, np.random.default_rng(0).normal(size=(2, 4)).astype("float32")),
    "EinsumDense": (_einsum, np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")),
    "Embedding": (_embedding, np.array([[0, 1, 5], [2, 3, 4]], "int32")),
}


def _names(weights):
    return [w.name for w in weights]


@pytest.mark.parametrize("case", sorted(CASES))
def test_weights_outputs_and_config_match_keras(case):
    build, x = CASES[case]
    reference, layer = build(keras), build(kerax)
    assert layer.lora_enabled and reference.lora_enabled
    assert weight_signature(layer) == weight_signature(reference)
    assert _names(layer.trainable_weights) == _names(reference.trainable_weights)
    assert _names(layer.non_trainable_weights) == _names(reference.non_trainable_weights)
    copy_keras_weights(reference, layer)  # random b too, so the update is not zero
    assert len(layer.losses) == len(reference.losses)
    np.testing.assert_allclose(
        [float(v) for v in layer.losses], [float(v) for v in reference.losses], rtol=1e-5
    )
    np.testing.assert_allclose(layer(x), reference(x), rtol=1e-5, atol=1e-5)
    target = "embeddings" if case == "Embedding" else "kernel"
    np.testing.assert_allclose(
        getattr(layer, target), getattr(reference, target), rtol=1e-5, atol=1e-6
    )
    ours, theirs = layer.get_config(), reference.get_config()
    assert (ours["lora_rank"], ours["lora_alpha"]) == (theirs["lora_rank"], theirs["lora_alpha"])


def test_scale_is_alpha_over_rank():
    """Against NumPy; kerax's Dense honours a constructor ``lora_alpha`` (Keras 3.15.1's
    Dense and Embedding replace it by the rank when they build)."""
    layer = kerax.layers.Dense(2, use_bias=False, lora_rank=2, lora_alpha=8)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    layer.build((None, 3))
    rng = np.random.default_rng(3)
    k, a, b = (rng.normal(size=w.shape).astype("float32") for w in layer.weights)
    layer.set_weights([k, a, b])
    np.testing.assert_allclose(layer(x), x @ (k + 4.0 * a @ b), rtol=1e-5)
    assert layer.get_config()["lora_alpha"] == 8


def _model(lib):
    x = lib.Input((3,), dtype="int32")
    h = lib.layers.Embedding(6, 4, name="emb")(x)
    h = lib.layers.Dense(5, activation="tanh", name="d1")(h)
    h = lib.layers.EinsumDense("abc,cd->abd", (3, 2), bias_axes="d", name="ed")(h)
    return lib.Model(x, lib.layers.Dense(2, name="d2")(h))


#: The LoRA layers of ``_model``, their adapted weight, and the ``lora_alpha`` Keras
#: keeps when it builds them from a config (its Dense and Embedding take the rank).
LORA = {"emb": ("embeddings", 2), "d1": ("kernel", 2), "ed": ("kernel", 4)}


def _twins():
    """The same built model in both libraries, LoRA enabled on built layers."""
    reference, model = _model(keras), _model(kerax)
    copy_keras_weights(reference, model)
    for lib_model in (reference, model):
        for name in LORA:  # the values are copied below; zeros draw fastest
            lib_model.get_layer(name).enable_lora(2, lora_alpha=4, a_initializer="zeros")
    copy_keras_weights(reference, model, seed=5)
    return reference, model


def _ids(seed, rows=8):
    return np.random.default_rng(seed).integers(0, 6, size=(rows, 3)).astype("int32")


def test_fit_trains_only_the_lora_weights_as_keras_does():
    reference, model = _twins()
    frozen = {name: model.get_layer(name).weights[0].numpy().copy() for name in LORA}
    x, y = _ids(2), np.random.default_rng(2).normal(size=(8, 3, 2)).astype("float32")
    for lib_model, lib in ((reference, keras), (model, kerax)):
        lib_model.compile(lib.optimizers.SGD(0.1), "mse")
        lib_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for name, (target, _) in LORA.items():
        np.testing.assert_array_equal(model.get_layer(name).weights[0].numpy(), frozen[name])
        pair = getattr(model.get_layer(name), f"lora_{target}_b")
        assert not np.allclose(pair.numpy(), 0.0)
    assert len(model.trainable_weights) == len(reference.trainable_weights) == 10
    for got, expected in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def _check_loaded(loaded, source, by_keras=False):
    """A loaded LoRA model: LoRA on, its pairs reset to zeros, the merged weights in
    place (the same outputs as the saved model)."""
    for name, (target, keras_alpha) in LORA.items():
        layer = loaded.get_layer(name)
        alpha = keras_alpha if by_keras else 4
        assert layer.lora_enabled and layer.lora_rank == 2 and layer.lora_alpha == alpha
        assert not layer.weights[0].trainable
        for half in "ab":
            np.testing.assert_array_equal(getattr(layer, f"lora_{target}_{half}").numpy(), 0.0)
    x = _ids(4, rows=3)
    np.testing.assert_allclose(
        np.asarray(loaded.predict(x, verbose=0)),
        np.asarray(source.predict(x, verbose=0)),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Each library's LoRA model, saved as ``.keras`` and ``.weights.h5``."""
    kerax.backend.clear_session()
    reference, model = _twins()
    tmp = tmp_path_factory.mktemp("lora")
    out = {"keras": reference, "kerax": model}
    for name, lib_model in out.items():
        lib_model.save(tmp / f"{name}.keras")
        lib_model.save_weights(tmp / f"{name}.weights.h5")
    return tmp, out


def test_keras_file_of_kerax_loads_in_keras_and_back(files):
    tmp, models = files
    _check_loaded(keras.saving.load_model(tmp / "kerax.keras"), models["kerax"], by_keras=True)
    _check_loaded(kerax.saving.load_model(tmp / "keras.keras"), models["keras"])
    _check_loaded(kerax.saving.load_model(tmp / "kerax.keras"), models["kerax"])


@pytest.mark.parametrize("source, target", [("kerax", keras), ("keras", kerax)])
def test_weights_file_loads_into_a_lora_model(files, source, target):
    tmp, models = files
    twin = _model(target)
    for name in LORA:
        twin.get_layer(name).enable_lora(2, lora_alpha=4)
    twin.load_weights(tmp / f"{source}.weights.h5")
    _check_loaded(twin, models[source])


def test_weights_file_of_a_lora_model_loads_into_a_plain_one(files):
    tmp, models = files
    plain = _model(kerax)
    plain.load_weights(tmp / "kerax.weights.h5")
    x = _ids(4, rows=3)
    np.testing.assert_allclose(
        plain.predict(x, verbose=0), models["kerax"].predict(x, verbose=0), rtol=1e-5, atol=1e-5
    )


def test_enable_lora_errors():
    layer = kerax.layers.Dense(2)
    with pytest.raises(ValueError, match="not\\s+built"):
        layer.enable_lora(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match="`rank`.*rank=0"):
        layer.enable_lora(0)
    layer.enable_lora(1)
    with pytest.raises(ValueError, match="already enabled"):
        layer.enable_lora(1)
    constrained = kerax.layers.Embedding(4, 2, embeddings_constraint="non_neg")
    constrained.build()
    with pytest.raises(ValueError, match="embeddings_constraint"):
        constrained.enable_lora(2)
    with pytest.raises(ValueError, match="`lora_rank`.*lora_rank=1.5"):
        kerax.layers.EinsumDense("ab,bc->ac", 2, lora_rank=1.5)


def test_configs_never_drop_lora_or_quantization():
    conv = keras.layers.Conv2D(2, 3, lora_rank=2)
    entry = keras.saving.serialize_keras_object(conv)
    with pytest.raises(ValueError, match="'lora_rank'.*Dense, EinsumDense and Embedding"):
        kerax.saving.deserialize_keras_object(entry)
    dense = keras.saving.serialize_keras_object(keras.layers.Dense(2, lora_rank=3))
    assert kerax.saving.deserialize_keras_object(dense).lora_rank == 3
    dense["config"]["quantization_config"] = {"class_name": "Int8QuantizationConfig"}
    with pytest.raises(ValueError, match="quantization_config"):
        kerax.saving.deserialize_keras_object(dense)
