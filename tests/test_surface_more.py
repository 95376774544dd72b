"""Keras's smaller public names, against real Keras: the global ``fit`` caps, the
interactive-logging switch, the saving functions, the ``keras.utils`` helpers, and
``path`` / ``metrics`` / ``metrics_variables`` of layers and models."""

from __future__ import annotations

import logging
import warnings

import keras
import numpy as np
import pytest

import kerax

X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(40, 2)).astype("float32")


def _counting(lib):
    class Count(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = self.batches = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epochs += 1

        def on_train_batch_begin(self, batch, logs=None):
            self.batches += 1

    return Count()


def _dense_model(lib, custom_loss: bool = False):
    base = lib.Model
    if custom_loss:  # a Keras-style hook: kerax trains it through the Keras-step loop

        class WithLoss(lib.Model):
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return super().compute_loss(x, y, y_pred, sample_weight, training=training)

        base = WithLoss
    inputs = lib.Input((3,))
    model = base(inputs, lib.layers.Dense(2, kernel_initializer="ones")(inputs), name="net")
    model.compile(optimizer="sgd", loss="mse")
    return model


def _batches():
    while True:
        for i in range(0, 40, 8):
            yield X[i : i + 8], Y[i : i + 8]


@pytest.mark.parametrize("custom_loss", [False, True])
def test_fit_caps_match_keras(custom_loss):
    got = []
    for lib in (keras, kerax):
        model = _dense_model(lib, custom_loss)
        lib.config.set_max_epochs(2)
        lib.config.set_max_steps_per_epoch(3)
        try:
            assert (lib.config.max_epochs(), lib.config.max_steps_per_epoch()) == (2, 3)
            rows = []
            for data in ({"x": X, "y": Y, "batch_size": 4}, {"x": _batches()}):
                count = _counting(lib)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    history = model.fit(epochs=4, callbacks=[count], verbose=0, **data)
                limits = sorted({str(w.message) for w in caught if "Limiting" in str(w.message)})
                rows.append((count.epochs, count.batches, len(history.history["loss"]), limits))
        finally:
            lib.config.set_max_epochs(None)
            lib.config.set_max_steps_per_epoch(None)
        got.append(rows)
    assert got[1] == got[0]
    assert got[0][0][:3] == (2, 6, 2)
    # No cap: the whole data again.
    count = _counting(kerax)
    _dense_model(kerax, custom_loss).fit(X, Y, batch_size=4, callbacks=[count], verbose=0)
    assert count.batches == 10


def test_interactive_logging_switch(capsys, caplog):
    """Off, every line of the bar and the epoch header go to ``logging`` (Keras logs
    through absl; its mid-epoch updates, run on a callback thread, still reach stdout)."""
    bar = kerax.utils.Progbar(2, verbose=1)
    assert kerax.config.is_interactive_logging_enabled()
    assert kerax.utils.is_interactive_logging_enabled is kerax.config.is_interactive_logging_enabled
    try:
        for lib in (keras, kerax):
            lib.config.disable_interactive_logging()
            assert not lib.config.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO):
            model = _dense_model(kerax)
            model.fit(X, Y, batch_size=20, epochs=2, verbose=1)
            bar.update(2, [("loss", 1.0)])
        assert capsys.readouterr().out == ""
        text = "".join(r.getMessage() for r in caplog.records if r.name == "kerax")
        assert "Epoch 2/2" in text and "2/2" in text and "loss" in text
    finally:
        keras.config.enable_interactive_logging()
        kerax.config.enable_interactive_logging()
    kerax.utils.Progbar(1, verbose=1).update(1, [("loss", 1.0)])
    assert "loss" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Skipping variable loading")
