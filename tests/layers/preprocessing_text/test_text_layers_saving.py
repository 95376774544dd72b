"""Adapted vocabularies and idf weights in ``.keras`` files, in Keras 3's layout: the
vocabulary in ``assets/<layer path>/vocabulary.txt``, idf weights in
``<layer path>/vars/idf_weights`` of ``model.weights.h5``."""

from __future__ import annotations

import io
import json
import zipfile

import h5py
import numpy as np

import kerax
from kerax.saving import keras_file

L = kerax.layers


def test_model_with_integer_lookup_round_trip(tmp_path):
    lookup = L.IntegerLookup(output_mode="tf_idf")
    lookup.adapt(np.array([[3, 3, 5], [7, 3, 9]]))
    inputs = kerax.Input(shape=(3,), dtype="int32")
    model = kerax.Model(inputs, L.Dense(2)(lookup(inputs)))
    batch = np.array([[3, 5, 11], [9, 9, 7]], np.int32)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        text = zf.read("assets/layers/integer_lookup/vocabulary.txt").decode()
        with h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f:
            idf = f["layers/integer_lookup/vars/idf_weights"][()]
    assert text.split("\n") == [str(v) for v in lookup.get_vocabulary()]
    np.testing.assert_array_equal(idf, lookup._idf)
    loaded = keras_file.load_model(path)
    assert loaded.layers[1].get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_allclose(
        loaded.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-6
    )


def test_text_vectorization_round_trip(tmp_path):
    layer = L.TextVectorization(output_mode="tf_idf", ngrams=2, name="tv")
    layer.adapt(["the cat sat", "the dog", "a cat"])
    path = tmp_path / "tv.keras"
    keras_file.save_model(layer, path)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    # Keras writes the vocabulary for the layer and for its inner StringLookup.
    assert {"assets/vocabulary.txt", "assets/_lookup_layer/vocabulary.txt"} <= names
    loaded = keras_file.load_model(path)
    assert loaded.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(loaded(["the cat ran"]), layer(["the cat ran"]))


def test_reads_an_archive_in_keras_layout(tmp_path):
    # What Keras 3 writes for an adapted StringLookup (mask token, two OOV slots).
    config = {
        "module": "keras.layers",
        "class_name": "StringLookup",
        "config": {
            "name": "string_lookup",
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "float32"},
                "registered_name": None,
            },
            "invert": False,
            "max_tokens": None,
            "num_oov_indices": 2,
            "oov_token": "[UNK]",
            "mask_token": "[M]",
            "output_mode": "int",
            "sparse": False,
            "pad_to_max_tokens": False,
            "idf_weights": None,
            "vocabulary": None,
            "vocabulary_size": 5,
            "oov_method": "floormod",
            "salt": None,
            "encoding": "utf-8",
        },
        "registered_name": None,
    }
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        f.create_group("vars")
    path = tmp_path / "keras_written.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights.getvalue())
        zf.writestr("assets/vocabulary.txt", "[M]\n[UNK]\n[UNK]\nq\np")
    layer = keras_file.load_model(path)
    assert layer.get_vocabulary() == ["[M]", "[UNK]", "[UNK]", "q", "p"]
    np.testing.assert_array_equal(layer(["p", "q", "[M]"]), [4, 3, 0])


def test_padded_tf_idf_round_trip(tmp_path):
    layer = L.TextVectorization(output_mode="tf_idf", max_tokens=12, pad_to_max_tokens=True)
    layer.adapt(["a b b", "c a", "d"])
    path = tmp_path / "padded.keras"
    keras_file.save_model(layer, path)
    loaded = keras_file.load_model(path)
    np.testing.assert_array_equal(loaded._lookup_layer._idf, layer._lookup_layer._idf)
    np.testing.assert_allclose(loaded(["a b q"]), layer(["a b q"]))
