"""Where kerax's ``fit`` spends its time between two compiled calls, per step.

    python benchmarks/profile_fit.py logs [--epochs 10] [--workload A32]
    py-spy record -r 500 -f raw -o fit.txt -- python benchmarks/profile_fit.py logs
    python benchmarks/profile_fit.py --report fit.txt      # the top per-step costs

Runs ``model.fit`` on a workload of :mod:`workloads` (one warm-up fit, then a timed one)
with a callback that forces a path: ``logs`` (``on_train_batch_end`` reads
``logs["loss"]``: one step per call, a sync per step), ``timer`` (only
``on_train_batch_begin``, recording ``time.perf_counter()``: an observer), ``verbose``
(``verbose=1``, stdout to a null sink) or ``none``. It prints the wall and CPU time per
step of the timed epochs. ``--report`` reads a ``py-spy --format raw`` file and lists,
for the samples under the fit loop, the share of the time each function takes
(inclusive and self), leaving out compiles (JAX's ``cache_miss``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def profile(mode: str, workload: str, epochs: int) -> None:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("KERAX_COMPILE_CACHE", "0")
    sys.path.insert(0, str(HERE))
    from workloads import WORKLOADS, build_keras_style, keras_style_optimizer, loss_spec, make_data

    import kerax

    w = WORKLOADS[workload]
    xs, ys = make_data(w)
    x, y = (xs[0] if len(xs) == 1 else xs), (ys[0] if len(ys) == 1 else ys)
    model = build_keras_style(w, kerax)
    name, weights = loss_spec(w)
    model.compile(optimizer=keras_style_optimizer(w, kerax), loss=name, loss_weights=weights)

    class Ends(kerax.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.wall: list[float] = []
            self.cpu: list[float] = []

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.wall.append(time.perf_counter())
            self.cpu.append(time.process_time())

    class Reader(kerax.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.loss = logs["loss"]

    class Timer(kerax.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter())

    callbacks = {"logs": [Reader()], "timer": [Timer()]}.get(mode, [])
    verbose = 1 if mode == "verbose" else 0
    ends = Ends()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        model.fit(x, y, batch_size=w.batch, epochs=1, verbose=verbose, callbacks=callbacks)
        ends.wall, ends.cpu = [], []
        wall0, cpu0 = time.perf_counter(), time.process_time()
        model.fit(
            x, y, batch_size=w.batch, epochs=epochs, verbose=verbose, callbacks=[*callbacks, ends]
        )

    def per_step(start: float, marks: list[float]) -> float:
        spans = [b - a for a, b in zip([start, *marks[:-1]], marks)]
        return statistics.median(spans) / w.steps_per_epoch * 1e3

    print(
        f"{workload} {mode}: {per_step(wall0, ends.wall):.4f} ms/step wall, "
        f"{per_step(cpu0, ends.cpu):.4f} ms/step CPU (all threads), median of {epochs} epochs"
    )


def report(path: Path, anchor: str, top: int) -> None:
    """The top functions under ``anchor`` in a py-spy raw profile."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        hits = [i for i, f in enumerate(frames) if anchor in f]
        if not hits or any("cache_miss" in f for f in frames):  # compiles are not steps
            continue
        n = int(count)
        total += n
        below = frames[hits[0] :]
        for f in set(below):
            inclusive[f] += n
        own[below[-1]] += n
    print(f"{total} samples under {anchor!r}")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"-- {title}")
        for f, n in counter.most_common(top):
            print(f"{100 * n / max(total, 1):5.1f}%  {f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "mode", nargs="?", default="logs", choices=["logs", "timer", "verbose", "none"]
    )
    parser.add_argument("--workload", default="A32")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--report", type=Path, help="summarize a py-spy raw profile instead")
    parser.add_argument("--anchor", default="_ArrayEpochs.run (", help="frame to sum under")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.report:
        report(args.report, args.anchor, args.top)
    else:
        profile(args.mode, args.workload, args.epochs)


if __name__ == "__main__":
    main()
