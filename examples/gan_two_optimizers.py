"""A GAN-style loop: two kerax models, two optax optimizers, one jitted step.

The generator maps noise to 2-D points; the discriminator tells them from samples of a
ring. Each network gets its own optimizer; the step differentiates each loss with
respect to one network's params only, which is plain ``jax.grad`` over the pure
``apply`` of each model.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

import kerax as keras
from kerax.layers import Dense, Input

latent = 4
z = Input(shape=(latent,))
generator = keras.Model(z, Dense(2)(Dense(32, activation="relu")(z)), name="generator")
p = Input(shape=(2,))
discriminator = keras.Model(p, Dense(1)(Dense(32, activation="relu")(p)), name="discriminator")

gen, disc = generator.lowered, discriminator.lowered
g_vars = gen.init(jax.random.key(0))
d_vars = disc.init(jax.random.key(1))
g_tx, d_tx = optax.adam(1e-3, b1=0.5), optax.adam(1e-3, b1=0.5)
g_opt, d_opt = g_tx.init(g_vars["params"]), d_tx.init(d_vars["params"])


def real_batch(key, n):
    angle = jax.random.uniform(key, (n,), maxval=2 * jnp.pi)
    return jnp.stack([jnp.cos(angle), jnp.sin(angle)], -1) * 2.0


def bce(logits, target):
    return optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, target)).mean()


@jax.jit
def step(g_vars, d_vars, g_opt, d_opt, key):
    k_real, k_z = jax.random.split(key)
    real = real_batch(k_real, 128)
    noise = jax.random.normal(k_z, (128, latent))

    def d_loss(d_params):
        fake, _ = gen.apply(g_vars, noise)
        d = {**d_vars, "params": d_params}
        return bce(disc.apply(d, real)[0], 1.0) + bce(disc.apply(d, fake)[0], 0.0)

    def g_loss(g_params):
        fake, _ = gen.apply({**g_vars, "params": g_params}, noise)
        return bce(disc.apply(d_vars, fake)[0], 1.0)

    dl, d_grads = jax.value_and_grad(d_loss)(d_vars["params"])
    d_updates, d_opt = d_tx.update(d_grads, d_opt, d_vars["params"])
    d_vars = {**d_vars, "params": optax.apply_updates(d_vars["params"], d_updates)}
    gl, g_grads = jax.value_and_grad(g_loss)(g_vars["params"])
    g_updates, g_opt = g_tx.update(g_grads, g_opt, g_vars["params"])
    g_vars = {**g_vars, "params": optax.apply_updates(g_vars["params"], g_updates)}
    return g_vars, d_vars, g_opt, d_opt, dl, gl


key = jax.random.key(2)
for i in range(1500):
    key, sub = jax.random.split(key)
    g_vars, d_vars, g_opt, d_opt, dl, gl = step(g_vars, d_vars, g_opt, d_opt, sub)
    if (i + 1) % 500 == 0:
        print(f"step {i + 1}: d_loss {float(dl):.3f} g_loss {float(gl):.3f}")

generator.set_variables(g_vars)
samples = generator.predict(np.random.default_rng(0).normal(size=(1000, latent)), verbose=0)
radius = np.linalg.norm(samples, axis=-1)
print(f"Mean radius of generated points: {radius.mean():.3f} (the ring has radius 2)")
