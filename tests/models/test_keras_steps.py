"""Keras 3's JAX customisation patterns, written once for both libraries and compared:
same initial weights -> same logs and weights after a few steps (atol 1e-5)."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
X = RNG.random((20, 6)).astype("float32")
Y = RNG.random((20, 1)).astype("float32")


def _compare(km, xm, fit_kwargs, *, x=X, y=Y):
    xm.set_weights(km.get_weights())
    kh = km.fit(x, y, shuffle=False, verbose=0, **fit_kwargs)
    xh = xm.fit(x, y, shuffle=False, verbose=0, **fit_kwargs)
    assert list(xh.history) == list(kh.history)
    for name in kh.history:
        np.testing.assert_allclose(xh.history[name], kh.history[name], rtol=1e-5, atol=1e-6)
    for xw, kw in zip(xm.get_weights(), km.get_weights(), strict=True):
        np.testing.assert_allclose(xw, np.asarray(kw), atol=1e-5)
    return kh, xh


def tracker_model(lib):
    """The guide's pattern: own trackers, an overridden ``metrics``, no compiled loss."""

    class Tracked(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae = lib.metrics.MeanAbsoluteError(name="mae")

        def loss_and_updates(self, trainable, non_trainable, x, y):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
            return lib.ops.mean((y - y_pred) ** 2), (y_pred, non_trainable)

        def train_step(self, state, data):
            trainable, non_trainable, opt_vars, metric_vars = state
            x, y = data
            grad_fn = jax.value_and_grad(self.loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable)), grads = grad_fn(trainable, non_trainable, x, y)
            trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
            n = len(self.loss_tracker.variables)
            lv = self.loss_tracker.stateless_update_state(metric_vars[:n], loss)
            mv = self.mae.stateless_update_state(metric_vars[n:], y, y_pred)
            logs = {
                "loss": self.loss_tracker.stateless_result(lv),
                "mae": self.mae.stateless_result(mv),
            }
            return logs, (trainable, non_trainable, opt_vars, lv + mv)

        def test_step(self, state, data):
            trainable, non_trainable, metric_vars = state
            x, y = data
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
            n = len(self.loss_tracker.variables)
            lv = self.loss_tracker.stateless_update_state(
                metric_vars[:n], lib.ops.mean((y - y_pred) ** 2)
            )
            mv = self.mae.stateless_update_state(metric_vars[n:], y, y_pred)
            logs = {
                "loss": self.loss_tracker.stateless_result(lv),
                "mae": self.mae.stateless_result(mv),
            }
            return logs, (trainable, non_trainable, lv + mv)

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae]

    inputs = lib.Input((6,))
    x = lib.layers.Dense(8, activation="relu")(inputs)
    x = lib.layers.BatchNormalization()(x)
    model = Tracked(inputs, lib.layers.Dense(1)(x))
    model.compile(optimizer=lib.optimizers.Adam(0.01))
    return model


def test_custom_train_and_test_step_match_keras():
    km, xm = tracker_model(keras), tracker_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8, "validation_data": (X[:6], Y[:6])})
    assert xm.evaluate(X, Y, verbose=0) == pytest.approx(km.evaluate(X, Y, verbose=0), rel=1e-5)
    # The trackers hold the values of the last evaluate, as in Keras.
    np.testing.assert_allclose(float(xm.mae.result()), float(km.mae.result()), rtol=1e-5)


def aux_loss_model(lib):
    """``compute_loss`` overridden with an auxiliary penalty on the predictions."""

    class Aux(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.1 * lib.ops.mean(lib.ops.square(y_pred))

    inputs = lib.Input((6,))
    model = Aux(inputs, lib.layers.Dense(1)(lib.layers.Dense(4, activation="tanh")(inputs)))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model


def test_compute_loss_override_matches_keras():
    km, xm = aux_loss_model(keras), aux_loss_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8})
    assert xm.evaluate(X, Y, verbose=0) == pytest.approx(km.evaluate(X, Y, verbose=0), rel=1e-5)


