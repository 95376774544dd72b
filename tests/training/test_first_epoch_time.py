"""The progress bar's first epoch counts the waits before its first step (weights and
optimizer state created, compiles), as Keras's first epoch counts its step's compile."""

from __future__ import annotations

import re
import time

import numpy as np

import kerax
from kerax import layers
from kerax.training import live


def test_first_epoch_time_includes_the_setup_before_the_first_step(capsys, monkeypatch):
    inputs = layers.Input((3,))
    model = kerax.Model(inputs, layers.Dense(1)(inputs))
    model.compile("sgd", "mse")
    start = live.start

    def slow_start(m):  # stands in for a slow compile of the weights / optimizer state
        time.sleep(2.6)
        return start(m)

    monkeypatch.setattr(live, "start", slow_start)
    x, y = np.ones((8, 3), np.float32), np.ones((8, 1), np.float32)
    capsys.readouterr()
    model.fit(x, y, batch_size=4, epochs=2, verbose=2)
    seconds = [int(s) for s in re.findall(r"2/2 - (\d+)s", capsys.readouterr().out)]
    assert len(seconds) == 2
    assert seconds[0] >= 3  # 2.6 s of setup, rounded to the nearest second
    assert seconds[1] < seconds[0]  # later epochs start their own clock
