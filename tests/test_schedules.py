"""Learning-rate schedules against keras.optimizers.schedules."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerax import schedules

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[5, 20], values=[1.0, 0.5, 0.1])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=40, alpha=0.1)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=40, warmup_target=0.1, warmup_steps=10),
    ),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10)),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.0, m_mul=0.5),
    ),
]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_schedule_matches_keras(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in [0, 1, 4, 5, 6, 9, 10, 11, 19, 20, 21, 29, 30, 35, 45, 70, 100]:
        np.testing.assert_allclose(
            float(ours(step)), float(theirs(step)), rtol=1e-5, atol=1e-7, err_msg=f"step {step}"
        )
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_bad_arguments():
    with pytest.raises(ValueError, match="`decay_steps` must be positive, received decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="one more entry"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
