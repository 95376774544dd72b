"""kerax.ops.math (FFTs, segment ops, special functions) against keras.ops."""

from __future__ import annotations

import numpy as np
import pytest

from kerax import ops
from tests.ops._parity import check

_rng = np.random.default_rng(1)
X = _rng.normal(size=(2, 8)).astype(np.float32)
Y = _rng.normal(size=(2, 8)).astype(np.float32)
IMG = _rng.normal(size=(2, 4, 6)).astype(np.float32)
SIGNAL = _rng.normal(size=(2, 32)).astype(np.float32)
SEG = np.array([0, 0, 1, 2, 2, 2], np.int32)
DATA = _rng.normal(size=(6, 3)).astype(np.float32)
SPD = (lambda a: (a @ a.T + 3 * np.eye(3)).astype(np.float32))(_rng.normal(size=(3, 3)))

CASES = [
    ("erf", (X,), {}),
    ("erfc", (X,), {}),
    ("erfinv", (np.tanh(X),), {}),
    ("rsqrt", (np.abs(X) + 1,), {}),
    ("logsumexp", (X,), {"axis": 1, "keepdims": True}),
    ("logsumexp", (X, 0), {}),
    ("logdet", (SPD,), {}),
    ("top_k", (X, 3), {}),
    ("in_top_k", (np.array([1, 5]), X, 2), {}),
    ("segment_sum", (DATA, SEG), {"num_segments": 4}),
    ("segment_max", (DATA, SEG), {"num_segments": 3, "sorted": True}),
    ("extract_sequences", (SIGNAL, 8, 4), {}),
    ("fft", ((X, Y),), {}),
    ("fft2", ((IMG, IMG * 2),), {}),
    ("ifft2", ((IMG, -IMG),), {}),
    ("rfft", (X,), {}),
    ("rfft", (X,), {"fft_length": 12}),
    ("irfft", ((X[:, :5], Y[:, :5]),), {}),
    ("irfft", ((X[:, :5], Y[:, :5]), 6), {}),
    ("stft", (SIGNAL, 8, 4, 8), {}),
    ("stft", (SIGNAL, 6, 3, 10), {"window": "hamming", "center": False}),
    ("stft", (SIGNAL, 8, 2, 8), {"window": None}),
    ("stft", (SIGNAL, 5, 2, 8), {"window": np.linspace(0.1, 1, 5).astype(np.float32)}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_math_ops_match_keras(name, args, kwargs):
    check(name, *args, **kwargs)


def test_istft_matches_keras_and_inverts_stft():
    import keras

    for window, center, length in [("hann", True, None), ("hamming", False, 20), (None, True, 30)]:
        spec = ops.stft(SIGNAL, 8, 4, 8, window=window, center=center)
        spec = tuple(np.asarray(s) for s in spec)
        ours = ops.istft(spec, 8, 4, 8, length=length, window=window, center=center)
        theirs = keras.ops.istft(spec, 8, 4, 8, length=length, window=window, center=center)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-5)
    # With a Hann window and 50% overlap the round trip restores the signal.
    back = ops.istft(ops.stft(SIGNAL, 8, 4, 8), 8, 4, 8, length=32)
    np.testing.assert_allclose(np.asarray(back), SIGNAL, atol=1e-5)


def test_math_ops_only_in_keras_src():
    from keras.src.ops import math as kmath

    cases = [
        ("segment_min", (DATA, SEG), {"num_segments": 3}),
        ("segment_prod", (DATA, SEG), {"num_segments": 3}),
        ("view_as_real", (np.array([1 + 2j, 3 - 1j], np.complex64),), {}),
        ("view_as_complex", (np.stack([X, Y], -1),), {}),
        ("cdist", (DATA[:4], DATA[2:]), {}),
    ]
    for name, args, kwargs in cases:
        ours = getattr(ops.math, name)(*args, **kwargs)
        theirs = getattr(kmath, name)(*args, **kwargs)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, err_msg=name)


def test_math_namespace():
    for name in ("fft", "stft", "segment_sum", "top_k", "logsumexp", "erfinv"):
        assert getattr(ops.math, name) is getattr(ops, name)
    with pytest.raises(ValueError, match="real, imag"):
        ops.fft(X)
