"""Model configs: Keras 3's layout, JSON round trips that rebuild the same graph."""

from __future__ import annotations

import json

import numpy as np

import kerax
from kerax.layers import Dense, Dropout, Input, concatenate


def _model():
    a, b = Input(shape=(4,), name="a"), Input(shape=(3,), name="b")
    shared = Dense(2, name="d")
    h = concatenate([shared(a), b], name="cat")
    out = Dense(1, activation="sigmoid", name="out")(Dropout(0.1, name="drop")(h))
    return kerax.Model([a, b], [out, shared(a)], name="m")


def test_config_follows_keras3_node_layout():
    config = _model().get_config()
    by_name = {entry["name"]: entry for entry in config["layers"]}
    node = by_name["cat"]["inbound_nodes"][0]
    first = node["args"][0][0]
    assert first["class_name"] == "__keras_tensor__"
    assert first["config"] == {"shape": [None, 2], "dtype": "float32", "keras_history": ["d", 0, 0]}
    assert len(by_name["d"]["inbound_nodes"]) == 2
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["out", 0, 0], ["d", 1, 0]]


def test_json_round_trip_rebuilds_the_same_graph():
    model = _model()
    text = model.to_json()
    kerax.backend.clear_session()
    rebuilt = kerax.models.model_from_json(text)
    assert rebuilt.name == "m"
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert json.loads(json.dumps(rebuilt.get_config())) == json.loads(text)["config"]
    rebuilt.set_weights(model.get_weights())
    data = [np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)]
    for ours, theirs in zip(model.predict(data, verbose=0), rebuilt.predict(data, verbose=0)):
        np.testing.assert_allclose(ours, theirs)


def test_nested_and_sequential_round_trip():
    inner = kerax.Sequential(
        [Dense(3, input_shape=(4,), name="s1"), Dense(2, name="s2")], name="seq"
    )
    x = Input(shape=(4,), name="x")
    model = kerax.Model(x, Dense(1, name="head")(inner(x)), name="outer")
    rebuilt = kerax.models.model_from_json(model.to_json())
    assert isinstance(rebuilt.get_layer("seq"), kerax.Sequential)
    assert rebuilt.count_params() == model.count_params()
    rebuilt.set_weights(model.get_weights())
    data = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0))


def test_ops_and_slices_round_trip():
    x = Input(shape=(4,), name="x")
    y = kerax.ops.relu(x[:, 1:3]) * 2.0
    model = kerax.Model(x, y)
    rebuilt = kerax.models.model_from_json(model.to_json())
    data = np.array([[1.0, -2.0, 3.0, 4.0]], np.float32)
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), [[0.0, 6.0]])
