"""The custom ``train_step`` workload (``run.py --custom-step``): a VAE written as a
subclassed model with Keras 3's JAX ``train_step(self, state, data)``.

The same class body runs on kerax and on Keras 3 (it is built from the module it is
given); the hand-written reference is the same VAE in plain JAX + optax, one jitted,
donated step per batch over batches placed on the device once, its noise drawn from a
key folded with a step counter that lives on the device.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
from workloads import Workload

FEATURES, LATENT = 64, 2
ENCODER, DECODER = (32, 16), (32,)
LEARNING_RATE = 1e-3

WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in [
        Workload("V32", f"VAE {FEATURES}-32-16-{LATENT}-32-{FEATURES}, own train_step, Adam, batch 32",
                 "vae", 32, 200, "adam", chunk=50, chunks=20, fit_epochs=4, scan_len=1),
        Workload("V256", f"VAE {FEATURES}-32-16-{LATENT}-32-{FEATURES}, own train_step, Adam, batch 256",
                 "vae", 256, 50, "adam", chunk=10, chunks=20, fit_epochs=6, scan_len=1),
    ]
}  # fmt: skip


def make_data(w: Workload) -> np.ndarray:
    """Synthetic inputs in [0, 1) (binary crossentropy targets), fixed seed."""
    rng = np.random.default_rng(0)
    return rng.random((w.n, FEATURES), dtype=np.float32)


# ---------------------------------------------------------------------------- Keras-style
def build_vae(lib: Any) -> Any:
    """The VAE as a ``lib.Model`` subclass (``lib`` is ``keras`` or ``kerax``)."""
    import jax

    layers, ops = lib.layers, lib.ops

    class Sampling(layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(1337)

        def call(self, inputs: Any) -> Any:
            mean, log_var = inputs
            eps = lib.random.normal(ops.shape(mean), seed=self.seed_generator)
            return mean + ops.exp(0.5 * log_var) * eps

    class VAE(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.encoder = [layers.Dense(n, activation="relu") for n in ENCODER]
            self.z_mean = layers.Dense(LATENT)
            self.z_log_var = layers.Dense(LATENT)
            self.sampling = Sampling()
            # One list, assigned once: kerax does not track a layer appended to a list
            # attribute after the assignment (Keras does), so the model would differ.
            self.decoder = [
                *(layers.Dense(n, activation="relu") for n in DECODER),
                layers.Dense(FEATURES, activation="sigmoid"),
            ]
            self.total_tracker = lib.metrics.Mean(name="total_loss")
            self.reconstruction_tracker = lib.metrics.Mean(name="reconstruction_loss")
            self.kl_tracker = lib.metrics.Mean(name="kl_loss")

        @property
        def metrics(self) -> list[Any]:
            return [self.total_tracker, self.reconstruction_tracker, self.kl_tracker]

        def call(self, x: Any, training: Any = None) -> Any:
            h = x
            for layer in self.encoder:
                h = layer(h)
            mean, log_var = self.z_mean(h), self.z_log_var(h)
            h = self.sampling([mean, log_var])
            for layer in self.decoder:
                h = layer(h)
            return h, mean, log_var

        def losses_of(self, trainable: Any, non_trainable: Any, x: Any) -> Any:
            (rec_x, mean, log_var), non_trainable = self.stateless_call(
                trainable, non_trainable, x, training=True
            )
            bce = lib.losses.binary_crossentropy(x[..., None], rec_x[..., None])
            rec = ops.mean(ops.sum(bce, axis=1))
            kl = -0.5 * ops.mean(ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=1))
            return rec + kl, (rec, kl, non_trainable)

        def train_step(self, state: Any, data: Any) -> Any:
            trainable, non_trainable, optimizer_vars, metric_vars = state
            grad_fn = jax.value_and_grad(self.losses_of, has_aux=True)
            (total, (rec, kl, non_trainable)), grads = grad_fn(trainable, non_trainable, data)
            trainable, optimizer_vars = self.optimizer.stateless_apply(
                optimizer_vars, grads, trainable
            )
            logs, new_metric_vars = {}, []
            for metric, value in zip(self.metrics, (total, rec, kl), strict=True):
                n = len(metric.variables)
                start = len(new_metric_vars)
                values = metric.stateless_update_state(metric_vars[start : start + n], value)
                logs[metric.name] = metric.stateless_result(values)
                new_metric_vars += values
            return logs, (trainable, non_trainable, optimizer_vars, new_metric_vars)

    return VAE()


def _run_fit(w: Workload, lib: Any, callback_base: type, mode: str | None) -> dict[str, Any]:
    """``model.fit(x, batch_size, epochs, verbose=0)``; epochs timed from their ends.
    ``mode="logs"``: with a callback reading ``logs["total_loss"]`` every batch."""
    from frameworks import _fit_callback, _fit_timing

    x = make_data(w)
    t0 = time.perf_counter()
    model = build_vae(lib)
    model(x[:1])  # creates the weights (both libraries create them at the first call)
    init_s = time.perf_counter() - t0
    model.compile(optimizer=lib.optimizers.Adam(learning_rate=LEARNING_RATE))

    def fit(callback: Any) -> None:
        model.fit(x, batch_size=w.batch, epochs=1 + w.fit_epochs, verbose=0, callbacks=[callback])

    def callback(ends: list[float]) -> Any:
        if mode != "logs":
            return _fit_callback(callback_base, None, ends)

        class LossReader(callback_base):
            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                self.last = logs["total_loss"]

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                ends.append(time.perf_counter())

        return LossReader()

    out = _fit_timing(w, fit, callback, init_s)
    if mode == "logs":
        out["note"] = 'on_train_batch_end reads logs["total_loss"]'
    return out


def run_kerax_fit(w: Workload, mode: str | None = None) -> dict[str, Any]:
    """kerax ``fit`` through the model's own ``train_step``."""
    import kerax

    kerax.utils.set_random_seed(0)
    return _run_fit(w, kerax, kerax.callbacks.Callback, mode)


