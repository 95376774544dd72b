"""callbacks.TensorBoard: event files read back with TensorBoard's own reader and compared
with History, the optimizer and the weights (Keras 3's tags, runs and steps)."""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import sys
import types

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

import kerax
from kerax.callbacks import TensorBoard

X = np.random.default_rng(0).integers(0, 6, size=(16, 3)).astype(np.int32)
Y = np.random.default_rng(1).integers(0, 2, size=(16,))
VAL = (X[:6], Y[:6])


def _model(lib):
    """The same small model in Keras or kerax, from the same initial weights."""
    tokens = lib.Input(shape=(3,), dtype="int32")
    h = lib.layers.Flatten()(lib.layers.Embedding(6, 2, name="emb")(tokens))
    m = lib.Model(tokens, lib.layers.Dense(2, activation="softmax", name="head")(h))
    if not hasattr(_model, "initial"):
        _model.initial = [np.asarray(w) for w in m.get_weights()]
    m.set_weights(_model.initial)
    m.compile(lib.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.fixture(scope="module")
def model():
    return _model(kerax)


def read_run(path):
    """``{tag: [(step, value), ...]}`` and ``{tag: plugin name}`` of one run directory."""
    acc = event_accumulator.EventAccumulator(path, size_guidance={"tensors": 0})
    acc.Reload()
    values, plugins = {}, {}
    for tag in acc.Tags()["tensors"]:
        values[tag] = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
        plugins[tag] = acc.SummaryMetadata(tag).plugin_data.plugin_name
    return values, plugins


def test_epoch_logs_graph_evaluation_and_embeddings(model, tmp_path):
    cb = TensorBoard(
        tmp_path, write_steps_per_second=True, embeddings_freq=2, embeddings_metadata="m.tsv"
    )
    assert not cb.needs_batch_hooks()  # fit keeps its whole-epoch calls
    start = int(model.optimizer.iterations)
    history = model.fit(
        X, Y, batch_size=4, epochs=2, validation_data=VAL, callbacks=[cb], verbose=0
    )
    train, plugins = read_run(str(tmp_path / "train"))
    val, _ = read_run(str(tmp_path / "validation"))
    assert set(train) == {
        "keras",
        "epoch_loss",
        "epoch_accuracy",
        "epoch_learning_rate",
        "epoch_steps_per_second",
    }
    assert plugins["epoch_loss"] == "scalars" and plugins["keras"] == "graph_keras_model"
    for name in ("loss", "accuracy"):
        assert [s for s, _ in train[f"epoch_{name}"]] == [0, 1]
        np.testing.assert_allclose(
            [v for _, v in train[f"epoch_{name}"]], history.history[name], rtol=1e-6
        )
        np.testing.assert_allclose(
            [v for _, v in val[f"epoch_{name}"]], history.history[f"val_{name}"], rtol=1e-6
        )
        assert [s for s, _ in val[f"evaluation_{name}_vs_iterations"]] == [start + 4, start + 8]
        np.testing.assert_allclose(
            [v for _, v in val[f"evaluation_{name}_vs_iterations"]],
            history.history[f"val_{name}"],
            rtol=1e-6,
        )
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.01, 0.01])
    assert all(v > 0 for _, v in train["epoch_steps_per_second"])
    ((step, config),) = train["keras"]
    assert step == 0 and json.loads(config.item()) == json.loads(model.to_json())
    assert os.path.exists(tmp_path / "train" / "keras_embedding.ckpt-0.weights.h5")
    assert not os.path.exists(tmp_path / "train" / "keras_embedding.ckpt-1.weights.h5")
    pbtxt = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'metadata_path: "m.tsv"' in pbtxt and pbtxt.count("embeddings {") == 1


class _KerasSummaries:
    """A stand-in for the ``tf.summary`` module Keras's TensorBoard writes through
    (TensorFlow is not installed): records what it would write, with the default-writer
    and ``record_if`` rules of ``tf.summary``."""

    def __init__(self):
        self.records, self._writers, self._conditions = [], [], []

    def create_file_writer(self, logdir):
        summaries, run = self, os.path.basename(logdir)

        class Writer:
            @contextlib.contextmanager
            def as_default(self, step=None):
                summaries._writers.append(run)
                try:
                    yield
                finally:
                    summaries._writers.pop()

            def close(self):
                pass

            def flush(self):
                pass

        return Writer()

    @contextlib.contextmanager
    def record_if(self, condition):
        self._conditions.append(condition)
        try:
            yield
        finally:
            self._conditions.pop()

    def _write(self, kind, name, data, step):
        if self._writers and all(c() for c in self._conditions):
            self.records.append((self._writers[-1], kind, name, int(step), np.asarray(data)))

    def scalar(self, name, data, step=None):
        self._write("scalars", name, data, step)

    def histogram(self, name, data, step=None, buckets=None):
        self._write("histograms", name, data, step)

    def image(self, name, data, step=None, max_outputs=3):
        self._write("images", name, data, step)


