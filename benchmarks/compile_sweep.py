"""Time to the first training step, by depth: kerax vs Keras 3 vs a hand-written JAX loop.

    python benchmarks/compile_sweep.py                      # every workload, 3 rounds
    python benchmarks/compile_sweep.py --only res3,res12 --rounds 1
    python benchmarks/compile_sweep.py --one res12 kerax    # one configuration, one JSON line
    python benchmarks/compile_sweep.py --stages res12       # kerax: each stage's programs

Workloads: ``resN`` is a residual MLP of N blocks ``Dense(64, relu) -> Dense(64) -> Add
-> LayerNormalization`` on 64 features, a ``Dense(1)`` head, Adam, MSE, batch 32 on 2,048
rows (``res3``, ``res12``, ``res50``, ``res250``: about 10, 50, 200 and 1,000 layers);
``convN`` is a stack of N ``Conv2D(16, 3, padding="same", activation="relu")`` on
28x28x1, max-pooled after the second, a global average pool and a ``Dense(10)`` head,
Adam, MSE, batch 32 on 512 rows (``conv`` is ``conv3``); ``digits`` is the README's example (``examples/digits_mlp.py``):
its model, data and compile arguments.

Each configuration runs in its own process, with every compile cache off
(``KERAX_COMPILE_CACHE=0``, no JAX cache directory), so every compile is cold. Columns:

- ``build s``: building the model (kerax creates weights lazily, at the first ``fit``;
  Keras creates them here; the hand-written loop creates its parameters here);
- ``wait s``: the first epoch (a first ``fit`` of one epoch on all rows, from the call
  to its return) minus a steady epoch: everything the steps wait for (weights,
  optimizer state, tracing, compiles), the issue's "first epoch - steady"; the
  hand-written loop: ``optax`` init, the jitted step's compile and an epoch of steps;
- ``build + wait s``: the two together, the fair comparison with Keras, which creates
  its weights while building (the ratio to Keras is of this sum; the ratio to the
  hand-written loop is of the wait alone, its parameters being made apart);
- ``programs``: XLA compilations during that first ``fit`` (``jax_log_compiles``), and
  ``compile s`` the XLA compile time they took (tracing and lowering not included);
- ``ms/step``: a steady epoch (the third of a second ``fit`` on all rows) per step;
- ``peak RSS MB``: the process's peak resident memory over the whole run.

Ratios are taken per round (kerax over Keras, kerax over the hand-written loop) and the
median is shown, so a shared machine's drift cancels; compile counts do not drift.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

WORKLOADS = ("res3", "res12", "res50", "conv4", "conv16", "digits")
FRAMEWORKS = ("kerax", "keras", "jax")
ROWS, BATCH, WIDTH = 2048, 32, 64


class _Compiles(logging.Handler):
    """Counts XLA compilations (and their seconds) from JAX's compile log."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count, self.seconds, self.on = 0, 0.0, False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if self.on and message.startswith("Finished XLA compilation"):
            self.count += 1
            self.seconds += float(message.rsplit(" in ", 1)[1].split()[0])


def _depth(workload: str) -> int:
    """The N of ``resN`` / ``convN`` (``conv`` alone is ``conv3``)."""
    digits = workload.lstrip("resconv")
    return int(digits) if digits else 3


def _data(workload: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if workload == "digits":
        from kerax.datasets import digits

        (x, y), _ = digits.load_data()
        x = x.reshape(-1, 64).astype("float32") / 16.0
        return x, np.eye(10, dtype="float32")[y]
    if workload.startswith("conv"):
        x = rng.normal(size=(512, 28, 28, 1)).astype("float32")
        return x, rng.normal(size=(512, 10)).astype("float32")
    x = rng.normal(size=(ROWS, WIDTH)).astype("float32")
    return x, rng.normal(size=(ROWS, 1)).astype("float32")


def _keras_style(workload: str, k: Any) -> Any:
    """The model in Keras's API (``k`` is ``kerax`` or ``keras``), compiled."""
    layers = k.layers
    if workload == "digits":
        inp = layers.Input((64,))
        h = layers.Dense(64, activation="relu")(inp)
        h = layers.Dense(64, activation="relu")(h)
        model = k.Model(inp, layers.Dense(10, activation="softmax")(h))
        model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])
        return model
    if workload.startswith("conv"):
        inp = layers.Input((28, 28, 1))
        h = inp
        for j in range(_depth(workload)):
            h = layers.Conv2D(16, 3, padding="same", activation="relu")(h)
            if j == 1:
                h = layers.MaxPooling2D(2)(h)
        h = layers.GlobalAveragePooling2D()(h)
        model = k.Model(inp, layers.Dense(10)(h))
        model.compile("adam", "mse")
        return model
    inp = layers.Input((WIDTH,))
    h = inp
    for _ in range(_depth(workload)):
        a = layers.Dense(WIDTH, activation="relu")(h)
        a = layers.Dense(WIDTH)(a)
        h = layers.LayerNormalization()(layers.Add()([h, a]))
    model = k.Model(inp, layers.Dense(1)(h))
    model.compile("adam", "mse")
    return model


