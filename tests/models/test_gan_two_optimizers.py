"""The GAN pattern inside ``fit``: a model with two sub-models, its own
``compile(d_optimizer, g_optimizer, loss_fn)`` and a ``train_step`` that updates each
sub-model with its own optimizer.

Keras 3's JAX trainer gives ``train_step`` the variables of ``model.optimizer`` only,
so the pattern has no home in Keras's ``fit``; kerax hands such a model
``{attribute name: values}`` of every optimizer it holds (see kerax/models/README.md).
The oracle is the same ``train_step`` code run by the real Keras package, jitted, in a
hand-written loop over the same batches with the same state layout."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerax

LATENT = 3
RNG = np.random.default_rng(5)
REAL = RNG.normal(size=(22, 2)).astype("float32")  # batch 8: two full, one of 6
NOISE = RNG.normal(size=(22, LATENT)).astype("float32")


def gan(lib):
    class GAN(lib.Model):
        def __init__(self):
            super().__init__()
            self.generator = lib.Sequential(
                [lib.Input((LATENT,)), lib.layers.Dense(4, activation="relu"), lib.layers.Dense(2)],
                name="generator",
            )
            self.discriminator = lib.Sequential(
                [lib.Input((2,)), lib.layers.Dense(4, activation="relu"), lib.layers.Dense(1)],
                name="discriminator",
            )
            self.d_loss_tracker = lib.metrics.Mean(name="d_loss")
            self.g_loss_tracker = lib.metrics.Mean(name="g_loss")

        def call(self, z):
            return self.discriminator(self.generator(z))

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)

        def train_step(self, state, data):
            trainable, non_trainable, opt_vars, metric_vars = state
            real, noise = data
            ng = len(self.generator.trainable_variables)
            g_tv, d_tv = list(trainable[:ng]), list(trainable[ng:])
            ones = jnp.ones((real.shape[0], 1))

            def d_loss_fn(d_tv):
                fake, _ = self.generator.stateless_call(g_tv, [], noise)
                real_logits, _ = self.discriminator.stateless_call(d_tv, [], real)
                fake_logits, _ = self.discriminator.stateless_call(d_tv, [], fake)
                return self.loss_fn(ones, real_logits) + self.loss_fn(0 * ones, fake_logits)

            d_loss, d_grads = jax.value_and_grad(d_loss_fn)(d_tv)
            d_tv, d_opt = self.d_optimizer.stateless_apply(opt_vars["d_optimizer"], d_grads, d_tv)

            def g_loss_fn(g_tv):
                fake, _ = self.generator.stateless_call(g_tv, [], noise)
                logits, _ = self.discriminator.stateless_call(d_tv, [], fake)
                return self.loss_fn(ones, logits)

            g_loss, g_grads = jax.value_and_grad(g_loss_fn)(g_tv)
            g_tv, g_opt = self.g_optimizer.stateless_apply(opt_vars["g_optimizer"], g_grads, g_tv)
            n = len(self.d_loss_tracker.variables)
            dv = self.d_loss_tracker.stateless_update_state(metric_vars[:n], d_loss)
            gv = self.g_loss_tracker.stateless_update_state(metric_vars[n:], g_loss)
            logs = {
                "d_loss": self.d_loss_tracker.stateless_result(dv),
                "g_loss": self.g_loss_tracker.stateless_result(gv),
            }
            opt_vars = {**opt_vars, "d_optimizer": d_opt, "g_optimizer": g_opt}
            return logs, (list(g_tv) + list(d_tv), non_trainable, opt_vars, list(dv) + list(gv))

    model = GAN()
    model(NOISE[:1])
    model.compile(
        d_optimizer=lib.optimizers.Adam(0.01),
        g_optimizer=lib.optimizers.Adam(0.02),
        loss_fn=lib.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def _keras_loop(model, epochs, batch_size):
    """Keras's stateless API driving the same train_step by hand."""
    step = jax.jit(model.train_step)
    state = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        {
            "d_optimizer": [v.value for v in model.d_optimizer.variables],
            "g_optimizer": [v.value for v in model.g_optimizer.variables],
        },
        None,
    )
    history = {"d_loss": [], "g_loss": []}
    for _ in range(epochs):
        metric_vars = [v.value for m in model.metrics for v in m.variables]
        metric_vars = [jnp.zeros_like(v) for v in metric_vars]
        state = (*state[:3], metric_vars)
        for i in range(0, len(REAL), batch_size):
            logs, state = step(state, (REAL[i : i + batch_size], NOISE[i : i + batch_size]))
        for name in history:
            history[name].append(float(logs[name]))
    return history, state[0]


@pytest.fixture(scope="module")
def trained():
    km, xm = gan(keras), gan(kerax)
    xm.set_weights(km.get_weights())
    expected, weights = _keras_loop(km, epochs=2, batch_size=8)
    got = xm.fit(REAL, NOISE, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return xm, expected, weights, got.history


def test_two_optimizers_train_inside_fit_as_keras_stateless_api(trained):
    xm, expected, weights, history = trained
    assert sorted(history) == ["d_loss", "g_loss"]
    for name in expected:
        np.testing.assert_allclose(history[name], expected[name], rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(xm.trainable_variables, weights, strict=True):
        np.testing.assert_allclose(np.asarray(ours.value), np.asarray(theirs), atol=1e-5)


def test_each_optimizer_keeps_its_own_state_after_fit(trained):
    xm = trained[0]
    # Six steps in all: two epochs of three batches.
    assert int(xm.d_optimizer.iterations) == int(xm.g_optimizer.iterations) == 6
    assert int(xm.optimizer.iterations) == 0  # super().compile()'s default, unused


def test_an_unbuilt_extra_optimizer_is_refused_by_name():
    model = gan(kerax)
    model.g_optimizer = kerax.optimizers.SGD(0.1)
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"GAN\.g_optimizer is not built.*build"):
        model.fit(REAL, NOISE, batch_size=8, epochs=1, verbose=0)
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
