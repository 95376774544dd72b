"""Differential fuzz: random small functional graphs built in kerax and in real Keras from
the same description, with Keras's weights copied over, must give the same predictions
and the same losses and weights after a few steps of ``fit``.

A description is a list of nodes; each node applies one layer kind to one or two earlier
tensors (branches, merges, shared inputs). Sized for CI: few examples, tiny shapes.
"""

from __future__ import annotations

import keras
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerax

WIDTH = 4
UNARY = ["dense_relu", "dense_tanh", "layer_norm", "batch_norm", "dropout", "sigmoid"]
BINARY = ["add", "multiply", "concat_dense"]


def _unary(lib, kind, x):
    L = lib.layers
    if kind == "dense_relu":
        return L.Dense(WIDTH, activation="relu")(x)
    if kind == "dense_tanh":
        return L.Dense(WIDTH, activation="tanh")(x)
    if kind == "layer_norm":
        return L.LayerNormalization()(x)
    if kind == "batch_norm":
        return L.BatchNormalization()(x)
    if kind == "dropout":
        return L.Dropout(0.0)(x)  # rate 0: the same numbers in both libraries
    return L.Activation("sigmoid")(x)


def _binary(lib, kind, a, b):
    L = lib.layers
    if kind == "add":
        return L.Add()([a, b])
    if kind == "multiply":
        return L.Multiply()([a, b])
    return L.Dense(WIDTH)(L.Concatenate()([a, b]))


def build(lib, plan, outputs):
    inputs = [lib.Input((3,)), lib.Input((WIDTH,))]
    tensors = [lib.layers.Dense(WIDTH)(inputs[0]), inputs[1]]
    for kind, i, j in plan:
        a, b = tensors[i % len(tensors)], tensors[j % len(tensors)]
        tensors.append(_binary(lib, kind, a, b) if kind in BINARY else _unary(lib, kind, a))
    outs = [lib.layers.Dense(1)(tensors[-1 - k]) for k in range(outputs)]
    model = lib.Model(inputs, outs if outputs > 1 else outs[0])
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    return model


plans = st.lists(
    st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 20), st.integers(0, 20)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(plan=plans, outputs=st.integers(1, 2))
def test_random_graphs_match_keras(plan, outputs):
    kerax.backend.clear_session()
    keras.backend.clear_session()
    km, xm = build(keras, plan, outputs), build(kerax, plan, outputs)
    assert [tuple(w.shape) for w in km.weights] == [w.shape for w in xm.weights]
    xm.set_weights(km.get_weights())
    rng = np.random.default_rng(len(plan))
    x = [rng.normal(size=(6, 3)).astype("float32"), rng.normal(size=(6, WIDTH)).astype("float32")]
    ys = [rng.normal(size=(6, 1)).astype("float32") for _ in range(outputs)]
    y = ys if outputs > 1 else ys[0]
    kp, xp = km.predict(x, verbose=0), xm.predict(x, verbose=0)
    for a, b in zip(xp if outputs > 1 else [xp], kp if outputs > 1 else [kp], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    kh = km.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    xh = xm.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(xh.history["loss"], kh.history["loss"], rtol=1e-4, atol=1e-6)
    for a, b in zip(xm.get_weights(), km.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
