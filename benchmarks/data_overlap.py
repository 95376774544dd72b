"""Does data loading overlap training? ``fit`` on a ``PyDataset`` whose batches cost a
controlled host time, in kerax and in Keras 3 (JAX backend), side by side in one process.

    python benchmarks/data_overlap.py [--rounds 7] [--steps 40] [--delay-ms D] [--load sleep]

The model is an MLP 784-512-512-10 (relu, softmax), Adam, batch 256, so that one step
takes several ms on the CPU backend. Each batch of the dataset costs ``D`` ms of host
time (``--load sleep``: ``time.sleep``, like waiting for a file or the network;
``--load numpy``: a busy NumPy computation of about that length, like decoding, which
competes with the step for the cores) and then copies a slice of a fixed array. ``D``
defaults to kerax's own time per step on the dataset without delay, measured first, so
that load and compute are about equal: with overlap an epoch takes about
max(load, compute), without it load + compute.

Each configuration is timed as the last epoch of a 2-epoch ``fit`` (a callback at the
epoch boundaries, where ``fit`` waits for the device anyway), after a warm-up that
compiles every program:

- ``arrays``: ``fit(x, y)`` on the arrays in memory (compute only, the fast path);
- ``iter, no load``: the PyDataset without delay (compute only, one step per batch);
- ``load only, w=1`` / ``w=4``: passes over the dataset with one / four workers, without
  training (Keras's through its own adapter and worker pool, as its ``fit`` does);
- ``workers=1`` / ``workers=4`` / ``processes``: ``fit`` on the dataset with the delay,
  with one worker (batches computed in the training thread), four, and
  ``use_multiprocessing=True`` with four (kerax runs them in threads; Keras forks
  processes, only with ``--keras-processes``: forking after JAX has started can hang).

Within a round the configurations run one after another, kerax's and Keras's back to
back (in alternating order), so that what is compared is measured close together; every
ratio is taken within a round, then the median over rounds is printed. ``epoch / (load +
compute)`` is 1.00 without overlap and max(load, compute) / (load + compute) (about 0.5
when load and compute are equal) with full overlap.
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
BATCH, FEATURES, HIDDEN, CLASSES = 256, 784, 512, 10


def build(lib: Any) -> Any:
    """The MLP, compiled, in ``lib`` (``kerax`` or ``keras``)."""
    inp = lib.Input((FEATURES,))
    h = lib.layers.Dense(HIDDEN, activation="relu")(inp)
    h = lib.layers.Dense(HIDDEN, activation="relu")(h)
    out = lib.layers.Dense(CLASSES, activation="softmax")(h)
    model = lib.Model(inp, out)
    model.compile(optimizer=lib.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def busy(seconds: float) -> None:
    """About ``seconds`` of NumPy work (a decode-like computation) on this thread."""
    import numpy as np

    end = time.perf_counter() + seconds
    a = np.ones((64, 64), np.float32)
    while time.perf_counter() < end:
        a = np.tanh(a @ a * 1e-3)


def dataset_class(lib: Any) -> type:
    """A ``lib.utils.PyDataset`` whose batches cost ``delay`` seconds each."""

    class Batches(lib.utils.PyDataset):
        def __init__(self, x: Any, y: Any, delay: float, load: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.x, self.y, self.delay, self.load = x, y, delay, load

        def __len__(self) -> int:
            return len(self.x) // BATCH

        def __getitem__(self, i: int) -> Any:
            if self.delay:
                (time.sleep if self.load == "sleep" else busy)(self.delay)
            s = slice(i * BATCH, (i + 1) * BATCH)
            return self.x[s] * 1.0, self.y[s]

    return Batches


def epoch_timer(lib: Any) -> Any:
    """A callback that records the wall time of every epoch."""

    class Timer(lib.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter() - self.t0)

    return Timer()


class Framework:
    """One framework's model and data, and its timings."""

    def __init__(self, lib: Any, x: Any, y: Any, epochs: int, load: str) -> None:
        self.lib, self.x, self.y, self.epochs, self.load = lib, x, y, epochs, load
        self.Batches = dataset_class(lib)
        self.model = build(lib)

    def dataset(self, delay: float, **kwargs: Any) -> Any:
        return self.Batches(self.x, self.y, delay, self.load, **kwargs)

    def fit(self, data: Any) -> float:
        """The last epoch's time of a fit on ``data`` (a dataset or ``(x, y)``)."""
        timer = epoch_timer(self.lib)
        kw = dict(epochs=self.epochs, verbose=0, callbacks=[timer], shuffle=False)
        if isinstance(data, tuple):
            self.model.fit(*data, batch_size=BATCH, **kw)
        else:
            self.model.fit(data, **kw)
        return timer.times[-1]

    def load_only(self, data: Any) -> float:
        """The last of ``epochs`` passes over the dataset, without training."""
        for _ in range(self.epochs):
            t0 = time.perf_counter()
            if self.lib.__name__ == "kerax":
                for _batch in data:
                    pass
            else:  # Keras's adapter: its worker pool, as in ``fit``
                from keras.src.trainers.data_adapters.py_dataset_adapter import (
                    PyDatasetAdapter,
                )

                adapter = PyDatasetAdapter(data)
                for _batch in adapter.get_numpy_iterator():
                    pass
                adapter.on_epoch_end()
            took = time.perf_counter() - t0
        return took


