"""Each variable's update runs as one jitted call per variable shape (traced once per
shape): the compiled step must give the numbers of the update traced variable by
variable, bit for bit, for every optimizer, with weight decay, clipping and EMA."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kerax import optimizers as O
from kerax.optimizers import _transform
from tests.optimizers._builtin import BUILTIN_OPTIMIZERS


def _steps(optimizer, params, grads, n=3):
    tx = optimizer.transform()
    state = tx.init(params)

    @jax.jit
    def step(params, state, grads):
        updates, state = tx.update(grads, state, params)
        return jax.tree_util.tree_map(lambda p, u: p + u, params, updates), state

    out = []
    for k in range(n):
        params, state = step(
            params, state, jax.tree_util.tree_map(lambda g, k=k: g * (k + 1), grads)
        )
        out.append(params)
    return out


@pytest.mark.parametrize(
    "make",
    [*(lambda n=n: getattr(O, n)() for n in BUILTIN_OPTIMIZERS)]
    + [lambda: O.AdamW(weight_decay=0.1, clipnorm=0.5, use_ema=True, amsgrad=True)],
    ids=[*BUILTIN_OPTIMIZERS, "AdamW_decay_clip_ema"],
)
def test_update_by_shape_is_the_update_by_variable(make, monkeypatch):
    rng = np.random.default_rng(0)
    params = {
        f"l{i}": {
            "kernel": jnp.asarray(rng.normal(size=(4, 3)), jnp.float32),
            "bias": jnp.asarray(rng.normal(size=3), jnp.float32),
        }
        for i in range(3)
    }
    grads = jax.tree_util.tree_map(lambda p: jnp.asarray(rng.normal(size=p.shape), p.dtype), params)
    if type(make()).__name__ != "Muon":  # Muon's update depends on the path: by variable
        assert not _transform._path_dependent(make())
    by_shape = _steps(make(), params, grads)
    monkeypatch.setattr(_transform, "_path_dependent", lambda optimizer: True)
    by_variable = _steps(make(), params, grads)
    for a, b in zip(
        jax.tree_util.tree_leaves(by_shape), jax.tree_util.tree_leaves(by_variable), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
