"""``set_random_seed`` makes a whole training run reproducible in one process, as in Keras.

Rebuilding a model gives its layers new auto-generated names (``dropout`` then
``dropout_1``...); the random streams must not follow them.
"""

from __future__ import annotations

import numpy as np

import kerax
from kerax import layers

_X = np.random.default_rng(0).random((16, 6)).astype(np.float32)
_Y = np.random.default_rng(1).random((16, 2)).astype(np.float32)


def _train(seed: int) -> list[np.ndarray]:
    """Builds (a Dropout at top level and one inside a nested Sequential) and fits."""
    kerax.utils.set_random_seed(seed)
    inner = kerax.Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.5)])
    inputs = layers.Input((6,))
    hidden = layers.Dropout(0.3)(layers.Dense(8, activation="relu")(inputs))
    model = kerax.Model(inputs, layers.Dense(2)(inner(hidden)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(_X, _Y, batch_size=4, epochs=1, verbose=0)
    return [np.asarray(w) for w in model.get_weights()]


def test_the_same_seed_twice_in_one_process_gives_bit_identical_weights():
    first, second = _train(0), _train(0)  # the second model's layers have new names
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other = _train(1)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))