def run_keras_fit(w: Workload, mode: str | None = None) -> dict[str, Any]:
    """Keras 3 ``fit`` (JAX backend) through the same ``train_step``."""
    import keras

    keras.utils.set_random_seed(0)
    return _run_fit(w, keras, keras.callbacks.Callback, mode)


def _with_logs(runner: Any) -> Any:
    return lambda w: runner(w, mode="logs")


# ---------------------------------------------------------------------------- hand-written
def jax_init(key: Any) -> dict[str, Any]:
    """The VAE's dense layers, Glorot-uniform kernels and zero biases (Keras's defaults)."""
    import jax
    import jax.numpy as jnp

    sizes = [
        ("e1", FEATURES, ENCODER[0]),
        ("e2", ENCODER[0], ENCODER[1]),
        ("mean", ENCODER[1], LATENT),
        ("log_var", ENCODER[1], LATENT),
        ("d1", LATENT, DECODER[0]),
        ("d2", DECODER[0], FEATURES),
    ]
    keys = jax.random.split(key, len(sizes))
    params = {}
    for k, (name, i, o) in zip(keys, sizes, strict=True):
        limit = (6.0 / (i + o)) ** 0.5
        params[name] = {
            "w": jax.random.uniform(k, (i, o), minval=-limit, maxval=limit),
            "b": jnp.zeros((o,)),
        }
    return params


def jax_losses(params: dict[str, Any], x: Any, key: Any) -> tuple[Any, tuple[Any, Any]]:
    """``(total, (reconstruction, kl))`` of a batch, as the Keras-style step computes them."""
    import jax
    import jax.numpy as jnp

    dense = lambda q, h: h @ q["w"] + q["b"]  # noqa: E731
    h = jax.nn.relu(dense(params["e2"], jax.nn.relu(dense(params["e1"], x))))
    mean, log_var = dense(params["mean"], h), dense(params["log_var"], h)
    z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, mean.shape)
    out = jax.nn.sigmoid(dense(params["d2"], jax.nn.relu(dense(params["d1"], z))))
    p = jnp.clip(out, 1e-7, 1.0 - 1e-7)
    bce = -(x * jnp.log(p) + (1.0 - x) * jnp.log(1.0 - p))
    rec = jnp.mean(jnp.sum(bce, axis=1))
    kl = -0.5 * jnp.mean(jnp.sum(1 + log_var - jnp.square(mean) - jnp.exp(log_var), axis=1))
    return rec + kl, (rec, kl)


def run_jax(w: Workload) -> dict[str, Any]:
    """Hand-written JAX + optax: one jitted, donated step per batch (the 1.00x reference)."""
    import jax
    import jax.numpy as jnp
    import optax
    from frameworks import _time_loop, _timed

    x = make_data(w)
    params, init_s = _timed(lambda: jax_init(jax.random.key(0)))
    tx = optax.adam(LEARNING_RATE, eps=1e-7)
    base = jax.random.key(1)

    def step(params: Any, opt_state: Any, count: Any, bx: Any) -> Any:
        key = jax.random.fold_in(base, count)
        (total, (rec, kl)), grads = jax.value_and_grad(jax_losses, has_aux=True)(params, bx, key)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, count + 1, (total, rec, kl)

    jitted = jax.jit(step, donate_argnums=(0, 1, 2))
    b = w.batch

    def setup() -> Any:
        batches = [jax.device_put(x[i * b : (i + 1) * b]) for i in range(w.steps_per_epoch)]
        return batches, tx.init(params), jnp.zeros((), jnp.int32)

    (batches, opt_state, count), setup_s = _timed(setup)
    nb = len(batches)

    def call(state: Any, i: int) -> Any:
        return jitted(state[0], state[1], state[2], batches[i % nb])

    state = (params, opt_state, count, None)
    return _time_loop(call, state, w, setup_s=setup_s, init_s=init_s)


#: name -> (column title, runner); ``jax`` is the 1.00x reference of ``run.summarize``.
FRAMEWORKS = {
    "jax": ("hand-written JAX + optax loop", run_jax),
    "kerax_fit": ("kerax fit, own train_step", run_kerax_fit),
    "keras_fit": ("Keras 3 fit (JAX), own train_step", run_keras_fit),
    "kerax_fit_logs": ("kerax fit + logs-reading batch callback", _with_logs(run_kerax_fit)),
    "keras_fit_logs": ("Keras 3 fit + logs-reading batch callback", _with_logs(run_keras_fit)),
}
#: The headline ratios (Keras / kerax, per round): row title -> (kerax, Keras).
PAIRS = {
    "fit, no callback": ("kerax_fit", "keras_fit"),
    "fit + logs-reading batch callback": ("kerax_fit_logs", "keras_fit_logs"),
}


def quick(w: Workload) -> Workload:
    """Fewer timed chunks and one timed epoch (``--quick``)."""
    return dataclasses.replace(w, chunks=max(3, w.chunks // 4), fit_epochs=2)
