"""Dtype policies: float32 variables, low-precision compute, float32 gradients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from kerax import mixed_precision
from kerax.layers import Dense, Input


@pytest.fixture
def mixed_bf16():
    mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    mixed_precision.set_global_policy("float32")


def test_global_mixed_policy(mixed_bf16):
    x = Input(shape=(4,))
    dense = Dense(3)
    y = dense(x)
    assert dense.dtype == "float32" and dense.compute_dtype == "bfloat16"
    assert y.dtype == "bfloat16"
    model = kerax.Model(x, Dense(2, dtype="float32")(y))
    assert model.outputs[0].dtype == "float32"
    variables = model.get_variables()
    assert variables["params"]["dense"]["kernel"].dtype == jnp.float32

    def loss(params):
        out, _ = model.lowered.apply({"params": params, "state": {}}, jnp.ones((2, 4)))
        return jnp.sum(out)

    grads = jax.grad(loss)(variables["params"])
    assert grads["dense"]["kernel"].dtype == jnp.float32
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_per_layer_policy_and_config():
    dense = Dense(2, dtype="mixed_float16")
    assert (dense.dtype, dense.compute_dtype) == ("float32", "float16")
    assert dense.get_config()["dtype"] == "mixed_float16"
    out = dense(np.ones((1, 3), np.float32))
    assert out.dtype == jnp.float16
    with pytest.raises(ValueError, match="Unknown dtype policy 'mixed_float8'"):
        Dense(2, dtype="mixed_float8")


def test_float16_training_uses_dynamic_loss_scaling():
    mixed_precision.set_global_policy("mixed_float16")
    try:
        x = Input(shape=(4,))
        model = kerax.Model(x, Dense(1, dtype="float32")(Dense(8, activation="relu")(x)))
    finally:
        mixed_precision.set_global_policy("float32")
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    history = model.fit(data, data.sum(-1, keepdims=True), epochs=3, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The scale lives in the train state: the optimizer state and weights stay float32.
    assert model.get_layer(index=1).kernel.dtype == "float32"
    scale = float(model._loss_scale.scale)
    assert 1.0 <= scale <= 2.0**15 and np.log2(scale).is_integer()  # halved on overflows
    # A new compile starts a new scale; auto_scale_loss=False turns scaling off.
    model.compile(optimizer="sgd", loss="mse")
    assert model._loss_scale is None
    model.fit(data, data.sum(-1, keepdims=True), epochs=1, batch_size=8, verbose=0)
    assert float(model._loss_scale.scale) >= 1.0
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    model.fit(data, data.sum(-1, keepdims=True), epochs=1, batch_size=8, verbose=0)
    assert model._loss_scale is None
    assert mixed_precision.LossScaleOptimizer is kerax.optimizers.LossScaleOptimizer


def test_loss_scale_rule():
    from kerax.training import loss_scale

    state = loss_scale.init(8.0)
    state = loss_scale.adjust(state, jnp.asarray(False))
    assert float(state.scale) == 4.0 and int(state.good_steps) == 0
    for _ in range(3):
        state = loss_scale.adjust(state, jnp.asarray(True), period=3)
    assert float(state.scale) == 8.0 and int(state.good_steps) == 0
    grads = loss_scale.unscale({"w": jnp.full((2,), 8.0, jnp.float16)}, state)
    np.testing.assert_allclose(np.asarray(grads["w"]), [1.0, 1.0])
    assert bool(loss_scale.all_finite({"a": jnp.ones(2)})) and not bool(
        loss_scale.all_finite({"a": jnp.array([1.0, jnp.inf])})
    )
