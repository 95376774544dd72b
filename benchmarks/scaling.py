"""Data-parallel scaling: kerax ``fit`` under ``DataParallel`` on 1, 2, 4, 8 devices.

kerax runs twice per device count: with the dataset copied to every device (the
default for datasets up to ``placement.REPLICATE_MAX_BYTES``) and split by rows over
them (larger datasets, and several processes).

Each device count runs in its own process (on CPU the devices are simulated with
``--xla_force_host_platform_device_count``). The per-device batch is fixed (weak
scaling), and each process also times a hand-written JAX data-parallel loop on the
same devices (``jax.jit`` with ``NamedSharding``: parameters replicated, batches split,
a whole epoch per call) as the reference, so the table shows both how throughput grows
with devices and what kerax costs over the hand-written loop at each count.

On CPU the simulated devices share the machine's cores, so throughput cannot grow
past the core count; the figure that carries over to real devices is the kerax /
hand-written ratio. On a GPU host, the devices are the real GPUs.

Usage::

    python benchmarks/scaling.py                      # 1, 2, 4, 8 devices
    python benchmarks/scaling.py --devices 1,2 --per-device-batch 64
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

HIDDEN, STEPS, EPOCHS = 256, 40, 4


def _model_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    return x, y


def _kerax_fit(batch: int, x: np.ndarray, y: np.ndarray, split: bool) -> float:
    """Median seconds per step of ``fit`` under DataParallel (first epoch = compile).
    ``split``: the dataset split by rows over the devices (as large datasets are),
    instead of copied to each (as this small one is by default)."""
    import kerax
    from kerax import distribution
    from kerax.distribution import placement
    from kerax.layers import Dense, Input

    placement.REPLICATE_MAX_BYTES = 0 if split else 64 * 2**20
    distribution.set_distribution(distribution.DataParallel())
    kerax.set_random_seed(0)
    inputs = Input(shape=(784,))
    h = Dense(HIDDEN, activation="relu")(inputs)
    h = Dense(HIDDEN, activation="relu")(h)
    model = kerax.Model(inputs, Dense(10, activation="softmax")(h))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    ends: list[float] = []

    class EpochEnds(kerax.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            ends.append(time.perf_counter())

    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=EPOCHS, verbose=0, callbacks=[EpochEnds()])
    epochs = [b - a for a, b in zip([t0, *ends[:-1]], ends)]
    return statistics.median(epochs[1:]) / STEPS


def _hand_written(batch: int, x: np.ndarray, y: np.ndarray) -> float:
    """Median seconds per step of a hand-written data-parallel JAX + optax loop that runs
    a whole epoch per compiled call (``fori_loop`` over batches placed on the devices,
    split over the batch axis): the limit for data-parallel training.

    (A Python loop of one call per step deadlocks XLA's CPU collectives when many
    steps are queued on simulated devices sharing two cores; on real devices it would
    not, but the whole-epoch loop is the stronger reference anyway.)"""
    import jax
    import jax.numpy as jnp
    import optax
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.array(jax.devices()), ("batch",))
    replicated = NamedSharding(mesh, P())
    keys = jax.random.split(jax.random.key(0), 3)
    sizes = [(784, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN, 10)]
    params = [
        {"w": jax.nn.initializers.glorot_uniform()(k, s), "b": jnp.zeros(s[1])}
        for k, s in zip(keys, sizes)
    ]
    tx = optax.rmsprop(1e-3, decay=0.9, eps=1e-7)
    params = jax.device_put(params, replicated)
    opt_state = jax.device_put(tx.init(params), replicated)

    def loss_fn(p: Any, xb: Any, yb: Any) -> Any:
        h = xb
        for i, layer in enumerate(p):
            h = h @ layer["w"] + layer["b"]
            h = jax.nn.relu(h) if i < len(p) - 1 else jax.nn.softmax(h)
        return -jnp.mean(jnp.sum(yb * jnp.log(jnp.clip(h, 1e-7, 1.0)), -1))

    def step(p: Any, s: Any, xb: Any, yb: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        updates, s = tx.update(g, s, p)
        return optax.apply_updates(p, updates), s, loss

    def epoch(p: Any, s: Any, xs: Any, ys: Any) -> Any:
        def body(i: Any, carry: Any) -> Any:
            return step(*carry[:2], xs[i], ys[i])

        return jax.lax.fori_loop(0, STEPS, body, (p, s, jnp.zeros(())))

    epoch = jax.jit(epoch, donate_argnums=(0, 1))
    batched = NamedSharding(mesh, P(None, "batch"))
    xs = jax.device_put(x.reshape(STEPS, batch, -1), batched)
    ys = jax.device_put(y.reshape(STEPS, batch, -1), batched)
    times = []
    for _ in range(EPOCHS):
        t0 = time.perf_counter()
        params, opt_state, loss = epoch(params, opt_state, xs, ys)
        loss.block_until_ready()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:]) / STEPS


def child(devices: int, per_device_batch: int) -> dict[str, Any]:
    import jax

    assert len(jax.devices()) == devices, jax.devices()
    batch = per_device_batch * devices
    x, y = _model_data(batch * STEPS)
    kerax_s, split_s, hand_s = [], [], []
    for _ in range(3):  # alternate, so drift hits all alike
        hand_s.append(_hand_written(batch, x, y))
        kerax_s.append(_kerax_fit(batch, x, y, split=False))
        split_s.append(_kerax_fit(batch, x, y, split=True))
    return {
        "devices": devices,
        "batch": batch,
        "kerax_ms": statistics.median(kerax_s) * 1e3,
        "split_ms": statistics.median(split_s) * 1e3,
        "hand_ms": statistics.median(hand_s) * 1e3,
        "ratio": statistics.median(k / h for k, h in zip(kerax_s, hand_s)),
        "split_ratio": statistics.median(k / h for k, h in zip(split_s, hand_s)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="1,2,4,8")
    parser.add_argument("--per-device-batch", type=int, default=64)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.per_device_batch)))
        return 0
    rows = []
    for d in [int(v) for v in args.devices.split(",")]:
        env = dict(
            os.environ,
            KERAX_COMPILE_CACHE="0",
            JAX_PLATFORMS=os.environ.get("JAX_PLATFORMS", "cpu"),
        )
        if env["JAX_PLATFORMS"] == "cpu":
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={d}"
        cmd = [sys.executable, __file__, "--child", str(d)]
        cmd += ["--per-device-batch", str(args.per_device_batch)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done: {d} device(s)", file=sys.stderr)
    base = rows[0]["batch"] / rows[0]["kerax_ms"]
    print(f"MLP 784-{HIDDEN}-{HIDDEN}-10, RMSprop, {args.per_device_batch} examples per device\n")
    print(
        "| devices | global batch | kerax fit ms/step | examples/s | vs 1 device | "
        "hand-written DP ms/step | kerax / hand-written | kerax, data split by rows: "
        "ms/step | / hand-written |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        eps = r["batch"] / r["kerax_ms"] * 1e3
        print(
            f"| {r['devices']} | {r['batch']} | {r['kerax_ms']:.3f} | {eps:,.0f} | "
            f"{eps / (base * 1e3):.2f}× | {r['hand_ms']:.3f} | {r['ratio']:.2f}× | "
            f"{r['split_ms']:.3f} | {r['split_ratio']:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
