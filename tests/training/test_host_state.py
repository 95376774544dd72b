"""The train state built on the host (``kerax.training.host_state``): the same arrays as
the compiled init, bit for bit, dtype and weak type, for every optimizer; no program
compiled for it; each array its own buffer; anything beyond placing constants is
compiled as before."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from kerax import layers
from kerax import optimizers as O
from kerax.training import host_state, live
from kerax.training import steps as _steps
from tests.optimizers._builtin import BUILTIN_OPTIMIZERS


def _model(optimizer) -> kerax.Model:
    inputs = layers.Input((4,))
    h = layers.BatchNormalization()(layers.Dense(3)(inputs))
    model = kerax.Model(inputs, layers.Dense(2, dtype="mixed_float16")(h))
    model.compile(
        optimizer,
        "mse",
        metrics=["mae", kerax.metrics.AUC(num_thresholds=7), kerax.metrics.R2Score()],
    )
    return model


def _compiled_state(model: kerax.Model, rng):
    programs = model._programs()
    return jax.jit(
        lambda v, r: _steps.init_train_state(
            v,
            programs.tx,
            programs.trainable_mask,
            programs.metrics,
            r,
            loss_scaling=programs.loss_scaling,
        )
    )(model.lowered.layout.current(), rng)


@pytest.mark.parametrize(
    "make",
    [*(lambda n=n: getattr(O, n)() for n in BUILTIN_OPTIMIZERS)]
    + [
        lambda: O.LossScaleOptimizer(O.SGD()),
        lambda: O.Adam(use_ema=True, gradient_accumulation_steps=2, amsgrad=True),
    ],
    ids=[*BUILTIN_OPTIMIZERS, "LossScaleOptimizer", "adam_ema_accumulation"],
)
def test_host_state_is_the_compiled_init_bit_for_bit(make):
    model = _model(make())
    rng = kerax.random.next_key()
    host = model._programs().train_state()(model.lowered.layout.current(), rng)
    compiled = _compiled_state(model, rng)
    host_leaves, host_tree = jax.tree_util.tree_flatten(host)
    compiled_leaves, compiled_tree = jax.tree_util.tree_flatten(compiled)
    assert host_tree == compiled_tree
    for h, c in zip(host_leaves, compiled_leaves, strict=True):
        assert jax.typeof(h) == jax.typeof(c)  # shape, dtype, weak type
        if jnp.issubdtype(h.dtype, jax.dtypes.prng_key):
            h, c = jax.random.key_data(h), jax.random.key_data(c)
        np.testing.assert_array_equal(np.asarray(h), np.asarray(c))


def test_a_first_fit_compiles_no_program_for_its_train_state(caplog):
    model = _model("adam")
    model.lowered.layout.current()
    with jax.log_compiles(), caplog.at_level("WARNING", logger="jax"):
        ts = live.start(model)
    compiles = [r.getMessage() for r in caplog.records if "XLA compilation" in r.getMessage()]
    assert compiles == []
    # Each array is its own buffer (a loop of the user's may donate the state).
    leaves = [x for x in jax.tree_util.tree_leaves(ts.opt_state) if isinstance(x, jax.Array)]
    leaves += jax.tree_util.tree_leaves(ts.metrics)
    pointers = [x.unsafe_buffer_pointer() for x in leaves if x.size]
    assert len(set(pointers)) == len(pointers)


def test_the_train_step_traces_once_over_two_fits_from_a_host_state():
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")
    model = _model("adam")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.train_step_traces == 1


def test_only_constants_and_inputs_are_evaluated_on_the_host():
    # ``v * 2`` is arithmetic: no plan, the caller compiles the init as before.
    init = lambda v, r: {"double": v * 2, "zeros": jnp.zeros_like(v), "key": r}  # noqa: E731
    closed = jax.make_jaxpr(init)(jnp.ones(3), jax.random.key(0))
    assert host_state.plan(closed) is None
    only_constants = lambda v, r: {"zeros": jnp.zeros_like(v), "same": v, "key": r}  # noqa: E731
    plan = host_state.plan(jax.make_jaxpr(only_constants)(jnp.ones(3), jax.random.key(0)))
    assert plan is not None
    v = jnp.arange(3.0)
    key, same, zeros = plan.place([v, jax.random.key(0)])  # the dict's sorted keys
    np.testing.assert_array_equal(zeros, np.zeros(3, np.float32))
    assert same is v and key.dtype == jax.random.key(0).dtype


def test_a_weak_typed_constant_is_left_to_the_compiler():
    # A placed NumPy array is strongly typed: a weak ``jnp.full(shape, 0.5)`` would
    # make the train step trace again for the runner's own (weak) outputs.
    closed = jax.make_jaxpr(lambda: jnp.full((2,), 0.5))()
    assert closed.jaxpr.outvars[0].aval.weak_type
    assert host_state.plan(closed) is None
    assert host_state.plan(jax.make_jaxpr(lambda: jnp.full((2,), 0.5, jnp.float32))()) is not None
