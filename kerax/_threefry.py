"""JAX's threefry2x32 key stream (and kerax's uniform draw), computed with NumPy on
the host.

Deriving keys eagerly through ``jax.random`` compiles a program for each operation the
first time it runs in a process (a key from a seed, ``fold_in``): about 0.1 s on CPU,
more on an accelerator, between ``fit`` and its first step in every new process and
notebook kernel. Threefry is integer arithmetic on ``uint32`` words, exact in NumPy,
so the same key data comes out of this module without a compile, bit for bit
(``tests/test_threefry.py`` compares it with JAX's):

- :func:`seed`: ``jax.random.key(seed)``'s data for a 32-bit integer seed;
- :func:`fold_in`: ``jax.random.fold_in(key, data)``'s data;
- :func:`bits32`: ``jax.random.bits(key, (n,), uint32)``;
- :func:`symmetric_uniform`: kerax's own float32 uniform draw
  (``kerax.initializers.symmetric_uniform``), whose single rounding is the same on the
  host and in any compiled program. (``jax.random.uniform`` itself is not reproduced:
  its ``u * (max - min) + min`` rounds once or twice depending on whether XLA fuses a
  multiply-add, which the host cannot know.)
"""

from __future__ import annotations

import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotate_left(v: np.ndarray, r: int) -> np.ndarray:
    return (v << np.uint32(r)) | (v >> np.uint32(32 - r))


def threefry2x32(key: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 20-round Threefry-2x32 hash of the counter pairs ``(x0[i], x1[i])`` under
    ``key`` (two ``uint32`` words), as JAX's ``threefry2x32_p`` computes it."""
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    with np.errstate(over="ignore"):
        a = np.asarray(x0, np.uint32) + ks[0]
        b = np.asarray(x1, np.uint32) + ks[1]
        for i in range(5):
            for r in _ROTATIONS[i % 2]:
                a = a + b
                b = _rotate_left(b, r) ^ a
            a = a + ks[(i + 1) % 3]
            b = b + ks[(i + 2) % 3] + np.uint32(i + 1)
    return a, b


def seed(value: int) -> np.ndarray:
    """The key data of ``jax.random.key(value)`` for a 32-bit integer seed: the high
    word (zero) and the seed's two's-complement low word."""
    value = int(value)
    if not -(2**31) <= value < 2**32:
        raise ValueError(f"A 32-bit seed was expected; received {value}.")
    return np.array([0, value & 0xFFFFFFFF], np.uint32)


def fold_in(key: np.ndarray, data: int) -> np.ndarray:
    """The key data of ``jax.random.fold_in(key, data)`` (``data`` taken as ``uint32``)."""
    a, b = threefry2x32(
        key, np.array([0], np.uint32), np.array([int(data) & 0xFFFFFFFF], np.uint32)
    )
    return np.concatenate([a, b])


def bits32(key: np.ndarray, n: int) -> np.ndarray:
    """``jax.random.bits(key, (n,), uint32)``: element i hashes the counter ``(0, i)``
    (JAX's partitionable threefry)."""
    a, b = threefry2x32(key, np.zeros(n, np.uint32), np.arange(n, dtype=np.uint32))
    return a ^ b


def symmetric_uniform(key: np.ndarray, n: int, limit: float) -> np.ndarray:
    """``kerax.initializers.symmetric_uniform(key, (n,), limit)`` on the host."""
    mantissa = (bits32(key, n) >> np.uint32(9)) | np.uint32(0x40000000)
    return np.float32(limit) * (mantissa.view(np.float32) - np.float32(3.0))
