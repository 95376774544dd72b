"""The IR: frozen, hashable, topologically sorted, with Keras's graph errors."""

from __future__ import annotations

import dataclasses
import json

import pytest

import kerax
from kerax.errors import GraphError
from kerax.graph import Graph, Ref, lower, trace
from kerax.layers import Dense, Input, concatenate


def _two_branch():
    a = Input(shape=(4,), name="a")
    b = Input(shape=(3,), name="b")
    h = Dense(5, name="h")(a)
    merged = concatenate([h, b], name="cat")
    out = Dense(1, name="out")(merged)
    return a, b, out


def test_graph_is_frozen_and_hashable():
    a, b, out = _two_branch()
    graph = trace([a, b], out, "m")
    assert isinstance(graph, Graph)
    with pytest.raises(dataclasses.FrozenInstanceError):
        graph.name = "other"  # type: ignore[misc]
    assert hash(graph) == hash(trace([a, b], out, "m"))
    assert graph == trace([a, b], out, "m")
    assert {graph: 1}[trace([a, b], out, "m")] == 1


def test_nodes_are_topologically_sorted_with_keras_ids():
    a, b, out = _two_branch()
    graph = trace([a, b], out, "m")
    assert [n.layer for n in graph.nodes] == ["h", "cat", "out"]
    assert graph.inputs == (Ref("a", 0, 0), Ref("b", 0, 0))
    assert graph.outputs == (Ref("out", 0, 0),)
    assert graph.nodes[1].refs() == [Ref("h", 0, 0), Ref("b", 0, 0)]
    # Layers in Keras 3's order (by depth from the outputs, ties by a walk back from
    # them): real keras gives ['a', 'h', 'b', 'cat', 'out'] for this model too.
    assert [layer.name for layer in graph.layers] == ["a", "h", "b", "cat", "out"]


def test_shared_layer_nodes_are_numbered_per_graph():
    x1, x2 = Input(shape=(2,)), Input(shape=(2,))
    shared = Dense(2, name="shared")
    y = concatenate([shared(x1), shared(x2)])
    graph = trace([x1, x2], y, "m")
    assert [n.id for n in graph.nodes if n.layer == "shared"] == [("shared", 0), ("shared", 1)]
    # A second graph that uses only the second call numbers it 0 in its own graph.
    only_second = trace(x2, shared._inbound_nodes[1].output_tensors, "m2")
    assert [n.id for n in only_second.nodes] == [("shared", 0)]


def test_disconnected_graph_names_the_missing_input():
    a, b, out = _two_branch()
    with pytest.raises(GraphError, match=r'Graph disconnected.*"b".*needed by layer "cat"'):
        trace(a, out, "m")
    with pytest.raises(ValueError, match="Graph disconnected"):
        kerax.Model(a, out)


def test_duplicate_layer_names_are_rejected():
    x = Input(shape=(2,))
    y = Dense(2, name="same")(x)
    z = Dense(2, name="same")(y)
    with pytest.raises(GraphError, match='"same" is used 2 times'):
        kerax.Model(x, z)


def test_outputs_must_be_symbolic_tensors():
    x = Input(shape=(2,))
    with pytest.raises(TypeError, match="must be symbolic tensors"):
        kerax.Model(x, [Dense(1)(x), 3.0])


def test_intermediate_inputs_are_cut_off():
    x = Input(shape=(3,))
    h = Dense(4, name="first")(x)
    y = Dense(2, name="second")(h)
    tail = kerax.Model(h, y)
    assert [n.layer for n in tail.graph.nodes] == ["second"]
    assert tail.graph.input_specs[0].shape == (None, 4)


def test_config_is_json_and_keras_shaped():
    a, b, out = _two_branch()
    config = trace([a, b], out, "m").to_config()
    text = json.dumps(config)
    assert json.loads(text)["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    by_name = {entry["name"]: entry for entry in config["layers"]}
    (tensors,) = by_name["cat"]["inbound_nodes"][0]["args"]
    assert [t["config"]["keras_history"] for t in tensors] == [["h", 0, 0], ["b", 0, 0]]
    assert by_name["h"]["class_name"] == "Dense" and by_name["h"]["config"]["units"] == 5


def test_lowering_needs_no_model():
    a, b, out = _two_branch()
    lowered = lower(trace([a, b], out, "m"))
    assert sorted(lowered.layout.keys.values()) == ["h", "out"]
