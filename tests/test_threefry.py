"""kerax._threefry against jax.random: the host key stream must be JAX's, bit for bit
(it replaces eager jax.random calls when weights are created)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from kerax import _threefry


def _data(key) -> np.ndarray:
    return np.asarray(jax.random.key_data(key))


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 - 1, -5, 2**32 - 1])
def test_seed_is_jax_key_data(seed):
    np.testing.assert_array_equal(_threefry.seed(seed), _data(jax.random.key(seed)))


@pytest.mark.parametrize("data", [0, 1, 7, 12345, 2**31 + 3, 2**32 - 1])
def test_fold_in_is_jax_fold_in(data):
    key = jax.random.key(3)
    np.testing.assert_array_equal(
        _threefry.fold_in(_data(key), data), _data(jax.random.fold_in(key, data))
    )


def test_a_chain_of_folds_matches():
    key, host = jax.random.key(11), _threefry.seed(11)
    for data in (5, 0, 99, 4_000_000_000):
        key, host = jax.random.fold_in(key, data), _threefry.fold_in(host, data)
    np.testing.assert_array_equal(host, _data(key))


def test_the_hash_is_jax_split():
    """Key j of a (partitionable) split hashes the counter pair (0, j)."""
    key = jax.random.key(9)
    a, b = _threefry.threefry2x32(_data(key), np.zeros(5, np.uint32), np.arange(5, dtype=np.uint32))
    np.testing.assert_array_equal(np.stack([a, b], 1), _data(jax.random.split(key, 5)))


def test_seeds_outside_32_bits_are_refused():
    with pytest.raises(ValueError, match="32-bit seed"):
        _threefry.seed(2**40)
