"""kerax ``fit`` with a logs-reading callback against the hand-written one-step loop, in
one process, alternating (the one-step path's target).

    python benchmarks/one_step_pair.py [PAIRS] [--workload A32]

Each pair runs, back to back: the hand-written jitted, donated step over the workload's
batches with ``float(loss)`` after every step (synced), 3 epochs of kerax ``model.fit``
whose callback reads ``logs["loss"]`` in ``on_train_batch_end`` (timed from epoch ends,
epochs 2 and 3), and the hand-written loop without the per-step read (unsynced). It
prints the per-step medians and kerax's ratio to each loop, taken per pair. Running
the three in one process, interleaved, cancels most of a shared machine's drift.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="?", type=int, default=10)
    parser.add_argument("--workload", default="A32")
    parser.add_argument(
        "--kerax-from", default=None, help="a kerax checkout to time instead of this one"
    )
    args = parser.parse_args()
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("KERAX_COMPILE_CACHE", "0")
    sys.path.insert(0, str(HERE))
    from run import _import_kerax_from

    _import_kerax_from(args.kerax_from)
    import jax
    from frameworks import device_batches, hand_written_step
    from workloads import (
        WORKLOADS,
        build_keras_style,
        jax_init,
        keras_style_optimizer,
        loss_spec,
        make_data,
    )

    import kerax

    w = WORKLOADS[args.workload]
    xs, ys = make_data(w)
    x, y = (xs[0] if len(xs) == 1 else xs), (ys[0] if len(ys) == 1 else ys)
    model = build_keras_style(w, kerax)
    name, weights = loss_spec(w)
    model.compile(optimizer=keras_style_optimizer(w, kerax), loss=name, loss_weights=weights)

    class Reader(kerax.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.loss = logs["loss"]

    class Ends(kerax.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter())

    step, tx = hand_written_step(w)
    b, n = w.batch, w.steps_per_epoch
    batches = device_batches(w, xs, ys)
    params = jax_init(w, jax.random.key(0))
    state = [params, tx.init(params)]

    def hand(sync: bool) -> float:
        p, o = state
        t = time.perf_counter()
        for i in range(n):
            p, o, loss = step(p, o, *batches[i])
            if sync:
                float(loss)
        jax.block_until_ready(p)
        state[:] = [p, o]
        return (time.perf_counter() - t) / n * 1e3

    def kerax_fit() -> float:
        ends = Ends()
        model.fit(x, y, batch_size=b, epochs=3, verbose=0, callbacks=[Reader(), ends])
        spans = [c - a for a, c in zip(ends.times, ends.times[1:])]
        return statistics.median(spans) / n * 1e3

    runs = {
        "hand-written, synced": lambda: hand(True),
        "kerax fit + logs reader": kerax_fit,
        "hand-written, unsynced": lambda: hand(False),
    }
    for run in runs.values():  # compile and warm up
        run()
        run()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.pairs):
        for key, run in runs.items():
            times[key].append(run())
    k = times["kerax fit + logs reader"]
    for key, values in times.items():
        ratios = [a / c for a, c in zip(k, values)]
        print(
            f"{key:24} {statistics.median(values):.4f} ms/step; kerax / this per pair: "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
