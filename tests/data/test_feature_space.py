"""FeatureSpace, in the style of Keras's "structured data classification with
FeatureSpace" example: adapt on dict batches, build a model on the encoded features,
train it on preprocessed data, and predict end to end from raw dict inputs.

Keras's own FeatureSpace needs TensorFlow (``tf.data``) to adapt, which the test
environment lacks, so the encoded values are checked feature by feature: the numeric
columns against Keras's ``Normalization`` / ``Discretization`` / ``CategoryEncoding``
(which run on JAX), adapted on the same 32-row batches Keras's FeatureSpace feeds them;
the categorical columns against kerax's lookup, hashing and crossing layers, whose
indices are checked against Keras elsewhere.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import kerax

FS = kerax.utils.FeatureSpace
N = 48


def _data(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    data = {
        "age": rng.normal(50, 10, N).astype("float32"),
        "chol": rng.uniform(100, 300, N).astype("float32"),
        "ca": rng.integers(0, 4, N),
        "thal": rng.choice(["fixed", "normal", "reversible"], N),
        "city": rng.choice(["paris", "rome", "oslo", "lima"], N),
        "sex": rng.integers(0, 2, N),
        "raw": rng.normal(size=N).astype("float32"),
        "zip": rng.integers(10_000, 99_999, N),
    }
    target = ((data["chol"] > 200) ^ (data["thal"] == "fixed")).astype("float32")
    return data, target


def _space(output_mode: str = "concat") -> FS:
    return FS(
        features={
            "age": FS.float_discretized(num_bins=4),
            "chol": FS.float_normalized(),
            "ca": FS.integer_categorical(num_oov_indices=0),
            "thal": FS.string_categorical(),
            "city": FS.string_hashed(num_bins=5),
            "sex": "integer_categorical",
            "raw": "float",
            "zip": FS.integer_hashed(num_bins=4),
        },
        crosses=[FS.cross(("sex", "thal"), crossing_dim=8), ("ca", "city")],
        crossing_dim=6,
        output_mode=output_mode,
    )


@pytest.fixture(scope="module")
def adapted():
    data, target = _data()
    space = _space()
    space.adapt(kerax.utils.HostDataset.from_tensor_slices(data).batch(16))
    return space, data, target, np.asarray(space(data))


def _keras_adapted(layer, column: np.ndarray, batch: int) -> np.ndarray:
    for i in range(0, len(column), batch):
        layer.update_state(column[i : i + batch, None])
    layer.finalize_state()
    return np.asarray(layer(column[:, None]))


def test_encoded_columns_match_the_reference_layers(adapted):
    space, data, _, got = adapted
    age = keras.layers.Discretization(num_bins=4)
    age_idx = _keras_adapted(age, data["age"], 16)
    chol = keras.layers.Normalization(axis=-1)
    chol.adapt(data["chol"][:, None])
    onehot = lambda idx, n: np.asarray(  # noqa: E731
        keras.layers.CategoryEncoding(n, output_mode="multi_hot")(np.asarray(idx).reshape(-1, 1))
    )
    L = kerax.layers
    ca = L.IntegerLookup(num_oov_indices=0)
    ca.adapt(data["ca"])
    sex = L.IntegerLookup()
    sex.adapt(data["sex"])
    thal = L.StringLookup()
    thal.adapt(data["thal"])
    ca_i, sex_i, thal_i = ca(data["ca"]), sex(data["sex"]), thal(data["thal"])
    city_i = L.Hashing(num_bins=5)(data["city"])
    expected = np.concatenate(
        [
            onehot(age_idx, 4),  # sorted names: age, ca, chol, city, raw, sex, thal, zip
            onehot(ca_i, 4),
            np.asarray(chol(data["chol"][:, None])),
            onehot(city_i, 5),
            data["raw"][:, None],
            onehot(sex_i, 3),
            onehot(thal_i, 4),
            onehot(L.Hashing(num_bins=4)(data["zip"]), 4),
            onehot(L.HashedCrossing(6)((np.asarray(ca_i), np.asarray(city_i))), 6),
            onehot(L.HashedCrossing(8)((np.asarray(sex_i), np.asarray(thal_i))), 8),
        ],
        axis=1,
    )
    assert got.shape == (N, 40)
    assert tuple(space.get_encoded_features().shape) == (None, 40)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_model_on_encoded_features_trains_and_predicts_from_raw_inputs(adapted, tmp_path):
    space, data, target, preprocessed = adapted
    encoded = space.get_encoded_features()
    hidden = kerax.layers.Dense(8, activation="relu")(encoded)
    out = kerax.layers.Dense(1, activation="sigmoid")(hidden)
    training_model = kerax.Model(encoded, out)
    training_model.compile("adam", "binary_crossentropy")
    training_model.fit(preprocessed, target, batch_size=16, epochs=2, verbose=0)
    inference_model = kerax.Model(space.get_inputs(), out)
    raw = {key: list(value) for key, value in data.items()}  # plain lists, as a user has
    got = inference_model.predict(raw, batch_size=N, verbose=0)
    expected = training_model.predict(preprocessed, batch_size=N, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.std(got) > 0  # trained weights, different rows
    path = str(tmp_path / "inference.keras")
    inference_model.save(path)
    reloaded = kerax.saving.load_model(path)
    np.testing.assert_allclose(
        reloaded.predict(raw, batch_size=N, verbose=0), got, rtol=1e-6, atol=1e-7
    )


def test_dict_output_config_round_trip_and_errors():
    data, _ = _data(1)
    space = _space("dict")
    space.adapt(data)
    out = space(data)
    single = space({key: value[3] for key, value in data.items()})
    for key, value in out.items():
        np.testing.assert_allclose(np.asarray(single[key]), np.asarray(value[3]), atol=1e-6)
    assert sorted(out) == [
        "age",
        "ca",
        "ca_X_city",
        "chol",
        "city",
        "raw",
        "sex",
        "sex_X_thal",
        "thal",
        "zip",
    ]
    assert out["city"].shape == (N, 5) and out["raw"].shape == (N, 1)
    config = json.loads(json.dumps(space.get_config()))
    clone = FS.from_config(config)
    assert (clone.output_mode, [c.name for c in clone.crosses]) == (
        "dict",
        ["sex_X_thal", "ca_X_city"],
    )
    assert {k: f.output_mode for k, f in clone.features.items()} == {
        k: f.output_mode for k, f in space.features.items()
    }
    with pytest.raises(ValueError, match="adapt"):
        clone.get_encoded_features()
    with pytest.raises(ValueError, match="unknown features"):
        FS({"a": "float"}, crosses=[("a", "b")])
    with pytest.raises(ValueError, match="Invalid feature type|invalid feature type"):
        FS({"a": "floaty"})
    with pytest.raises(ValueError, match="output_mode"):
        FS({"a": "float"}, output_mode="stack")
    with pytest.raises(NotImplementedError, match="get_encoded_features"):
        space.save("space.keras")
    with pytest.raises(ValueError, match="only be called with a dict"):
        space([1, 2])
    ints = FS({"n": FS.integer_categorical(output_mode="int")})
    with pytest.raises(ValueError, match="has not been encoded"):
        ints.adapt({"n": np.arange(5)})
