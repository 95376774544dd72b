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


@pytest.mark.parametrize("n", [1, 7, 4096, 65_536])
def test_bits_and_symmetric_uniform_match_the_compiled_draws(n):
    from kerax import initializers

    key = jax.random.fold_in(jax.random.key(0), 17)
    np.testing.assert_array_equal(
        _threefry.bits32(_data(key), n), np.asarray(jax.random.bits(key, (n,), "uint32"))
    )
    program = jax.jit(lambda k, f: initializers.symmetric_uniform(k, (n,), f))
    for limit in (1.0, 0.2165, 0.30618622, 3.75):
        limit = np.float32(limit)
        got = _threefry.symmetric_uniform(_data(key), n, limit)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, np.asarray(program(key, limit)))
        np.testing.assert_array_equal(
            got, np.asarray(initializers.symmetric_uniform(key, (n,), limit))
        )
        assert np.all(got >= -limit) and np.all(got < limit)


def test_symmetric_uniform_is_uniform():
    """Mean 0, variance limit**2 / 3, every value a multiple of limit * 2**-22."""
    values = _threefry.symmetric_uniform(_threefry.seed(1), 200_000, np.float32(1.0))
    assert abs(values.mean()) < 0.005
    assert abs(values.var() - 1 / 3) < 0.005
    np.testing.assert_array_equal(values * 2**22, np.round(values * 2**22))
