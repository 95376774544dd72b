"""Shared by the stateful-optimizer tests: a small model in kerax and in Keras with the
same weights, fixed gradients, and an element-wise comparison."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
import numpy as np

import kerax

ATOL = 1e-6


def make_model(lib):
    inputs = lib.Input((3,))
    hidden = lib.layers.Dense(4, activation="tanh", name="d1")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="d2")(hidden))


def model_pair():
    ours = make_model(kerax)
    theirs = make_model(keras)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def fixed_grads(model, step, skip=()):
    rng = np.random.default_rng(step)
    return [
        None if i in skip else rng.normal(size=v.shape).astype("float32")
        for i, v in enumerate(model.trainable_variables)
    ]


def assert_same(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=ATOL)


def stateless_steps(ours, theirs, opt_a, opt_b, steps):
    """Builds both optimizers on their model's variables and runs ``steps``
    ``stateless_apply`` calls on each (kerax's jitted), from the current values.

    Returns:
        ``(values_a, opt_values_a, values_b, opt_values_b)`` after the last step.
    """
    opt_a.build(ours.trainable_variables)
    opt_b.build(theirs.trainable_variables)
    step = jax.jit(opt_a.stateless_apply)
    values_a = [v.value for v in ours.trainable_variables]
    opt_values_a = [v.value for v in opt_a.variables]
    values_b = [jnp.asarray(v.value) for v in theirs.trainable_variables]
    opt_values_b = [jnp.asarray(v.value) for v in opt_b.variables]
    for i in range(steps):
        grads = fixed_grads(ours, i)
        values_a, opt_values_a = step(opt_values_a, grads, values_a)
        values_b, opt_values_b = opt_b.stateless_apply(opt_values_b, grads, values_b)
    assert_same(values_a, values_b)
    assert_same(opt_values_a, opt_values_b)
    return values_a, opt_values_a, values_b, opt_values_b
