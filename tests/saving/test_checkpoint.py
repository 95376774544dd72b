"""Native checkpoints: exact train-state round trips and an exactly resumed fit."""

from __future__ import annotations

import os

import numpy as np
import pytest

import kerax
from kerax import callbacks
from kerax.layers import Dense, Dropout, Input


def _model():
    x = Input(shape=(4,))
    h = Dropout(0.3)(Dense(8, activation="relu")(x))
    model = kerax.Model(x, Dense(1)(h))
    model.compile(optimizer="adam", loss="mse")
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    return x, x.sum(-1, keepdims=True)


class _Crash(callbacks.Callback):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt("simulated crash")


def test_backup_and_restore_resumes_bit_for_bit(tmp_path):
    x, y = _data()
    kerax.set_random_seed(7)
    straight = _model()
    straight.fit(x, y, epochs=4, batch_size=16, verbose=0)

    backup = str(tmp_path / "backup")
    kerax.backend.clear_session()
    kerax.set_random_seed(7)
    first = _model()
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            x,
            y,
            epochs=4,
            batch_size=16,
            verbose=0,
            callbacks=[callbacks.BackupAndRestore(backup), _Crash(at=1)],
        )
    assert os.path.exists(os.path.join(backup, "meta.json"))

    kerax.backend.clear_session()
    kerax.set_random_seed(99)  # a different process state: everything comes from the backup
    resumed = _model()
    history = resumed.fit(
        x, y, epochs=4, batch_size=16, verbose=0, callbacks=[callbacks.BackupAndRestore(backup)]
    )
    assert history.epoch == [2, 3]
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not os.path.exists(backup)  # deleted once training completed


def test_checkpoint_round_trip_and_mismatch(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "ckpt")
    model.save_checkpoint(path, note="hello")
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.restore_checkpoint(path)["note"] == "hello"
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    z = Input(shape=(4,))
    other = kerax.Model(z, Dense(3)(z))
    other.compile(optimizer="adam", loss="mse")
    kept = other.get_weights()
    with pytest.raises(ValueError, match=r"ckpt.*(arrays|shape|does not match)"):
        other.restore_checkpoint(path)
    for a, b in zip(kept, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        model.restore_checkpoint(str(tmp_path / "nothing"))