def test_same_events_as_keras(tmp_path, monkeypatch):
    """Keras 3 and kerax fit the same model from the same weights, without shuffling:
    the same runs, tags, steps and values, and kerax's files read back by TensorBoard."""
    import keras

    summaries = _KerasSummaries()
    fake_tf = types.ModuleType("tensorflow")
    fake_tf.summary = summaries
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tf)
    monkeypatch.setitem(sys.modules, "tensorflow.summary", summaries)
    from keras.src.utils import module_utils

    for attr in ("module", "_available"):  # Keras's lazy probe must not keep the stand-in
        monkeypatch.setattr(module_utils.tensorflow, attr, getattr(module_utils.tensorflow, attr))
    theirs = _model(keras)
    args = dict(update_freq=2, histogram_freq=1, write_images=True, write_graph=False)
    fit = dict(batch_size=4, epochs=2, validation_data=VAL, shuffle=False, verbose=0)
    theirs.fit(X, Y, callbacks=[keras.callbacks.TensorBoard(str(tmp_path / "k"), **args)], **fit)
    monkeypatch.undo()

    ours = _model(kerax)
    cb = TensorBoard(tmp_path / "x", **args)
    assert cb.observes_batches() and cb.reads_batch_logs()  # chunks of steps, logs after each
    ours.fit(X, Y, callbacks=[cb], **fit)
    runs = {run: read_run(str(tmp_path / "x" / run)) for run in ("train", "validation")}
    got = {
        (run, plugins[tag], tag, step): value
        for run, (values, plugins) in runs.items()
        for tag, events in values.items()
        for step, value in events
    }
    want = {(run, kind, tag, step): data for run, kind, tag, step, data in summaries.records}
    assert sorted(got) == sorted(want)
    for key, data in want.items():
        value = got[key]
        if key[1] == "scalars":
            np.testing.assert_allclose(value, data, rtol=1e-4, err_msg=str(key))
        elif key[1] == "histograms":  # buckets over [min, max] counting every value
            assert value[:, 2].sum() == data.size
            np.testing.assert_allclose(
                [value[0, 0], value[-1, 1]], [data.min(), data.max()], rtol=1e-4
            )
        else:  # width, height, PNGs of the first images, clipped to [0, 1]
            assert value[:2].tolist() == [str(data.shape[2]).encode(), str(data.shape[1]).encode()]
            pixels = np.asarray(Image.open(io.BytesIO(value[2])))
            expected = np.clip(data[0, ..., 0] * 255.5, 0, 255).astype(np.uint8)
            np.testing.assert_allclose(pixels.reshape(expected.shape), expected, atol=1)


def test_profile_and_batch_timing_run_one_step_per_call(model, tmp_path):
    cb = TensorBoard(tmp_path, profile_batch=2, update_freq=1, write_steps_per_second=True)
    assert not cb.observes_batches()  # each step timed / traced on its own
    model.fit(X, Y, batch_size=8, epochs=1, callbacks=[cb], verbose=0)
    assert glob.glob(str(tmp_path / "train" / "plugins" / "profile" / "*" / "*.xplane.pb"))
    train, _ = read_run(str(tmp_path / "train"))
    assert [s for s, _ in train["batch_steps_per_second"]] == [1, 2]
    assert all(v > 0 for _, v in train["batch_steps_per_second"])


def test_summary_writes_custom_scalars_into_train(tmp_path):
    cb = TensorBoard(tmp_path)
    cb.summary.scalar("custom", 3.5, 5)
    cb.on_train_end()  # closes the writers
    train, plugins = read_run(str(tmp_path / "train"))
    assert train["custom"] == [(5, 3.5)] and plugins["custom"] == "scalars"


def test_bad_arguments_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch"):
        TensorBoard(tmp_path, profile_batch=(3, 1))
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(tmp_path, histogram_freq=-1)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ImportError, match=r"kerax\[tensorboard\]"):
        TensorBoard(tmp_path)