def subclassed_vae(lib, noise):
    """A VAE written as a class: a sampling layer drawing from a SeedGenerator, and
    reconstruction + KL trackers in a custom train_step (``noise=0`` makes it
    deterministic, for the comparison with Keras)."""
    ops = lib.ops

    class Sampling(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(1337)

        def call(self, inputs):
            mean, log_var = inputs
            eps = lib.random.normal(ops.shape(mean), seed=self.seed_generator)
            return mean + noise * ops.exp(0.5 * log_var) * eps

    class VAE(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(8, activation="relu")
            self.mean = lib.layers.Dense(2)
            self.log_var = lib.layers.Dense(2)
            self.sampling = Sampling()
            self.decoder = lib.layers.Dense(6, activation="sigmoid")
            self.total = lib.metrics.Mean(name="total_loss")
            self.recon = lib.metrics.Mean(name="reconstruction_loss")
            self.kl = lib.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total, self.recon, self.kl]

        def call(self, x, training=None):
            h = self.hidden(x)
            mean, log_var = self.mean(h), self.log_var(h)
            return self.decoder(self.sampling([mean, log_var])), mean, log_var

        def losses_of(self, trainable, non_trainable, x):
            (recon, mean, log_var), non_trainable = self.stateless_call(
                trainable, non_trainable, x, training=True
            )
            r = ops.mean(ops.sum(ops.square(x - recon), axis=1))
            kl = -0.5 * ops.mean(ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=1))
            return r + kl, (r, kl, non_trainable)

        def train_step(self, state, data):
            trainable, non_trainable, opt_vars, metric_vars = state
            grad_fn = jax.value_and_grad(self.losses_of, has_aux=True)
            (total, (r, kl, non_trainable)), grads = grad_fn(trainable, non_trainable, data)
            trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
            new, logs = [], {}
            for metric, value in zip(self.metrics, (total, r, kl)):
                n = len(metric.variables)
                mv = metric.stateless_update_state(metric_vars[len(new) : len(new) + n], value)
                logs[metric.name] = metric.stateless_result(mv)
                new += mv
            return logs, (trainable, non_trainable, opt_vars, new)

    model = VAE()
    model.compile(optimizer=lib.optimizers.Adam(0.01))
    model(X[:2])
    return model


def test_vae_matches_keras_without_noise():
    km, xm = subclassed_vae(keras, 0.0), subclassed_vae(kerax, 0.0)
    _compare(km, xm, {"epochs": 2, "batch_size": 8}, y=None)


def test_vae_draws_new_noise_every_step_and_reproducibly():
    def train(seed):
        kerax.set_random_seed(seed)
        model = subclassed_vae(kerax, 1.0)
        history = model.fit(X, epochs=2, batch_size=10, shuffle=False, verbose=0)
        return model, history.history["reconstruction_loss"]

    _, a = train(1)
    _, b = train(1)
    _, c = train(2)
    assert a == b and a != c
    model, _ = train(1)
    outs = [np.asarray(model(X, training=True)[0]) for _ in range(2)]
    assert not np.allclose(outs[0], outs[1])  # each eager training call draws anew


def test_backend_agnostic_train_step_signature_is_refused_with_the_jax_form():
    class OneArg(kerax.Model):
        def train_step(self, data):
            return {}

    inputs = kerax.Input((6,))
    model = OneArg(inputs, kerax.layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match=r"train_step\(self, state, data\)"):
        model.fit(X, Y, verbose=0)


def scalar_loss_model(lib):
    """A loss function that reduces the batch itself (``ops.mean``), in a Sequential
    built from its data: the short last batch must not count padding rows."""

    def reduced(y_true, y_pred):
        return lib.ops.mean(lib.ops.square(y_true - y_pred)) + 0.1 * lib.ops.mean(y_pred)

    model = lib.Sequential([lib.layers.Dense(3, activation="tanh"), lib.layers.Dense(1)])
    model.compile(lib.optimizers.SGD(0.1), loss=reduced, metrics=["mae"])
    model(X[:1])
    return model


def test_batch_reducing_loss_matches_keras_on_a_short_last_batch():
    km, xm = scalar_loss_model(keras), scalar_loss_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8})  # 20 rows: a last batch of 4
    np.testing.assert_allclose(
        xm.evaluate(X, Y, batch_size=8, verbose=0),
        km.evaluate(X, Y, batch_size=8, verbose=0),
        rtol=1e-5,
    )


