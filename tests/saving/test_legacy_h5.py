"""Keras 2 .h5 files (weights-only and whole models), written here in Keras 2's layout."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import kerax


def _dense(name, units, activation):
    return {
        "class_name": "Dense",
        "name": name,
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
    }


def _input(name, dim):
    return {
        "class_name": "InputLayer",
        "name": name,
        "inbound_nodes": [],
        "config": {
            "batch_input_shape": [None, dim],
            "dtype": "float32",
            "sparse": False,
            "ragged": False,
            "name": name,
        },
    }


KERAS2_CONFIG = {
    "class_name": "Functional",
    "config": {
        "name": "model",
        "layers": [
            _input("input_1", 3),
            _input("input_2", 2),
            {**_dense("dense", 4, "relu"), "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {
                "class_name": "Concatenate",
                "name": "concatenate",
                "config": {
                    "name": "concatenate",
                    "trainable": True,
                    "dtype": "float32",
                    "axis": -1,
                },
                "inbound_nodes": [[["dense", 0, 0, {}], ["input_2", 0, 0, {}]]],
            },
            {**_dense("dense_1", 1, "sigmoid"), "inbound_nodes": [[["concatenate", 0, 0, {}]]]},
        ],
        "input_layers": [["input_1", 0, 0], ["input_2", 0, 0]],
        "output_layers": [["dense_1", 0, 0]],
    },
    "keras_version": "2.15.0",
    "backend": "tensorflow",
}

RNG = np.random.default_rng(0)
WEIGHTS = {
    "dense": [RNG.normal(size=(3, 4)).astype(np.float32), RNG.normal(size=(4,)).astype(np.float32)],
    "dense_1": [
        RNG.normal(size=(6, 1)).astype(np.float32),
        RNG.normal(size=(1,)).astype(np.float32),
    ],
}


def _write_weights(group):
    names = ["input_1", "input_2", "dense", "concatenate", "dense_1"]
    group.attrs["layer_names"] = [n.encode() for n in names]
    for name in names:
        g = group.create_group(name)
        arrays = WEIGHTS.get(name, [])
        wnames = [f"{name}/kernel:0", f"{name}/bias:0"][: len(arrays)]
        g.attrs["weight_names"] = [w.encode() for w in wnames]
        for w, a in zip(wnames, arrays):
            g.create_dataset(w, data=a)


def _expected(a, b):
    h = np.maximum(a @ WEIGHTS["dense"][0] + WEIGHTS["dense"][1], 0)
    z = np.concatenate([h, b], -1) @ WEIGHTS["dense_1"][0] + WEIGHTS["dense_1"][1]
    return 1 / (1 + np.exp(-z))


def test_whole_keras2_model(tmp_path):
    path = str(tmp_path / "model.h5")
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(KERAS2_CONFIG)
        f.attrs["keras_version"] = "2.15.0"
        _write_weights(f.create_group("model_weights"))
    model = kerax.models.load_model(path)
    a = RNG.normal(size=(5, 3)).astype(np.float32)
    b = RNG.normal(size=(5, 2)).astype(np.float32)
    np.testing.assert_allclose(model.predict([a, b], verbose=0), _expected(a, b), rtol=1e-5)


def test_keras2_weights_file_by_layer_name(tmp_path):
    path = str(tmp_path / "weights.h5")
    with h5py.File(path, "w") as f:
        _write_weights(f)
    x1, x2 = kerax.Input((3,), name="input_1"), kerax.Input((2,), name="input_2")
    h = kerax.layers.Dense(4, activation="relu", name="dense")(x1)
    out = kerax.layers.Dense(1, activation="sigmoid", name="dense_1")(
        kerax.layers.concatenate([h, x2])
    )
    model = kerax.Model([x1, x2], out)
    model.load_weights(path)
    a, b = np.ones((2, 3), np.float32), np.zeros((2, 2), np.float32)
    np.testing.assert_allclose(model.predict([a, b], verbose=0), _expected(a, b), rtol=1e-5)
    other = kerax.Model(x1, kerax.layers.Dense(4, name="dense_9")(x1))
    with pytest.raises(
        ValueError, match=r"weights\.h5.*no weights for layer 'dense_9'.*No weight was changed"
    ):
        other.load_weights(path)
