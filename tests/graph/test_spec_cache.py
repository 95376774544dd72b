"""Graph construction traces each distinct built-in layer call once: repeated blocks of
a deep network reuse the output specs of the first (graph/symbolic.py's cache), with
the same specs as tracing every call, and never for user layers."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kerax
from kerax import layers
from kerax.graph import symbolic


def _residual(blocks):
    x = inp = kerax.Input((8,))
    for _ in range(blocks):
        h = layers.Dense(8, activation="relu")(x)
        h = layers.Dense(8)(h)
        x = layers.LayerNormalization()(layers.Add()([x, h]))
    return kerax.Model(inp, layers.Dense(1)(x))


def _specs(model):
    return [tuple(s.shape for s in node.outputs) for node in model.graph.nodes]


@pytest.fixture
def traces(monkeypatch):
    count = []
    real = jax.eval_shape

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(symbolic.jax, "eval_shape", counting)
    return count


def test_repeated_blocks_trace_once_and_give_the_same_specs(traces, monkeypatch):
    symbolic._SPEC_CACHE.clear()
    cached = _residual(6)
    assert len(traces) <= 5  # Dense relu, Dense, Add, LayerNormalization, the head
    monkeypatch.setattr(symbolic, "_spec_cache_key", lambda *a: None)
    kerax.backend.clear_session()
    traced = _residual(6)
    assert len(traces) > 6 * 4
    assert _specs(cached) == _specs(traced)
    x = np.ones((2, 8), "float32")
    assert cached.predict(x, verbose=0).shape == traced.predict(x, verbose=0).shape == (2, 1)


def test_user_layers_and_unbuilt_sublayers_are_always_traced(traces):
    class Twice(kerax.layers.Layer):
        def call(self, x):
            return x * 2

    inp = kerax.Input((3,))
    Twice()(Twice()(inp))
    assert len(traces) == 2
    wrapped = kerax.Input((2, 3))
    before = len(traces)
    layers.TimeDistributed(layers.Dense(4))(wrapped)
    layers.TimeDistributed(layers.Dense(4))(wrapped)
    # A wrapper whose inner layer is unbuilt before the call is traced each time, so
    # the trace builds it.
    assert len(traces) - before >= 1


def test_layers_wrapping_a_users_function_are_always_traced():
    def make(width):
        def call_fn(params, inputs):  # the same name, different functions
            return kerax.ops.tile(inputs, (1, width)) * params["w"]

        return layers.JaxLayer(call_fn, params={"w": np.ones((), "float32")})

    inp = kerax.Input((2,))
    assert make(1)(inp).shape == (None, 2)
    assert make(3)(inp).shape == (None, 6)
