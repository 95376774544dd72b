"""callbacks.TensorBoard: event files read back with TensorBoard's own reader and compared
with History, the optimizer and the weights (Keras 3's tags, runs and steps)."""

from __future__ import annotations

import glob
import io
import json
import os
import sys

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

import kerax
from kerax.callbacks import TensorBoard
from kerax.layers import Dense, Embedding, Flatten, Input

X = np.random.default_rng(0).integers(0, 6, size=(16, 3)).astype(np.int32)
Y = np.random.default_rng(1).integers(0, 2, size=(16,))
VAL = (X[:6], Y[:6])


@pytest.fixture(scope="module")
def model():
    tokens = Input(shape=(3,), dtype="int32")
    h = Flatten()(Embedding(6, 2, name="emb")(tokens))
    m = kerax.Model(tokens, Dense(2, activation="softmax", name="head")(h))
    m.compile(kerax.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


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


def test_batch_logs_histograms_and_images(model, tmp_path):
    cb = TensorBoard(
        tmp_path, update_freq=2, histogram_freq=1, write_images=True, write_graph=False
    )
    assert cb.observes_batches() and cb.reads_batch_logs()  # chunks of steps, logs after each
    history = model.fit(X, Y, batch_size=4, epochs=2, callbacks=[cb], verbose=0)
    train, plugins = read_run(str(tmp_path / "train"))
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    # The running averages of each epoch's last batch are the epoch's logs.
    for name in ("loss", "accuracy"):
        batch = dict(train[f"batch_{name}"])
        np.testing.assert_allclose([batch[4], batch[8]], history.history[name], rtol=1e-6)
    assert "keras" not in train
    for w in model.weights:
        (_, hist0), (step, hist) = train[f"{w.path}/histogram"]
        assert step == 1 and plugins[f"{w.path}/histogram"] == "histograms"
        value = w.numpy()  # after the last epoch
        assert hist[:, 2].sum() == value.size
        np.testing.assert_allclose([hist[0, 0], hist[-1, 1]], [value.min(), value.max()], rtol=1e-6)
    kernel = model.get_layer("head").kernel.numpy()  # (6, 2): drawn transposed, 2 x 6
    ((_, image),) = train["head/kernel/image"][1:]
    assert image[:2].tolist() == [b"6", b"2"]  # width, height
    pixels = np.asarray(Image.open(io.BytesIO(image[2])))
    np.testing.assert_array_equal(pixels, np.clip(kernel.T * 255.5, 0, 255).astype(np.uint8))


def test_profile_batch_writes_a_jax_trace(model, tmp_path):
    cb = TensorBoard(tmp_path, profile_batch=2, write_graph=False)
    model.fit(X, Y, batch_size=8, epochs=1, callbacks=[cb], verbose=0)
    assert glob.glob(str(tmp_path / "train" / "plugins" / "profile" / "*" / "*.xplane.pb"))


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