# (name, what it runs, dataset arguments: None for the arrays, else (delay?, kwargs))
CONFIGS: list[tuple[str, str, Any]] = [
    ("arrays", "fit", None),
    ("iter, no load", "fit", (False, {})),
    ("load only, w=1", "load", (True, {"workers": 1})),
    ("load only, w=4", "load", (True, {"workers": 4})),
    ("workers=1", "fit", (True, {"workers": 1})),
    ("workers=4", "fit", (True, {"workers": 4})),
    ("processes", "fit", (True, {"workers": 4, "use_multiprocessing": True})),
]
LOAD_OF = {"workers=1": "load only, w=1", "workers=4": "load only, w=4",
           "processes": "load only, w=4"}  # fmt: skip


def run_config(fw: Framework, config: tuple[str, str, Any], delay: float) -> float:
    """One configuration's time per epoch, in seconds."""
    _, what, spec = config
    if spec is None:
        return fw.fit((fw.x, fw.y))
    data = fw.dataset(delay if spec[0] else 0.0, **spec[1])
    return fw.fit(data) if what == "fit" else fw.load_only(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=40, help="batches per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="per fit (the last is timed)")
    parser.add_argument("--delay-ms", type=float, default=None, help="host time per batch")
    parser.add_argument("--load", choices=("sleep", "numpy"), default="sleep")
    parser.add_argument("--keras-processes", action="store_true")
    parser.add_argument("--frameworks", default="kerax,keras")
    args = parser.parse_args()
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("KERAX_COMPILE_CACHE", "0")
    sys.path.insert(0, str(HERE))
    import warnings

    import numpy as np

    warnings.filterwarnings("ignore", message=".*use_multiprocessing.*")
    rng = np.random.default_rng(0)
    x = rng.random((args.steps * BATCH, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, args.steps * BATCH).astype(np.int32)
    libs = {name: __import__(name) for name in args.frameworks.split(",")}
    fws = {name: Framework(lib, x, y, args.epochs, args.load) for name, lib in libs.items()}
    for fw in fws.values():  # compiles every program (the arrays' and the iterables')
        run_config(fw, CONFIGS[0], 0.0), run_config(fw, CONFIGS[1], 0.0)
    first = next(iter(fws.values()))
    if args.delay_ms is None:
        delay = statistics.median(run_config(first, CONFIGS[1], 0.0) for _ in range(3))
        delay /= args.steps
    else:
        delay = args.delay_ms / 1e3
    print(f"delay per batch: {delay * 1e3:.2f} ms ({args.load}), {args.steps} steps/epoch")
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in fws}
    order = list(fws)
    for rnd in range(args.rounds):
        for name in fws:
            rows[name].append({})
        # Configuration by configuration, the frameworks back to back (in alternating
        # order), so that the figures compared are taken close together in time.
        for config in CONFIGS:
            for name in order if rnd % 2 == 0 else order[::-1]:
                if config[0] == "processes" and name == "keras" and not args.keras_processes:
                    continue
                rows[name][-1][config[0]] = run_config(fws[name], config, delay)
        for name in fws:
            print(f"round {rnd + 1} {name}: " + ", ".join(
                f"{k} {v * 1e3:.0f}" for k, v in rows[name][-1].items()), flush=True)  # fmt: skip
    report(rows, args)


def report(rows: dict[str, list[dict[str, float]]], args: Any) -> None:
    """The Markdown table: median ms per epoch, median per-round overlap ratios, and
    kerax / Keras per round."""
    names = list(rows)
    print()
    head = ["configuration"]
    for name in names:
        head += [f"{name} ms", f"{name} epoch / (load + compute)"]
    if len(names) == 2:
        head.append(f"{names[0]} / {names[1]}")
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for config, _, _ in CONFIGS:
        cells = [config]
        for name in names:
            rounds = [r for r in rows[name] if config in r]
            if not rounds:
                cells += ["–", "–"]
                continue
            cells.append(f"{statistics.median(r[config] for r in rounds) * 1e3:.0f}")
            if config in LOAD_OF:
                load, compute = LOAD_OF[config], "iter, no load"
                serial = [r[config] / (r[load] + r[compute]) for r in rounds]
                full = [max(r[load], r[compute]) / (r[load] + r[compute]) for r in rounds]
                cells.append(
                    f"{statistics.median(serial):.2f} (full overlap: {statistics.median(full):.2f})"
                )
            else:
                cells.append("")
        if len(names) == 2:
            pairs = [(a[config], b[config]) for a, b in zip(*rows.values()) if config in b]
            cells.append(f"{statistics.median(a / b for a, b in pairs):.2f}" if pairs else "–")
        print("| " + " | ".join(cells) + " |")
    print(
        f"\nms per epoch ({args.steps} steps of batch {BATCH}), median of {args.rounds} "
        "rounds; ratios are taken per round, then the median. epoch / (load + compute): "
        "1.00 is no overlap, the value in brackets max(load, compute) / (load + compute) "
        "full overlap; compute is the configuration 'iter, no load' of the same round."
    )


if __name__ == "__main__":
    main()
