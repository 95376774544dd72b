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
