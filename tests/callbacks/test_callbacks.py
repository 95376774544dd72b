"""Callbacks with Keras semantics."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import kerax
from kerax import callbacks
from kerax.layers import Dense, Input


def _model(lr=0.05):
    x = Input(shape=(3,))
    model = kerax.Model(x, Dense(1)(x))
    model.compile(optimizer=kerax.optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, x @ np.array([[1.0], [-2.0], [0.5]], np.float32)


class _Losses(callbacks.Callback):
    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_early_stopping_patience_and_restore():
    model = _model()
    x, y = _data()
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    weights = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: weights.append(model.get_weights())
    )
    values = [5.0, 3.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    history = model.fit(x, y, epochs=7, verbose=0, callbacks=[_Losses(values), record, stop])
    assert len(history.epoch) == 4  # best at epoch 1, then two epochs without improvement
    assert stop.stopped_epoch == 3 and stop.best_epoch == 1
    for a, b in zip(model.get_weights(), weights[1]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_mode_and_start_epoch():
    model = _model()
    x, y = _data()
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=0, start_from_epoch=3)
    history = model.fit(x, y, epochs=6, verbose=0, callbacks=[_Losses([1, 2, 3, 4, 5, 6]), stop])
    assert len(history.epoch) == 5
    with pytest.raises(ValueError, match="`mode`.*'up'"):
        callbacks.EarlyStopping(mode="up")


def test_reduce_lr_on_plateau_changes_the_live_rate():
    model = _model(lr=0.1)
    x, y = _data()
    cb = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.02)
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[_Losses([1.0] * 5), cb])
    # Logged before each epoch's reduction, as Keras logs it.
    np.testing.assert_allclose(
        history.history["learning_rate"], [0.1, 0.1, 0.05, 0.025, 0.02], rtol=1e-6
    )
    assert model.optimizer.learning_rate == pytest.approx(0.02)
    assert model.train_step_traces == 1  # changing the rate did not recompile


def test_learning_rate_scheduler_drives_sgd():
    model = _model(lr=0.1)
    x, y = _data()
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch >= 1 else lr)
    weights = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: weights.append(model.get_weights())
    )
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[sched, record])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.0, 0.0], rtol=1e-6)
    # With a zero rate from epoch 1 on, the weights stop moving.
    for a, b in zip(weights[0], weights[2]):
        np.testing.assert_array_equal(a, b)
    assert model.train_step_traces == 1


def test_terminate_on_nan_stops_within_the_epoch():
    x = Input(shape=(3,))
    model = kerax.Model(x, Dense(1)(x))
    model.compile(optimizer=kerax.optimizers.SGD(learning_rate=1e6), loss="mse")
    data, target = _data()
    seen = []
    history = model.fit(
        data,
        target * 1e6,
        epochs=5,
        batch_size=8,
        verbose=0,
        callbacks=[
            callbacks.TerminateOnNaN(),
            callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs["loss"])),
        ],
    )
    assert len(history.epoch) == 1
    assert not np.isfinite(seen[-1]) and len(seen) < 8


def test_csv_logger(tmp_path):
    model = _model()
    x, y = _data()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(str(path))])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(str(path), append=True)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert float(rows[2][1]) < float(rows[1][1])


def test_model_checkpoint_best_only(tmp_path):
    model = _model()
    x, y = _data()
    path = tmp_path / "best.weights.h5"
    saves = []
    cb = callbacks.ModelCheckpoint(str(path), save_best_only=True, save_weights_only=True)
    watcher = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: saves.append(
            path.stat().st_mtime_ns if path.exists() else None
        )
    )
    model.fit(x, y, epochs=4, verbose=0, callbacks=[_Losses([3.0, 1.0, 2.0, 0.5]), cb, watcher])
    assert cb.best == 0.5 and path.exists()
    other = _model()
    other.load_weights(str(path))
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        callbacks.ModelCheckpoint(str(tmp_path / "w.h5"), save_weights_only=True)


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="Unknown callback hook 'on_lunch'"):
        callbacks.LambdaCallback(on_lunch=print)


def test_model_checkpoint_native_train_state(tmp_path):
    model = _model()
    x, y = _data()
    path = tmp_path / "best.ckpt"
    weights = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: weights.append(model.get_weights())
    )
    checkpoint = callbacks.ModelCheckpoint(str(path), save_best_only=True)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[_Losses([3.0, 1.0, 2.0]), record, checkpoint])
    assert model.restore_checkpoint(str(path))["epoch"] == 1  # the best epoch's state
    for a, b in zip(model.get_weights(), weights[1]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"`\.keras` or `\.ckpt`"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("r2_score", "max"), ("cosine_similarity", "max"), ("mae", "min"), ("loss", "min")],
)
def test_auto_mode_follows_the_metrics_direction_as_keras(metric, expected):
    import keras

    from kerax.callbacks._monitors import _monitor_op

    metrics = {
        "r2_score": kerax.metrics.R2Score(),
        "cosine_similarity": kerax.metrics.CosineSimilarity(),
        "mae": kerax.metrics.MeanAbsoluteError(name="mae"),
        "loss": None,
    }
    inputs = kerax.Input((2,))
    model = kerax.Model(inputs, kerax.layers.Dense(1)(inputs))
    model.compile("sgd", "mse", metrics=[m for m in metrics.values() if m is not None])
    op, _ = _monitor_op(f"val_{metric}", "auto", model)
    assert (op(2.0, 1.0) and expected == "max") or (op(1.0, 2.0) and expected == "min")
    # The same direction Keras's metric class declares.
    theirs = {
        "r2_score": keras.metrics.R2Score(),
        "cosine_similarity": keras.metrics.CosineSimilarity(),
        "mae": keras.metrics.MeanAbsoluteError(),
    }.get(metric)
    if theirs is not None:
        assert {"up": "max", "down": "min"}[theirs._direction] == expected


def test_auto_mode_refuses_a_quantity_of_unknown_direction():
    class MyScore(kerax.metrics.MeanMetricWrapper):  # a user's metric, no direction
        def __init__(self, name="my_score"):
            super().__init__(lambda y, p: kerax.ops.mean(p - y, axis=-1), name=name)

    stopper = kerax.callbacks.EarlyStopping(monitor="my_score")
    inputs = kerax.Input((2,))
    model = kerax.Model(inputs, kerax.layers.Dense(1)(inputs))
    model.compile("sgd", "mse", metrics=[MyScore()])
    x = np.ones((4, 2), "float32")
    with pytest.raises(ValueError, match=r"my_score.*mode='max'"):
        model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[stopper])


def test_callback_messages_follow_the_interactive_logging_switch(capsys, caplog):
    inputs = kerax.Input((2,))
    model = kerax.Model(inputs, kerax.layers.Dense(1)(inputs))
    model.compile(kerax.optimizers.SGD(0.0), "mse")  # a flat loss: it stops
    x = np.ones((4, 2), "float32")
    stopper = kerax.callbacks.EarlyStopping(monitor="loss", patience=1, verbose=1, baseline=-1)
    model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=[stopper])
    assert "early stopping" in capsys.readouterr().out
    kerax.config.disable_interactive_logging()
    try:
        with caplog.at_level("INFO", logger="kerax"):
            stopper = kerax.callbacks.EarlyStopping(
                monitor="loss", patience=1, verbose=1, baseline=-1
            )
            model.fit(x, x[:, :1], epochs=3, verbose=0, callbacks=[stopper])
    finally:
        kerax.config.enable_interactive_logging()
    assert "early stopping" not in capsys.readouterr().out
    assert any("early stopping" in r.getMessage() for r in caplog.records)
