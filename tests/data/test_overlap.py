"""What lets data loading overlap training in ``fit`` on an iterable (the speed itself is
measured by ``benchmarks/data_overlap.py``, never asserted): worker threads prepare the
next batches while a step runs, and the loop reads nothing back from the device between
steps, so the host prepares batch k + 1 while the device runs step k."""

from __future__ import annotations

import threading

import jax
import numpy as np

import kerax
from kerax.utils import PyDataset

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3)).astype("float32")
Y = RNG.normal(size=(20, 2)).astype("float32")


def make_model():
    inputs = kerax.Input((3,))
    model = kerax.Model(inputs, kerax.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


class Batches(PyDataset):
    """Five batches of four rows; records which batches have started."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.started = {i: threading.Event() for i in range(5)}

    def __len__(self):
        return 5

    def __getitem__(self, idx):
        self.started[idx].set()
        return X[idx * 4 : (idx + 1) * 4], Y[idx * 4 : (idx + 1) * 4]


def test_workers_prepare_the_next_batches_before_the_step_runs():
    data = Batches(workers=3, max_queue_size=2)
    ahead = []

    class Watch(kerax.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:  # before the first step: batches 1 and 2 are under way
                ahead.append([data.started[i].wait(10) for i in (1, 2)])

    make_model().fit(data, epochs=1, verbose=0, shuffle=False, callbacks=[Watch()])
    assert ahead == [[True, True]]


def test_the_next_batch_is_taken_while_the_step_runs():
    """With one worker the batches are computed in the training thread: when batch k + 1
    is asked for, step k (a few ms of matrix products) has been dispatched but has not
    finished. A loop that waited for each step (a read of its loss, a block) would find
    every step finished."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6 * 128, 512)).astype("float32")
    y = rng.normal(size=(6 * 128, 512)).astype("float32")
    inputs = kerax.Input((512,))
    hidden = kerax.layers.Dense(1024, activation="relu")(inputs)
    model = kerax.Model(inputs, kerax.layers.Dense(512)(hidden))
    model.compile(optimizer="sgd", loss="mse")
    pending = []

    class Large(PyDataset):
        def __len__(self):
            return 6

        def __getitem__(self, idx):
            if idx > 0:  # the state of the latest step: ready only once it has run
                kernel = jax.tree_util.tree_leaves(model._ts.params)[0]
                pending.append(not kernel.is_ready())
            return x[idx * 128 : (idx + 1) * 128], y[idx * 128 : (idx + 1) * 128]

    model.fit(Large(), epochs=1, verbose=0)  # compiles
    pending.clear()
    model.fit(Large(), epochs=1, verbose=0)
    assert len(pending) == 5 and any(pending), pending
