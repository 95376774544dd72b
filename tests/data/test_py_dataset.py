"""``PyDataset`` and ``HostDataset`` in ``fit`` / ``evaluate`` / ``predict``: the same
weights and results as the equivalent arrays, the epoch hooks as Keras calls them, the
worker threads."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

import kerax
from kerax.utils import HostDataset, PyDataset

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 3)).astype("float32")
Y = RNG.normal(size=(20, 2)).astype("float32")


def make_model():
    inputs = kerax.Input((3,))
    outputs = kerax.layers.Dense(2)(inputs)
    model = kerax.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


class Batches(PyDataset):
    def __init__(self, x, y, batch_size, log=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size, self.log = x, y, batch_size, log
        self.served = []

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        self.served.append(idx)
        if self.log is not None:
            self.log.append(idx)
        s = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_begin(self):
        if self.log is not None:
            self.log.append("begin")

    def on_epoch_end(self):
        if self.log is not None:
            self.log.append("end")


def fitted(data, **kwargs):
    model = make_model()
    weights = [w.copy() for w in model.get_weights()]
    history = model.fit(data, epochs=2, verbose=0, **kwargs)
    return model, weights, history


def test_fit_on_py_dataset_matches_arrays():
    ref, start, ref_history = fitted(X, y=Y, batch_size=8, shuffle=False)
    model = make_model()
    model.set_weights(start)
    history = model.fit(Batches(X, Y, 8), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], ref_history.history["loss"], rtol=1e-5)
    ev = model.evaluate(Batches(X, Y, 8), verbose=0)
    np.testing.assert_allclose(ev, ref.evaluate(X, Y, batch_size=8, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(
        model.predict(Batches(X, Y, 8), verbose=0), ref.predict(X, verbose=0), rtol=1e-5
    )


def test_epoch_hooks_as_keras_calls_them():
    import keras

    class KerasBatches(keras.utils.PyDataset):
        def __init__(self, log, **kwargs):
            super().__init__(**kwargs)
            self.log = log

        def __len__(self):
            return 3

        def __getitem__(self, idx):
            self.log.append(idx)
            s = slice(idx * 8, (idx + 1) * 8)
            return X[s], Y[s]

        def on_epoch_begin(self):
            self.log.append("begin")

        def on_epoch_end(self):
            self.log.append("end")

    keras_log, log = [], []
    keras_model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    keras_model.compile(optimizer="sgd", loss="mse")
    keras_model.fit(KerasBatches(keras_log), epochs=3, verbose=0, shuffle=False)
    make_model().fit(Batches(X, Y, 8, log), epochs=3, verbose=0, shuffle=False)
    # Keras makes one more pass first, to build the model from a batch.
    assert log == keras_log[-len(log) :] == ["begin", 0, 1, 2, "end"] * 3


def test_workers_prepare_batches_ahead_in_threads():
    seen = set()

    class Slow(Batches):
        def __getitem__(self, idx):
            seen.add(threading.current_thread().name)
            time.sleep(0.01)
            return super().__getitem__(idx)

    data = Slow(X, Y, 4, workers=3, max_queue_size=2)
    assert [b[0].tolist() for b in data] == [X[i : i + 4].tolist() for i in range(0, 20, 4)]
    assert all(name.startswith("Slow-worker") for name in seen) and len(seen) > 1
    ref, start, _ = fitted(X, y=Y, batch_size=4, shuffle=False)
    model = make_model()
    model.set_weights(start)
    model.fit(Slow(X, Y, 4, workers=3), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_multiprocessing_runs_in_threads_and_says_so():
    data = Batches(X, Y, 10, workers=2, use_multiprocessing=True)
    with pytest.warns(UserWarning, match="use_multiprocessing=True runs"):
        batches = list(data)
    np.testing.assert_array_equal(batches[1][0], X[10:])


def test_subclass_without_super_init_warns_and_uses_defaults():
    class NoInit(PyDataset):
        def __init__(self):
            self.n = 1

        def __len__(self):
            return 1

        def __getitem__(self, idx):
            return X, Y

    with pytest.warns(UserWarning, match="super"):
        assert len(list(NoInit())) == 1


def test_missing_methods_are_named():
    with pytest.raises(NotImplementedError, match="__len__"):
        list(PyDataset())

    class NoItem(PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(NotImplementedError, match="__getitem__"):
        list(NoItem())


def test_sequence_is_the_old_name():
    assert kerax.utils.Sequence is PyDataset


def test_fit_on_host_dataset_matches_arrays():
    ref, start, _ = fitted(X, y=Y, batch_size=6, shuffle=False)
    model = make_model()
    model.set_weights(start)
    ds = HostDataset.from_tensor_slices((X, Y)).batch(6).prefetch(2).cache()
    model.fit(ds, epochs=2, verbose=0)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_shuffled_epoch_serves_a_permutation_with_the_hooks():
    from kerax.training.data import iterate_batches

    log = []
    data = Batches(X, Y, 2, log)
    kerax.utils.set_random_seed(3)
    first = [
        int(np.flatnonzero((X == x[0]).all(1))[0]) // 2 for x, _, _ in iterate_batches(data, True)
    ]
    second = [
        int(np.flatnonzero((X == x[0]).all(1))[0]) // 2 for x, _, _ in iterate_batches(data, True)
    ]
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    assert log[0] == "begin" and log[11] == "end" and log[1:11] == first
    assert data.served[:10] == first


def test_shuffle_serves_a_py_dataset_in_a_new_order_each_epoch():
    log = []
    kerax.utils.set_random_seed(3)
    make_model().fit(Batches(X, Y, 8, log), epochs=4, verbose=0)
    orders = []
    for entry in log:
        if entry == "begin":
            orders.append([])
        elif entry != "end":
            orders[-1].append(entry)
    assert all(sorted(o) == [0, 1, 2] for o in orders)
    assert len({tuple(o) for o in orders}) > 1
