"""HashedCrossing: Keras's buckets without TensorFlow.

Keras's ``HashedCrossing`` needs TensorFlow, which the test environment lacks, so the
references are the outputs Keras's own test suite gives for its layer (string x integer
crosses) and, for integer crosses in a compiled model, TensorFlow's documented
``FingerprintCat64`` written again here in NumPy's wrapping uint64 arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest

import kerax

L = kerax.layers

FEAT1 = np.array(["A", "B", "A", "B", "A"])
FEAT2 = np.array([101, 101, 101, 102, 102])


def _reference(features, num_bins):
    """tf.sparse.cross_hashed for integer features, in numpy uint64 (wraps mod 2**64)."""
    mul = np.uint64(0xC6A4A7935BD1E995)
    s47 = np.uint64(47)
    with np.errstate(over="ignore"):
        out = np.full(np.shape(features[0]), 0xDECAFCAFFE, np.uint64)
        for f in features:
            h = np.asarray(f).astype(np.int64).view(np.uint64)
            m = h * mul
            m = (m ^ (m >> s47)) * mul
            r = (out ^ mul) ^ m
            r = r * mul
            r = r ^ (r >> s47)
            r = r * mul
            out = r ^ (r >> s47)
    return (out % np.uint64(num_bins)).astype(np.int64)


def test_string_crosses_match_keras_test_values():
    assert np.asarray(L.HashedCrossing(num_bins=5)((FEAT1, FEAT2))).tolist() == [1, 4, 1, 1, 3]
    assert int(L.HashedCrossing(num_bins=10)(("A", 101))) == 1
    hot = L.HashedCrossing(num_bins=5, output_mode="one_hot")((list(FEAT1), list(FEAT2)))
    np.testing.assert_array_equal(np.asarray(hot), np.eye(5)[[1, 4, 1, 1, 3]])


def test_integer_crosses_in_a_compiled_model_match_the_reference():
    rng = np.random.default_rng(0)
    a_val = rng.integers(-50, 10_000, (16, 1))
    b_val = rng.integers(0, 10_000, (16, 1))
    c_val = rng.integers(0, 3, (16, 1))
    a, b, c = (kerax.Input((1,), dtype="int32") for _ in range(3))
    ints = L.HashedCrossing(num_bins=11)([a, b, c])
    hot = L.HashedCrossing(num_bins=6, output_mode="one_hot")([a, b])
    assert tuple(ints.shape) == (None, 1) and tuple(hot.shape) == (None, 6)
    model = kerax.Model([a, b, c], [ints, hot])
    got_ints, got_hot = model.predict([a_val, b_val, c_val], verbose=0)
    np.testing.assert_array_equal(got_ints, _reference([a_val, b_val, c_val], 11))
    np.testing.assert_array_equal(got_hot, np.eye(6)[_reference([a_val, b_val], 6)[:, 0]])
    eager = L.HashedCrossing(num_bins=11)((a_val[:, 0], b_val[:, 0], c_val[:, 0]))
    np.testing.assert_array_equal(eager, _reference([a_val, b_val, c_val], 11)[:, 0])


def test_dtypes_config_and_errors():
    x = (np.array([1]), np.array([1]))
    assert L.HashedCrossing(num_bins=2).dtype == "int64"
    assert L.HashedCrossing(num_bins=2, dtype="int32")(x).dtype == np.int32
    assert L.HashedCrossing(num_bins=2, output_mode="one_hot")(x).dtype == np.float32
    layer = L.HashedCrossing(num_bins=4, output_mode="one_hot", name="cross")
    clone = L.HashedCrossing.from_config(layer.get_config())
    assert (clone.num_bins, clone.output_mode, clone.name) == (4, "one_hot", "cross")
    with pytest.raises(ValueError, match="list or tuple"):
        L.HashedCrossing(num_bins=10)(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        L.HashedCrossing(num_bins=10)([np.array(1)])
    with pytest.raises(ValueError, match="inputs should have shape"):
        L.HashedCrossing(num_bins=10)((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="integer or string"):
        L.HashedCrossing(num_bins=10)((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="StringLookup"):
        L.HashedCrossing(4)([kerax.Input((1,), dtype="string"), kerax.Input((1,), dtype="int32")])
    with pytest.raises(ValueError, match="sparse=True"):
        L.HashedCrossing(num_bins=10, sparse=True)
    with pytest.raises(ValueError, match="output_mode"):
        L.HashedCrossing(num_bins=10, output_mode="multi_hot")
