"""A variational autoencoder written as a class, with its own ``train_step``.

This is Keras 3's JAX way of customising ``fit``: the model is a ``Model`` subclass
with layers made in ``__init__`` and a ``call``; its ``train_step(self, state, data)``
takes the explicit state (trainable, non-trainable, optimizer and metric values) and
returns the logs and the new state. kerax traces that step once, jits it, and runs it
in ``fit`` with the progress bar and callbacks as usual. The sampling layer draws its
noise from a ``SeedGenerator``: new numbers every step, reproducible from the seed.

Trained on the bundled 8x8 digits; prints the losses per epoch, then checks that a
saved and reloaded copy reconstructs exactly as the trained model does.
"""

from __future__ import annotations

import os
import tempfile

import jax
import numpy as np

import kerax as keras
from kerax import layers, ops
from kerax.datasets import digits

LATENT = 2


class Sampling(layers.Layer):
    """Draws ``z = mean + exp(log_var / 2) * eps`` with ``eps ~ N(0, 1)``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps


class VAE(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = [layers.Dense(32, activation="relu"), layers.Dense(16, activation="relu")]
        self.z_mean = layers.Dense(LATENT, name="z_mean")
        self.z_log_var = layers.Dense(LATENT, name="z_log_var")
        self.sampling = Sampling()
        self.decoder = [layers.Dense(32, activation="relu"), layers.Dense(64, activation="sigmoid")]
        self.total_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, x, training=None):
        h = x
        for layer in self.encoder:
            h = layer(h)
        mean, log_var = self.z_mean(h), self.z_log_var(h)
        h = self.sampling([mean, log_var])
        for layer in self.decoder:
            h = layer(h)
        return h, mean, log_var

    def losses_of(self, trainable, non_trainable, x):
        (reconstruction, mean, log_var), non_trainable = self.stateless_call(
            trainable, non_trainable, x, training=True
        )
        rec = ops.mean(
            ops.sum(
                keras.losses.binary_crossentropy(x[..., None], reconstruction[..., None]), axis=1
            )
        )
        kl = -0.5 * ops.mean(ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=1))
        return rec + kl, (rec, kl, non_trainable)

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_vars, metric_vars = state
        grad_fn = jax.value_and_grad(self.losses_of, has_aux=True)
        (total, (rec, kl, non_trainable)), grads = grad_fn(trainable, non_trainable, data)
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads, trainable)
        logs, new_metric_vars = {}, []
        for metric, value in zip(self.metrics, (total, rec, kl)):
            n = len(metric.variables)
            values = metric_vars[len(new_metric_vars) : len(new_metric_vars) + n]
            values = metric.stateless_update_state(values, value)
            logs[metric.name] = metric.stateless_result(values)
            new_metric_vars += values
        return logs, (trainable, non_trainable, optimizer_vars, new_metric_vars)


def main() -> None:
    keras.set_random_seed(0)
    (x_train, _), (x_test, _) = digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
    x_test = x_test.reshape(-1, 64).astype("float32") / 16.0

    vae = VAE()
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    history = vae.fit(x_train, epochs=8, batch_size=64, verbose=0)
    for epoch, (total, rec) in enumerate(
        zip(history.history["total_loss"], history.history["reconstruction_loss"]), 1
    ):
        print(f"epoch {epoch}: total_loss {total:.3f}  reconstruction_loss {rec:.3f}")
    first, last = history.history["total_loss"][0], history.history["total_loss"][-1]
    print(f"Total loss fell from {first:.3f} to {last:.3f}")

    # The means of the latent code are deterministic: compare them after a reload.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vae.weights.h5")
        vae.save_weights(path)
        copy = VAE()
        copy(x_test[:1])
        copy.load_weights(path)
    same = np.allclose(vae.predict(x_test, verbose=0)[1], copy.predict(x_test, verbose=0)[1])
    print(f"Reloaded latent means match: {same}")


if __name__ == "__main__":
    main()