def added_loss_model(lib):
    """``compile(optimizer=...)`` without a loss: the model trains on what its layers add
    (``add_loss``) and on its weight penalties."""

    class Penalty(lib.layers.Layer):
        def call(self, x):
            self.add_loss(lib.ops.mean(lib.ops.square(x - 1.0)))
            return x

    inputs = lib.Input((6,))
    h = lib.layers.Dense(3, kernel_regularizer=lib.regularizers.L2(0.01))(inputs)
    model = lib.Model(inputs, Penalty()(h))
    model.compile(optimizer=lib.optimizers.SGD(0.1))
    return model


def test_compile_without_loss_trains_on_added_losses_as_keras():
    km, xm = added_loss_model(keras), added_loss_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8}, y=None)


def test_compile_without_any_loss_says_so():
    inputs = kerax.Input((6,))
    model = kerax.Model(inputs, kerax.layers.Dense(2)(inputs))
    model.compile("sgd")
    weights = model.get_weights()
    with pytest.raises(ValueError, match="without a `loss`"):
        model.fit(X, Y, verbose=0)
    for a, b in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_class_weight_reaches_a_custom_step_as_sample_weights():
    class Weighted(kerax.Model):
        def train_step(self, state, data):
            x, y, sample_weight = data  # fails if the weights did not come
            return super().train_step(state, (x, y, sample_weight))

    def model():
        kerax.set_random_seed(0)
        inputs = kerax.Input((6,))
        m = Weighted(inputs, kerax.layers.Dense(2, activation="softmax")(inputs))
        m.compile("sgd", "sparse_categorical_crossentropy")
        m.get_weights()
        return m

    labels = (X[:, 0] > 0.5).astype("int32")
    by_class, by_hand = model(), model()
    by_class.fit(X, labels, class_weight={0: 1.0, 1: 4.0}, batch_size=8, shuffle=False, verbose=0)
    weights = np.where(labels == 1, 4.0, 1.0).astype("float32")
    by_hand.fit(X, labels, sample_weight=weights, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(by_class.get_weights(), by_hand.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match="not both"):
        by_class.fit(X, labels, class_weight={0: 1.0}, sample_weight=weights, verbose=0)


def siamese_model(lib):
    """A siamese network: one encoder shared by both inputs, a contrastive loss in its
    own ``train_step``, a tracker."""

    class Siamese(lib.Model):
        def __init__(self):
            super().__init__()
            self.encoder = lib.Sequential(
                [lib.layers.Dense(8, activation="relu"), lib.layers.Dense(4)]
            )
            self.tracker = lib.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.tracker]

        def call(self, inputs, training=None):
            a, b = inputs
            diff = self.encoder(a) - self.encoder(b)
            return lib.ops.sqrt(lib.ops.sum(lib.ops.square(diff), axis=1) + 1e-6)

        def train_step(self, state, data):
            trainable, non_trainable, opt_vars, metric_vars = state
            (a, b), same = data

            def loss_fn(values):
                dist, nt = self.stateless_call(values, non_trainable, (a, b), training=True)
                apart = lib.ops.square(lib.ops.maximum(1.0 - dist, 0.0))
                return lib.ops.mean(same * dist**2 + (1.0 - same) * apart), nt

            (loss, non_trainable), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
            trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
            metric_vars = self.tracker.stateless_update_state(metric_vars, loss)
            logs = {"loss": self.tracker.stateless_result(metric_vars)}
            return logs, (trainable, non_trainable, opt_vars, metric_vars)

    model = Siamese()
    model((X[:1], X[:1]))
    model.compile(optimizer=lib.optimizers.SGD(0.05))
    return model


def test_siamese_contrastive_train_step_matches_keras():
    pairs = (X, X[::-1].copy())
    same = (RNG.random(len(X)) > 0.5).astype("float32")
    km, xm = siamese_model(keras), siamese_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8}, x=pairs, y=same)
    np.testing.assert_allclose(
        xm.predict(pairs, verbose=0), km.predict(pairs, verbose=0), rtol=1e-5, atol=1e-6
    )