def test_saving_functions_write_what_keras_reads(tmp_path):
    model = _dense_model(kerax)
    model.fit(X, Y, batch_size=8, verbose=0)
    path = str(tmp_path / "net.keras")
    kerax.saving.save_model(model, path)
    assert kerax.models.save_model is kerax.saving.save_model
    np.testing.assert_allclose(
        keras.saving.load_model(path).predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6
    )
    with pytest.raises(FileExistsError):
        kerax.saving.save_model(model, path, overwrite=False)
    weights = str(tmp_path / "net.weights.h5")
    kerax.saving.save_weights(model, weights)
    other = _dense_model(kerax)
    kerax.saving.load_weights(other, weights)
    for a, b in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for lib in (keras, kerax):
        with pytest.raises(ValueError):
            lib.saving.save_model(model if lib is kerax else _dense_model(keras), "net.txt")
        with pytest.raises(ValueError):
            lib.saving.save_weights(model if lib is kerax else _dense_model(keras), "net.h5")
    with pytest.raises(NotImplementedError, match="zipped"):
        kerax.saving.save_model(model, path, zipped=False)
    with pytest.raises(NotImplementedError, match="max_shard_size"):
        kerax.saving.save_weights(model, weights, max_shard_size=1)


def test_utils_reexport_the_saving_registry():
    for name in (
        "get_custom_objects",
        "register_keras_serializable",
        "get_registered_name",
        "get_registered_object",
        "serialize_keras_object",
        "deserialize_keras_object",
    ):
        assert getattr(kerax.utils, name) is getattr(kerax.saving, name), name


@pytest.mark.parametrize(
    "args",
    [((1,), {}), ((1, 2), {}), ((1, 2, 3), {}), (([1, 2],), {}), ((1,), {"sample_weight": 3})],
)
def test_pack_x_y_sample_weight_matches_keras(args):
    a, kw = args
    assert kerax.utils.pack_x_y_sample_weight(*a, **kw) == keras.utils.pack_x_y_sample_weight(
        *a, **kw
    )


@pytest.mark.parametrize("data", [1, (1,), (1, 2), [1, 2, 3], {"a": 1}])
def test_unpack_x_y_sample_weight_matches_keras(data):
    assert kerax.utils.unpack_x_y_sample_weight(data) == keras.utils.unpack_x_y_sample_weight(data)
    with pytest.raises(ValueError):
        kerax.utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_get_source_inputs_matches_keras():
    got = []
    for lib in (keras, kerax):
        a, b, c = lib.Input((2,)), lib.Input((2,)), lib.Input((2,))
        left = lib.layers.Dense(2)(lib.layers.Add()([b, a]))
        out = lib.layers.Concatenate()([left, lib.layers.Multiply()([a, left]), c])
        inputs = [a, b, c]

        def index(ts, inputs=inputs):
            return [next(i for i, t in enumerate(inputs) if t is s) for s in ts]

        got.append(
            (
                index(lib.utils.get_source_inputs(out)),
                index(lib.utils.get_source_inputs(left)),
                index(lib.utils.get_source_inputs(c)),
            )
        )
        assert lib.utils.get_source_inputs(3) == 3
    assert got[1] == got[0]


def _with_metrics(lib):
    class Tracked(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seen = lib.metrics.Mean(name="seen")
            self.dense = lib.layers.Dense(2)
            self.more = [lib.metrics.Sum(name="total_sum")]

        def call(self, x):
            return self.dense(x)

    layer = Tracked(name="tracked")
    assert layer.path is None  # until built
    layer(X[:2])
    return layer


def test_layer_and_model_paths_and_metric_variables_match_keras():
    got = []
    for lib in (keras, kerax):
        layer = _with_metrics(lib)
        model = _dense_model(lib)
        model.fit(X, Y, batch_size=16, shuffle=False, verbose=0)
        got.append(
            (
                layer.path,
                [m.name for m in layer.metrics],
                [v.path for v in layer.metrics_variables],
                layer.dense.metrics,
                model.path,
                [(v.path, float(np.asarray(v))) for v in model.metrics_variables],
            )
        )
    assert got[1][:5] == got[0][:5]
    for (p1, v1), (p0, v0) in zip(got[1][5], got[0][5], strict=True):
        assert p1 == p0
        np.testing.assert_allclose(v1, v0, rtol=1e-5)
