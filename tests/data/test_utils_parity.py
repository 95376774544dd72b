"""``to_categorical``, ``normalize`` and ``pad_sequences`` against ``keras.utils`` on the
shapes and options the existing tests leave out."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


@pytest.mark.parametrize(
    "labels", [[1, 3], np.array([[1], [2]]), np.array([[0, 1], [2, 0]]), np.array([4])]
)
@pytest.mark.parametrize("num_classes", [None, 6])
def test_to_categorical(labels, num_classes):
    ours = kerax.utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert ours.shape == theirs.shape
    # kerax returns float32 (what the model computes in); Keras's NumPy path float64.
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 1), (-1, np.inf)])
def test_normalize(axis, order):
    x = np.random.default_rng(1).normal(size=(3, 4))
    x[1] = 0.0
    np.testing.assert_allclose(
        kerax.utils.normalize(x, axis, order),
        np.asarray(keras.utils.normalize(x, axis, order)),
        rtol=1e-6,
    )


def test_normalize_axis_0():
    # Keras's NumPy path reads axis=0 as -1 (``axis or -1``) and fails to broadcast;
    # kerax normalises the columns, checked against NumPy.
    x = np.random.default_rng(2).normal(size=(3, 4))
    expected = x / np.linalg.norm(x, axis=0, keepdims=True)
    np.testing.assert_allclose(kerax.utils.normalize(x, 0), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "sequences, kwargs",
    [
        ([[1.5, 2.5], [3]], {"dtype": "float32", "value": -1.0}),
        ([["a", "b"], ["c"]], {"dtype": "str"}),
        ([[[1, 2]], [[3, 4], [5, 6]]], {"maxlen": 3, "padding": "post"}),
        ([[], [1, 2, 3]], {"maxlen": 2, "truncating": "post"}),
    ],
)
def test_pad_sequences(sequences, kwargs):
    ours = kerax.preprocessing.sequence.pad_sequences(sequences, **kwargs)
    theirs = keras.preprocessing.sequence.pad_sequences(sequences, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
