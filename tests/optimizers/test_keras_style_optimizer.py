"""An optimizer written the Keras way (``build`` + ``add_optimizer_variables`` /
``add_variable`` + ``update_step``), run by kerax eagerly, statelessly and in ``fit``,
against the same class on Keras 3."""

from __future__ import annotations

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerax
from tests.optimizers._stateful_helpers import (
    assert_same,
    fixed_grads,
    model_pair,
    stateless_steps,
)


def _momentum_adam(base):
    class MomentumAdam(base):
        """Slots made in build, the update in update_step, a bias correction that reads
        ``self.iterations`` and a shared variable made with ``add_variable``."""

        def __init__(self, learning_rate=0.01, beta=0.9, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)
            self.beta = beta

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.ms, self.vs = self.add_optimizer_variables(var_list, ["m", "v"])
            self.scale = self.add_variable((), initializer="ones", name="scale")

        def update_step(self, gradient, variable, learning_rate):
            i = self._get_variable_index(variable)
            m, v = self.ms[i], self.vs[i]
            t = jnp.asarray(self.iterations + 1, "float32")
            self.assign(m, m * self.beta + gradient * (1 - self.beta))
            self.assign(v, v * 0.99 + gradient * gradient * 0.01)
            step = learning_rate * (m / (1 - self.beta**t)) / (jnp.sqrt(v.value) + 1e-3)
            self.assign_sub(variable, step * self.scale)

    return MomentumAdam


def test_keras_style_optimizer_apply_gradients_matches_keras():
    ours, theirs = model_pair()
    opt_a = _momentum_adam(kerax.optimizers.Optimizer)()
    opt_b = _momentum_adam(keras.optimizers.Optimizer)()
    for step in range(3):
        opt_a.apply_gradients(zip(fixed_grads(ours, step), ours.trainable_variables))
        opt_b.apply_gradients(zip(fixed_grads(theirs, step), theirs.trainable_variables))
    assert opt_a.iterations == int(opt_b.iterations) == 3
    assert_same(ours.get_weights(), theirs.get_weights())
    assert [v.name for v in opt_a.variables] == [v.name for v in opt_b.variables]
    assert_same(opt_a.variables, opt_b.variables)
    # A slot handle made in build reads the live state.
    np.testing.assert_allclose(opt_a.ms[0].numpy(), np.asarray(opt_b.ms[0]), atol=1e-6)


def test_keras_style_optimizer_stateless_apply_matches_keras():
    ours, theirs = model_pair()
    opt_a = _momentum_adam(kerax.optimizers.Optimizer)()
    opt_b = _momentum_adam(keras.optimizers.Optimizer)()
    stateless_steps(ours, theirs, opt_a, opt_b, steps=2)


def test_keras_style_optimizer_in_fit_matches_keras():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    ours, theirs = model_pair()
    opt_a = _momentum_adam(kerax.optimizers.Optimizer)()
    opt_b = _momentum_adam(keras.optimizers.Optimizer)()
    for model, opt in ((ours, opt_a), (theirs, opt_b)):
        model.compile(optimizer=opt, loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert opt_a.iterations == int(opt_b.iterations) == 4
    assert_same(ours.get_weights(), theirs.get_weights())
    assert_same(opt_a.variables, opt_b.variables)


def test_base_update_step_and_unknown_reference():
    model = model_pair()[0]
    opt = kerax.optimizers.SGD()
    with pytest.raises(NotImplementedError):
        opt.update_step(None, None, 0.1)
    opt.build(model.trainable_variables)
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.add_variable_from_reference(model_pair()[0].trainable_variables[0], "m")
