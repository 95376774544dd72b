"""kerax.export.ExportArchive: several jax.export endpoints over one set of weights."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import kerax
from kerax.export import ExportArchive, load_archive
from kerax.layers import BatchNormalization, Dense, Dropout, Input


@pytest.fixture(scope="module")
def models():
    x = Input(shape=(3,), name="x")
    h = Dense(5, activation="relu", name="hidden")(x)
    h = BatchNormalization(name="bn")(h)
    out = Dense(2, name="head")(Dropout(0.5)(h))
    model = kerax.Model(x, out)
    # Non-trivial weights everywhere, the normalization statistics included.
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, size=w.shape) for w in model.get_weights()])
    return model, kerax.Model(x, h)


def test_two_endpoints_reload_any_batch(models, tmp_path):
    model, features = models
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serve", model.call, input_signature=[keras.InputSpec(shape=(None, 3), dtype="float32")]
    )
    live = archive.track_and_add_endpoint("features", features, None)
    archive.add_variable_collection("head_weights", model.get_layer("head").weights)
    path = tmp_path / "archive"
    archive.write_out(path, verbose=False)

    reloaded = load_archive(path)
    assert sorted(reloaded.endpoints) == ["features", "serve"]
    for batch in (1, 4, 7):
        data = np.random.default_rng(batch).normal(size=(batch, 3)).astype(np.float32)
        np.testing.assert_allclose(
            np.asarray(reloaded.serve(data)), model.predict(data, verbose=0), rtol=1e-5, atol=1e-6
        )
        expected = features.predict(data, verbose=0)
        np.testing.assert_allclose(np.asarray(reloaded.features(data)), expected, atol=1e-6)
        np.testing.assert_allclose(np.asarray(live(data)), expected, atol=1e-6)
    # The weights are stored once, in Keras's order, with their trainability.
    weights = [w.numpy() for w in model.weights]
    assert len(reloaded.variables) == len(weights)
    for got, want in zip(reloaded.variables, weights):
        np.testing.assert_array_equal(got, want)
    assert len(reloaded.trainable_variables) == len(model.trainable_weights)
    assert len(reloaded.non_trainable_variables) == len(model.non_trainable_weights)
    for got, want in zip(reloaded.head_weights, model.get_layer("head").get_weights()):
        np.testing.assert_array_equal(got, want)


def test_weights_are_arguments_read_at_write_out(tmp_path):
    x = Input(shape=(None, 2))
    model = kerax.Model(x, Dense(3, name="d")(x))
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "double",
        lambda t: model(t, training=False) * 2.0,
        input_signature=[jax.ShapeDtypeStruct((None, None, 2), "float32")],
    )
    model.compile(kerax.optimizers.Adam(), "mse")
    archive.add_variable_collection("optimizer_variables", model.optimizer.variables)
    kernel, bias = model.get_weights()
    model.set_weights([kernel + 1.0, bias - 1.0])  # after add_endpoint, before write_out
    archive.write_out(str(tmp_path / "a"), verbose=False)
    reloaded = load_archive(tmp_path / "a")
    data = np.random.default_rng(1).normal(size=(2, 5, 2)).astype(np.float32)
    expected = 2.0 * (data @ (kernel + 1.0) + (bias - 1.0))
    np.testing.assert_allclose(np.asarray(reloaded.double(data)), expected, rtol=1e-5, atol=1e-5)
    assert reloaded.endpoints["double"].inputs == [{"shape": [None, None, 2], "dtype": "float32"}]
    saved = reloaded.optimizer_variables
    assert len(saved) == len(model.optimizer.variables) > 0
    for got, v in zip(saved, model.optimizer.variables):
        np.testing.assert_array_equal(got, np.asarray(v.value))


def test_refusals_name_the_argument(models, tmp_path):
    model, _ = models
    spec = [jax.ShapeDtypeStruct((None, 3), "float32")]
    archive = ExportArchive()
    with pytest.raises(ValueError, match="format='neptune_model'"):
        ExportArchive(format="neptune_model")
    with pytest.raises(ValueError, match="is_static=False"):
        archive.add_endpoint("serve", model, spec, is_static=False)
    with pytest.raises(ValueError, match="jax2tf_kwargs"):
        archive.add_endpoint("serve", model, spec, jax2tf_kwargs={})
    with pytest.raises(TypeError, match="polymorphic_shapes"):
        archive.add_endpoint("serve", model, spec, polymorphic_shapes=["b, 3"])
    with pytest.raises(ValueError, match="input_signature is required"):
        archive.add_endpoint("serve", lambda t: model(t))
    with pytest.raises(ValueError, match="string input"):
        archive.add_endpoint("text", lambda t: t, [Input(shape=(1,), dtype="string")])
    with pytest.raises(TypeError, match="kerax Layer or Model"):
        archive.track({"a": 1})
    with pytest.raises(ValueError, match="No endpoint"):
        archive.write_out(tmp_path / "empty")
    archive.add_endpoint("serve", model, spec)
    with pytest.raises(ValueError, match="already taken"):
        archive.add_endpoint("serve", model, spec)
    with pytest.raises(ValueError, match="reserved"):
        archive.add_endpoint("variables", model, spec)
    with pytest.raises(ValueError, match="options"):
        archive.write_out(tmp_path / "b", options=object())
    with pytest.raises(FileNotFoundError, match="not an ExportArchive"):
        load_archive(tmp_path)