def _fit_framework(workload: str, name: str, x: Any, y: Any, log: _Compiles) -> dict:
    k = __import__(name)
    t0 = time.perf_counter()
    model = _keras_style(workload, k)
    t1 = time.perf_counter()
    log.on = True
    first = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    first = time.perf_counter() - first
    log.on = False
    ends: list[float] = []

    class Ends(k.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            ends.append(time.perf_counter())

    model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[Ends()])
    steady = ends[2] - ends[1]
    return {
        "build": t1 - t0,
        "first": first - steady,
        "steady_ms": 1e3 * steady / (len(x) // BATCH),
    }


def _jax(workload: str, x: Any, y: Any, log: _Compiles) -> dict:
    """The hand-written loop: pure functions, one jitted step with donated state."""
    import jax
    import jax.numpy as jnp
    import optax

    def glorot(key: Any, fan_in: int, fan_out: int, shape: tuple) -> Any:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return jax.random.uniform(key, shape, jnp.float32, -limit, limit)

    t0 = time.perf_counter()
    keys = iter(jax.random.split(jax.random.key(0), 512))
    if workload.startswith("conv"):
        depth = _depth(workload)
        params: Any = {
            "convs": [
                (glorot(next(keys), 9 * i, 9 * 16, (3, 3, i, 16)), jnp.zeros(16))
                for i in [1] + [16] * (depth - 1)
            ],
            "head": (glorot(next(keys), 16, 10, (16, 10)), jnp.zeros(10)),
        }

        def apply(p: Any, xb: Any) -> Any:
            h = xb
            for j, (w, b) in enumerate(p["convs"]):
                h = jax.lax.conv_general_dilated(
                    h, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
                )
                h = jax.nn.relu(h + b)
                if j == 1:
                    h = jax.lax.reduce_window(
                        h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"
                    )
            w, b = p["head"]
            return h.mean(axis=(1, 2)) @ w + b
    else:
        blocks, out = (0, 10) if workload == "digits" else (_depth(workload), 1)
        dense = lambda i, o: (glorot(next(keys), i, o, (i, o)), jnp.zeros(o))  # noqa: E731
        params = {
            "blocks": [
                (dense(WIDTH, WIDTH), dense(WIDTH, WIDTH), (jnp.ones(WIDTH), jnp.zeros(WIDTH)))
                for _ in range(blocks)
            ],
            "mlp": [dense(WIDTH, WIDTH), dense(WIDTH, WIDTH)] if workload == "digits" else [],
            "head": dense(WIDTH, out),
        }

        def apply(p: Any, xb: Any) -> Any:
            h = xb
            for w, b in p["mlp"]:
                h = jax.nn.relu(h @ w + b)
            for (w1, b1), (w2, b2), (g, be) in p["blocks"]:
                h = h + (jax.nn.relu(h @ w1 + b1) @ w2 + b2)
                # kerax's form of the layer norm. Written ``be - mean * inv`` (or with
                # ``mean((h - mean) ** 2)``) the same numbers compile 3x slower at 12
                # blocks and 25x at 50 on XLA's CPU compiler: a reference that slow is
                # no reference.
                mean = h.mean(-1, keepdims=True)
                inv = jax.lax.rsqrt(jnp.var(h, -1, keepdims=True) + 1e-3) * g
                h = h * inv + (-mean * inv + be)
            w, b = p["head"]
            return h @ w + b

    def loss_fn(p: Any, xb: Any, yb: Any) -> Any:
        out = apply(p, xb)
        if workload == "digits":
            return optax.softmax_cross_entropy(out, yb).mean()
        return ((out - yb) ** 2).mean()

    tx = optax.rmsprop(1e-3, decay=0.9, eps=1e-7) if workload == "digits" else optax.adam(1e-3)

    @jax.jit
    def step(p: Any, opt: Any, xb: Any, yb: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(p, xb, yb)
        updates, opt = tx.update(grads, opt, p)
        return optax.apply_updates(p, updates), opt, loss

    step = jax.jit(step.__wrapped__, donate_argnums=(0, 1))
    jax.block_until_ready(params)
    xs, ys = jnp.asarray(x), jnp.asarray(y)
    n = len(x) // BATCH
    batches = [(xs[i * BATCH : (i + 1) * BATCH], ys[i * BATCH : (i + 1) * BATCH]) for i in range(n)]
    jax.block_until_ready((params, batches))
    t1 = time.perf_counter()
    log.on = True
    opt = tx.init(params)
    for xb, yb in batches:
        params, opt, loss = step(params, opt, xb, yb)
    loss.block_until_ready()
    first = time.perf_counter() - t1
    log.on = False
    times = []
    for _ in range(3):
        s = time.perf_counter()
        for xb, yb in batches:
            params, opt, loss = step(params, opt, xb, yb)
        loss.block_until_ready()
        times.append(time.perf_counter() - s)
    return {"build": t1 - t0, "first": first - times[-1], "steady_ms": 1e3 * times[-1] / n}


def run_one(workload: str, framework: str) -> dict:
    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    jax.config.update("jax_log_compiles", True)
    log = _Compiles()
    logger = logging.getLogger("jax")
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    x, y = _data(workload)
    if framework == "jax":
        out = _jax(workload, x, y, log)
    else:
        out = _fit_framework(workload, framework, x, y, log)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**out, "programs": log.count, "compile": log.seconds, "rss_mb": peak_mb}


def stages(workload: str) -> None:
    """kerax only: the time of each stage before a first step, evaluate and predict,
    and every XLA program compiled in each (name and seconds)."""
    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    import kerax

    jax.config.update("jax_log_compiles", True)
    programs: list[tuple[str, float]] = []

    class Each(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.startswith("Finished XLA compilation of "):
                name, seconds = message[len("Finished XLA compilation of ") :].rsplit(" in ", 1)
                programs.append((name, float(seconds.split()[0])))

    logger = logging.getLogger("jax")
    logger.addHandler(Each(logging.DEBUG))
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    x, y = _data(workload)

    def stage(title: str, fn: Any) -> None:
        del programs[:]
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
        by_name: dict[str, list[float]] = {}
        for name, seconds in programs:
            by_name.setdefault(name, []).append(seconds)
        listed = ", ".join(
            f"{n} x{len(v)} {sum(v):.2f}s"
            for n, v in sorted(by_name.items(), key=lambda i: -sum(i[1]))
        )
        total = sum(s for _, s in programs)
        print(f"{title}: {wall:.2f} s wall, {len(programs)} programs, {total:.2f} s XLA: {listed}")

    box: dict[str, Any] = {}
    stage("build", lambda: box.update(model=_keras_style(workload, kerax)))
    model = box["model"]
    stage("weights", lambda: model.lowered.layout.current())
    stage("fit, one batch", lambda: model.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, verbose=0))
    stage("fit, 2 epochs", lambda: model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0))
    stage("evaluate", lambda: model.evaluate(x, y, batch_size=BATCH, verbose=0))
    stage("predict", lambda: model.predict(x, batch_size=BATCH, verbose=0))
    owners = model.lowered.layout.layers
    keys = jax.random.split(jax.random.key(0), len(owners))
    one = jax.jit(lambda ks: [la.init(k) for la, k in zip(owners, ks)])
    stage("(before) one init program over all layers", lambda: one.lower(keys).compile())


