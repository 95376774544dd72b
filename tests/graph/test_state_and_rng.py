"""The state channel (BatchNorm statistics) and RNG keys in the pure apply."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import kerax
from kerax.layers import BatchNormalization, Dense, Dropout, Input


def test_batchnorm_statistics_live_in_state_and_update_only_in_training():
    x = Input(shape=(3,))
    model = kerax.Model(x, BatchNormalization(momentum=0.5, name="bn")(x))
    lowered = model.lowered
    variables = lowered.init(jax.random.key(0))
    assert set(variables["params"]["bn"]) == {"gamma", "beta"}
    assert set(variables["state"]["bn"]) == {"moving_mean", "moving_variance"}
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    out, state = lowered.apply(variables, data, training=False)
    np.testing.assert_allclose(np.asarray(out), data / np.sqrt(1 + 1e-3), rtol=1e-6)
    jax.tree_util.tree_map(np.testing.assert_array_equal, state, variables["state"])
    out, state = lowered.apply(variables, data, training=True)
    mean, var = data.mean(0), data.var(0)
    np.testing.assert_allclose(np.asarray(out), (data - mean) / np.sqrt(var + 1e-3), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(state["bn"]["moving_mean"]), 0.5 * mean, rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(state["bn"]["moving_variance"]), 0.5 + 0.5 * var, rtol=1e-6
    )
    # The weights order is Keras's: gamma, beta, moving_mean, moving_variance.
    assert [w.name for w in model.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in model.non_trainable_weights] == ["moving_mean", "moving_variance"]


def test_fit_updates_moving_statistics():
    x = Input(shape=(2,))
    bn = BatchNormalization()
    model = kerax.Model(x, Dense(1)(bn(x)))
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 2)).astype(np.float32)
    model.fit(data, data[:, :1], epochs=2, batch_size=16, verbose=0)
    assert np.all(bn.moving_mean.numpy() > 0.1)  # moved from 0 towards the mean 3


def test_dropout_uses_the_key_and_is_identity_at_inference():
    x = Input(shape=(1000,))
    model = kerax.Model(x, Dropout(0.5)(x))
    lowered = model.lowered
    variables = lowered.init(jax.random.key(0))
    ones = np.ones((2, 1000), np.float32)
    out, _ = lowered.apply(variables, ones)
    np.testing.assert_array_equal(np.asarray(out), ones)
    a, _ = lowered.apply(variables, ones, training=True, rng=jax.random.key(1))
    b, _ = lowered.apply(variables, ones, training=True, rng=jax.random.key(1))
    c, _ = lowered.apply(variables, ones, training=True, rng=jax.random.key(2))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))
    assert set(np.unique(np.asarray(a))) <= {0.0, 2.0}
    assert 0.4 < float(np.mean(np.asarray(a) == 0)) < 0.6
    with pytest.raises(ValueError, match="without an `rng` key"):
        lowered.apply(variables, ones, training=True)


def test_rng_streams_are_stable_when_the_graph_grows():
    x = Input(shape=(100,))
    first = Dropout(0.5, name="first")
    model_a = kerax.Model(x, first(x))
    y = Input(shape=(100,))
    model_b = kerax.Model(y, first(Dropout(0.0, name="extra")(y)))
    ones = np.ones((1, 100), np.float32)
    key = jax.random.key(7)
    a, _ = model_a.lowered.apply(model_a.lowered.init(key), ones, training=True, rng=key)
    b, _ = model_b.lowered.apply(model_b.lowered.init(key), ones, training=True, rng=key)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_shared_dropout_draws_a_mask_per_call():
    x = Input(shape=(100,))
    drop = Dropout(0.5)
    model = kerax.Model(x, [drop(x), drop(x)])
    ones = np.ones((1, 100), np.float32)
    (a, b), _ = model.lowered.apply(
        {"params": {}, "state": {}}, ones, training=True, rng=jax.random.key(0)
    )
    assert not np.array_equal(np.asarray(a), np.asarray(b))


def test_invalid_dropout_rate():
    with pytest.raises(ValueError, match=r"`rate`.*rate=1.5"):
        Dropout(1.5)


def test_a_lazy_key_used_inside_a_scan_body_does_not_leak_its_tracer():
    import jax

    from kerax.graph.frame import Frame

    def f(base):
        frame = Frame({}, {}, keys={}, training=True, rng=lambda: jax.random.fold_in(base, 1))

        def body(carry, _):
            return carry + jax.random.uniform(frame.rng), None

        carry, _ = jax.lax.scan(body, 0.0, None, length=2)
        return carry + jax.random.uniform(frame.rng)

    once = jax.random.uniform(jax.random.fold_in(jax.random.key(0), 1))
    assert abs(float(jax.jit(f)(jax.random.key(0))) - 3 * float(once)) < 1e-6
