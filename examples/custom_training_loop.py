"""A custom training loop in plain JAX over a kerax model's pure functions.

The model is built with the Keras API; training uses only ``model.lowered.init`` /
``model.lowered.apply``, optax and ``jax.jit``. The last lines hand the trained values
back to the Keras object, so ``model.predict`` and ``model.evaluate`` see them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

import kerax as keras
from kerax.datasets import digits
from kerax.layers import Dense, Dropout, Input

(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train, x_test = x_train.reshape(-1, 64) / 16.0, x_test.reshape(-1, 64) / 16.0

inputs = Input(shape=(64,))
x = Dense(64, activation="relu")(inputs)
x = Dropout(0.1)(x)
outputs = Dense(10)(x)  # logits
model = keras.Model(inputs, outputs)

lowered = model.lowered
variables = lowered.init(jax.random.key(0))
tx = optax.adam(3e-3)
opt_state = tx.init(variables["params"])


def loss_fn(params, state, x, y, key):
    logits, new_state = lowered.apply({"params": params, "state": state}, x, training=True, rng=key)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits=logits, labels=y).mean()
    return loss, new_state


@jax.jit
def train_step(variables, opt_state, x, y, key):
    (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        variables["params"], variables["state"], x, y, key
    )
    updates, opt_state = tx.update(grads, opt_state, variables["params"])
    params = optax.apply_updates(variables["params"], updates)
    return {"params": params, "state": state}, opt_state, loss


key = jax.random.key(1)
batch = 64
for epoch in range(15):
    key, perm_key = jax.random.split(key)
    perm = np.asarray(jax.random.permutation(perm_key, len(x_train)))
    for i in range(0, len(perm) - batch + 1, batch):
        idx = perm[i : i + batch]
        key, step_key = jax.random.split(key)
        variables, opt_state, loss = train_step(
            variables, opt_state, x_train[idx], y_train[idx], step_key
        )
    print(f"epoch {epoch + 1}: loss {float(loss):.4f}")

# Hand the trained values to the Keras object: every model sharing these layers sees them.
model.set_variables(variables)
logits = model.predict(x_test, verbose=0)
accuracy = float(jnp.mean(jnp.argmax(logits, -1) == y_test))
print(f"Test accuracy: {accuracy:.4f}")
