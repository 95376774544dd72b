"""One process of a two-process data-parallel run (or, with ``single``, the one-device
reference on all the data). Writes its results as JSON to the path given.

    mp_script.py single OUT
    mp_script.py PROCESS_ID OUT PORT LAYOUT   # LAYOUT: contiguous | interleaved
"""

import os
import sys

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
os.environ.setdefault("KERAX_COMPILE_CACHE", "0")

import json  # noqa: E402

import numpy as np  # noqa: E402

mode, out_path = sys.argv[1], sys.argv[2]

import kerax  # noqa: E402
from kerax import distribution  # noqa: E402
from kerax.layers import Dense, Input  # noqa: E402

if mode != "single":
    pid, port = int(mode), int(sys.argv[3])
    distribution.initialize(f"localhost:{port}", num_processes=2, process_id=pid)

rng = np.random.default_rng(0)
data = rng.normal(size=(40, 6)).astype(np.float32)
target = data[:, :2] * 2 - data[:, 2:4]

kerax.backend.clear_session()
# Process 1 draws different initial weights: fit must start both from process 0's.
kerax.set_random_seed(0 if mode in ("single", "0") else 1)
x = Input(shape=(6,))
model = kerax.Model(x, Dense(2)(Dense(8, activation="relu")(x)))
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

result = {"devices": len(distribution.list_devices())}
if mode == "single":
    mine = slice(0, 40)
else:
    devices = kerax.distribution.runtime.jax.devices()
    if sys.argv[4] == "interleaved":  # the processes' devices alternate on the batch axis
        devices = [devices[0], devices[2], devices[1], devices[3]]
    distribution.set_distribution(distribution.DataParallel(devices=devices))
    # Unequal shares: process 0 has 22 rows, process 1 has 18.
    mine = slice(0, 22) if pid == 0 else slice(22, 40)
    result["processes"] = kerax.distribution.runtime.jax.process_count()
history = model.fit(data[mine], target[mine], batch_size=8, epochs=3, verbose=0)
result["loss"] = history.history["loss"]
result["weights"] = [w.tolist() for w in model.get_weights()]
result["evaluate"] = model.evaluate(data[mine], target[mine], batch_size=8, verbose=0)
result["predict"] = model.predict(data[mine], batch_size=8, verbose=0).tolist()
# An iterable of batches: each process yields its 4 rows of every global batch of 8.
half = slice(0, 40) if mode == "single" else slice(20 * pid, 20 * pid + 20)
size = 8 if mode == "single" else 4
batches = [
    (data[half][i : i + size], target[half][i : i + size])
    for i in range(0, 20 if size == 4 else 40, size)
]
result["evaluate_batches"] = model.evaluate(iter(batches), verbose=0)
# predict on an iterable and on one batch give this process its own rows (5 rows per
# process and batch: padded to split over the process's 2 devices).
mine_x = data[mine]
parts = [(mine_x[:5],), (mine_x[5:10],)]
result["predict_batches"] = model.predict(iter(parts), verbose=0).tolist()
result["predict_on_batch"] = model.predict_on_batch(mine_x[:3]).tolist()
with open(out_path, "w") as f:
    json.dump(result, f)