def _child_env() -> dict[str, str]:
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu", KERAX_COMPILE_CACHE="0")
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    return env


def _ratio(a: dict, b: dict, kind: str) -> float:
    """``a`` over ``b``: build + first step (``"total"``: Keras creates its weights while
    building, kerax at the first ``fit``), the first step alone, or the peak RSS."""
    if kind == "total":
        return (a["build"] + a["first"]) / (b["build"] + b["first"])
    if kind == "rss":
        return a["rss_mb"] / b["rss_mb"]
    return a["first"] / b["first"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"))
    parser.add_argument("--stages", metavar="WORKLOAD", help="kerax's stages, per program")
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return
    if args.stages:
        stages(args.stages)
        return
    workloads, frameworks = args.only.split(","), args.frameworks.split(",")
    results: dict[tuple[str, str], list[dict]] = {}
    for r in range(args.rounds):
        for w in workloads:
            order = frameworks if r % 2 == 0 else frameworks[::-1]
            for f in order:
                proc = subprocess.run(
                    [sys.executable, __file__, "--one", w, f],
                    env=_child_env(),
                    capture_output=True,
                    text=True,
                )
                if proc.returncode:
                    print(f"{w} {f} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
                    continue
                results.setdefault((w, f), []).append(json.loads(proc.stdout.splitlines()[-1]))
    print(f"load average: {os.getloadavg()}; {args.rounds} round(s)\n")
    print(
        "| workload | framework | build s | wait s | build + wait s | programs "
        "| compile s | ms/step | peak RSS MB | build + wait / Keras | wait / JAX "
        "| RSS / Keras |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for w in workloads:
        for f in frameworks:
            runs = results.get((w, f), [])
            if not runs:
                continue
            med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            ratios = []
            for ref, kind in (("keras", "total"), ("jax", "first"), ("keras", "rss")):
                refs = results.get((w, ref), [])
                pairs = [_ratio(a, b, kind) for a, b in zip(runs, refs)]
                ratios.append(f"{statistics.median(pairs):.2f}x" if pairs else "-")
            both = statistics.median(run["build"] + run["first"] for run in runs)
            print(
                f"| {w} | {f} | {med['build']:.2f} | {med['first']:.2f} | {both:.2f} "
                f"| {med['programs']:.0f} "
                f"| {med['compile']:.2f} | {med['steady_ms']:.3f} | {med['rss_mb']:.0f} "
                f"| {ratios[0]} | {ratios[1]} | {ratios[2]} |"
            )


if __name__ == "__main__":
    main()
