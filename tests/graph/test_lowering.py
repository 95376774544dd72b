"""The lowered init / apply: pure, and usable in the user's own jit, grad and vmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import kerax
from kerax.layers import Dense, Input


def _mlp():
    inputs = Input(shape=(6,))
    x = Dense(5, activation="relu", name="h")(inputs)
    outputs = Dense(3, activation="softmax", name="out")(x)
    return kerax.Model(inputs, outputs)


def _numpy_forward(variables, x):
    p = variables["params"]
    h = np.maximum(x @ np.asarray(p["h"]["kernel"]) + np.asarray(p["h"]["bias"]), 0)
    z = h @ np.asarray(p["out"]["kernel"]) + np.asarray(p["out"]["bias"])
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_init_layout_and_apply_matches_numpy():
    model = _mlp()
    variables = model.lowered.init(jax.random.key(1))
    assert set(variables) == {"params", "state"}
    assert {k: {n: v.shape for n, v in d.items()} for k, d in variables["params"].items()} == {
        "h": {"kernel": (6, 5), "bias": (5,)},
        "out": {"kernel": (5, 3), "bias": (3,)},
    }
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    out, state = model.lowered.apply(variables, x)
    np.testing.assert_allclose(np.asarray(out), _numpy_forward(variables, x), rtol=1e-5, atol=1e-6)
    assert state == {"h": {}, "out": {}}


def test_apply_is_pure():
    model = _mlp()
    lowered = model.lowered
    variables = lowered.init(jax.random.key(0))
    before = jax.tree_util.tree_map(np.array, variables)
    x = jnp.ones((2, 6))
    out1, _ = lowered.apply(variables, x, rng=jax.random.key(3))
    out2, _ = lowered.apply(variables, x, rng=jax.random.key(3))
    np.testing.assert_array_equal(np.asarray(out1), np.asarray(out2))
    # No side effects: the variables and the layers' value cells are untouched.
    jax.tree_util.tree_map(np.testing.assert_array_equal, before, variables)
    assert all(layer._values is None for layer in model.layers)
    # Two inits with one key agree; with different keys they differ.
    a, b = lowered.init(jax.random.key(5)), lowered.init(jax.random.key(5))
    jax.tree_util.tree_map(np.testing.assert_array_equal, a, b)
    c = lowered.init(jax.random.key(6))
    assert not np.array_equal(a["params"]["h"]["kernel"], c["params"]["h"]["kernel"])


def test_inside_user_jit_grad_and_vmap():
    model = _mlp()
    lowered = model.lowered
    variables = lowered.init(jax.random.key(0))
    x = np.random.default_rng(1).normal(size=(8, 6)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.arange(8) % 3]
    traces = []

    @jax.jit
    def loss(params, x, y):
        traces.append(1)
        out, _ = lowered.apply({"params": params, "state": variables["state"]}, x)
        return -jnp.mean(jnp.sum(y * jnp.log(out), -1))

    grads = jax.grad(loss)(variables["params"], x, y)
    assert grads["h"]["kernel"].shape == (6, 5)
    # Finite differences agree with the gradient on one coordinate.
    eps = 1e-3
    bumped = jax.tree_util.tree_map(lambda v: v, variables["params"])
    bumped["out"] = dict(bumped["out"], bias=bumped["out"]["bias"].at[0].add(eps))
    numeric = (loss(bumped, x, y) - loss(variables["params"], x, y)) / eps
    np.testing.assert_allclose(float(grads["out"]["bias"][0]), float(numeric), rtol=2e-2)
    traced = len(traces)
    loss(variables["params"], x, y)
    jax.grad(loss)(variables["params"], x, y)
    assert len(traces) == traced  # the same shapes never retrace
    # vmap over a stack of parameter sets: an ensemble in one call.
    keys = jax.random.split(jax.random.key(0), 3)
    stacked = jax.vmap(lowered.init)(keys)
    outs = jax.vmap(lambda v: lowered.apply(v, x)[0])(stacked)
    assert outs.shape == (3, 8, 3)
    single = lowered.apply(jax.tree_util.tree_map(lambda v: v[1], stacked), x)[0]
    np.testing.assert_allclose(np.asarray(outs[1]), np.asarray(single), rtol=1e-6)


def test_apply_accepts_lists_and_dicts_by_input_name():
    a = Input(shape=(2,), name="a")
    b = Input(shape=(3,), name="b")
    out = Dense(1, name="d")(kerax.layers.concatenate([a, b]))
    model = kerax.Model([a, b], out)
    variables = model.lowered.init(jax.random.key(0))
    xa, xb = np.ones((2, 2), np.float32), np.zeros((2, 3), np.float32)
    by_list, _ = model.lowered.apply(variables, [xa, xb])
    by_dict, _ = model.lowered.apply(variables, {"b": xb, "a": xa})
    np.testing.assert_array_equal(np.asarray(by_list), np.asarray(by_dict))


def test_model_variables_round_trip():
    model = _mlp()
    variables = model.get_variables()
    doubled = jax.tree_util.tree_map(lambda v: v * 2, variables)
    model.set_variables(doubled)
    np.testing.assert_allclose(
        model.get_layer("h").kernel.numpy(), 2 * variables["params"]["h"]["kernel"]
    )
