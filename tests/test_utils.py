"""kerax.utils against keras.utils."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 2, 5])
def test_pad_sequences_matches_keras(padding, truncating, maxlen):
    seqs = [[1, 2, 3], [4], [], [5, 6, 7, 8]]
    ours = kerax.utils.pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating)
    theirs = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype


def test_to_categorical_and_normalize_match_keras():
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(
        kerax.utils.to_categorical(labels, 3), keras.utils.to_categorical(labels, 3)
    )
    x = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(kerax.utils.normalize(x), np.asarray(keras.utils.normalize(x)))
    with pytest.raises(ValueError, match=r"Labels must be in \[0, 2\)"):
        kerax.utils.to_categorical([0, 2], 2)


def test_split_dataset():
    x, y = np.arange(10), np.arange(10) * 2
    (lx, ly), (rx, ry) = kerax.utils.split_dataset((x, y), left_size=0.8)
    np.testing.assert_array_equal(lx, np.arange(8))
    np.testing.assert_array_equal(ry, np.array([16, 18]))
    left, right = kerax.utils.split_dataset(x, right_size=3, shuffle=True, seed=0)
    assert len(left) == 7 and len(right) == 3
    assert sorted(np.concatenate([left, right])) == list(range(10))
    with pytest.raises(ValueError, match="same length"):
        kerax.utils.split_dataset((np.arange(3), np.arange(4)))
    with pytest.raises(ValueError, match="exceeds"):
        kerax.utils.split_dataset(x, left_size=8, right_size=5)
