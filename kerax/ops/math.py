"""``kerax.ops.math``: Keras's math ops (all also at ``kerax.ops``).

Special functions, segment reductions, top-k, and Fourier transforms. As in Keras, the
FFT ops take and return complex tensors as ``(real, imag)`` pairs of float tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
import numpy as np

from kerax.ops._core import Array, Tensor, exports, op


@op
def erf(x: Tensor) -> Array:
    """The error function of ``x``, elementwise."""
    return jax.lax.erf(jnp.asarray(x))


@op
def erfc(x: Tensor) -> Array:
    """The complementary error function ``1 - erf(x)``, elementwise."""
    return jss.erfc(x)


@op
def erfinv(x: Tensor) -> Array:
    """The inverse error function of ``x``, elementwise."""
    return jss.erfinv(x)


@op
def rsqrt(x: Tensor) -> Array:
    """``1 / sqrt(x)``, elementwise."""
    return jax.lax.rsqrt(jnp.asarray(x))


@op
def logsumexp(x: Tensor, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Array:
    """``log(sum(exp(x)))`` over ``axis`` (all axes if ``None``), computed stably."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jss.logsumexp(x, axis=axis, keepdims=keepdims)


@op
def logdet(x: Tensor) -> Array:
    """The log-determinant of the positive-definite matrix ``x``."""
    return jnp.linalg.slogdet(x)[1]


@op
def top_k(x: Tensor, k: int, sorted: bool = True) -> tuple[Array, Array]:  # noqa: A002
    """The ``k`` largest entries of ``x`` along its last axis, and their indices.

    The values always come sorted (descending), which ``sorted=False`` allows.
    """
    values, indices = jax.lax.top_k(x, k)
    return values, indices


@op
def in_top_k(targets: Tensor, predictions: Tensor, k: int) -> Array:
    """Whether each ``targets`` class is among the ``k`` highest ``predictions``
    (ties count in the target's favor; a NaN prediction never does)."""
    predictions = jnp.asarray(predictions)
    target = jnp.take_along_axis(predictions, jnp.asarray(targets)[..., None], axis=-1)
    target = jnp.where(jnp.isnan(target), -jnp.inf, target)
    better = jnp.sum(predictions > target, axis=-1)
    return better < k


def _segment(name: str, reduce: Any) -> Any:
    def impl(
        data: Tensor,
        segment_ids: Tensor,
        num_segments: int | None = None,
        sorted: bool = False,  # noqa: A002 - Keras's name
    ) -> Array:
        if num_segments is None:
            raise ValueError(f"`{name}` needs a static `num_segments` on JAX.")
        return reduce(data, segment_ids, num_segments, indices_are_sorted=sorted)

    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = (
        f"The {name.split('_')[1]} of the rows of ``data`` sharing a ``segment_ids``"
        " value, one row per segment (``num_segments`` of them)."
    )
    return op(impl)


segment_sum = _segment("segment_sum", jax.ops.segment_sum)
segment_max = _segment("segment_max", jax.ops.segment_max)
segment_min = _segment("segment_min", jax.ops.segment_min)
segment_prod = _segment("segment_prod", jax.ops.segment_prod)


@op
def cdist(x: Tensor, y: Tensor) -> Array:
    """The Euclidean distances between the rows of ``x`` ``(..., n, d)`` and of ``y``
    ``(..., m, d)``: ``(..., n, m)``."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"`cdist` needs (..., n, d) and (..., m, d); got {x.shape}, {y.shape}.")
    diff = x[..., :, None, :] - y[..., None, :, :]
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


@op
def extract_sequences(x: Tensor, sequence_length: int, sequence_stride: int) -> Array:
    """The frames of ``x`` along its last axis: ``(..., num_frames, sequence_length)``,
    a frame every ``sequence_stride`` samples (no padding)."""
    x = jnp.asarray(x)
    count = 1 + (x.shape[-1] - sequence_length) // sequence_stride
    starts = np.arange(count) * sequence_stride
    index = starts[:, None] + np.arange(sequence_length)[None, :]
    return x[..., index]


def _complex(x: Any) -> Array:
    if not isinstance(x, tuple | list) or len(x) != 2:
        raise ValueError("Pass a complex tensor as a (real, imag) tuple of two float tensors.")
    real, imag = (jnp.asarray(t) for t in x)
    if real.shape != imag.shape:
        raise ValueError(f"Real and imaginary shapes differ: {real.shape} vs {imag.shape}.")
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError("The real and imaginary parts must be float tensors.")
    return jax.lax.complex(real, imag)


def _parts(z: Array) -> tuple[Array, Array]:
    return jnp.real(z), jnp.imag(z)


@op
def fft(x: tuple[Tensor, Tensor]) -> tuple[Array, Array]:
    """The discrete Fourier transform of ``x = (real, imag)`` along the last axis."""
    return _parts(jnp.fft.fft(_complex(x)))


@op
def fft2(x: tuple[Tensor, Tensor]) -> tuple[Array, Array]:
    """The 2D discrete Fourier transform of ``x = (real, imag)`` over the last two axes."""
    return _parts(jnp.fft.fft2(_complex(x)))


@op
def ifft2(x: tuple[Tensor, Tensor]) -> tuple[Array, Array]:
    """The inverse of :func:`fft2`, of ``x = (real, imag)``."""
    return _parts(jnp.fft.ifft2(_complex(x)))


@op
def rfft(x: Tensor, fft_length: int | None = None) -> tuple[Array, Array]:
    """The FFT of the real ``x`` along its last axis (cropped or zero-padded to
    ``fft_length``): ``fft_length // 2 + 1`` frequencies, as ``(real, imag)``."""
    return _parts(jnp.fft.rfft(x, n=fft_length, axis=-1))


@op
def irfft(x: tuple[Tensor, Tensor], fft_length: int | None = None) -> Array:
    """The inverse of :func:`rfft`: a real signal of ``fft_length`` samples (default
    ``2 * (n - 1)``) from the ``n`` frequencies ``x = (real, imag)``."""
    return jnp.fft.irfft(_complex(x), n=fft_length, axis=-1)


def _window(window: Any, sequence_length: int, fft_length: int, dtype: Any) -> Array:
    """The analysis window, centered and zero-padded to ``fft_length``."""
    if window is None:
        return jnp.ones((fft_length,), dtype)
    if isinstance(window, str):
        # Periodic windows (as scipy.signal.get_window gives).
        a0 = {"hann": 0.5, "hamming": 0.54}.get(window)
        if a0 is None:
            raise ValueError(f"`window` must be 'hann', 'hamming' or a tensor, got {window!r}.")
        n = np.arange(sequence_length)
        win = jnp.asarray(a0 - (1 - a0) * np.cos(2 * np.pi * n / sequence_length), dtype)
    else:
        win = jnp.asarray(window, dtype)
        if win.shape != (sequence_length,):
            raise ValueError(f"`window` must have shape ({sequence_length},), got {win.shape}.")
    left = (fft_length - sequence_length) // 2
    return jnp.pad(win, (left, fft_length - sequence_length - left))


@op
def stft(
    x: Tensor,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: str | Tensor | None = "hann",
    center: bool = True,
) -> tuple[Array, Array]:
    """The short-time Fourier transform of the real signals ``x`` (last axis).

    Args:
        x: Float signals, ``(..., samples)``.
        sequence_length: Window length.
        sequence_stride: Hop between frames.
        fft_length: FFT size (``>= sequence_length``); the window is centered in it.
        window: ``"hann"``, ``"hamming"`` (periodic), a ``(sequence_length,)`` tensor,
            or ``None`` (rectangular).
        center: Reflect-pad ``x`` by ``fft_length // 2`` on both sides first.

    Returns:
        ``(real, imag)``, each ``(..., num_frames, fft_length // 2 + 1)``.
    """
    x = jnp.asarray(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"`stft` needs float32 or float64 signals, got {x.dtype}.")
    if fft_length < sequence_length:
        raise ValueError("`fft_length` must be at least `sequence_length`.")
    if center:
        half = fft_length // 2
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    frames = extract_sequences.__wrapped__(x, fft_length, sequence_stride)
    win = _window(window, sequence_length, fft_length, x.dtype)
    return _parts(jnp.fft.rfft(frames * win, n=fft_length, axis=-1))


@op
def istft(
    x: tuple[Tensor, Tensor],
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: str | Tensor | None = "hann",
    center: bool = True,
) -> Array:
    """The inverse of :func:`stft`: signals from ``x = (real, imag)`` frames
    ``(..., num_frames, fft_length // 2 + 1)``, by windowed overlap-add.

    Args:
        x: The ``(real, imag)`` spectrogram.
        sequence_length: Window length used by :func:`stft`.
        sequence_stride: Hop between frames.
        fft_length: FFT size used by :func:`stft`.
        length: Output samples (default: all, minus the ``center`` padding).
        window: As for :func:`stft`.
        center: Whether :func:`stft` padded the signal (that padding is removed).
    """
    spec = _complex(x)
    if spec.ndim < 2:
        raise ValueError(f"`istft` needs (..., frames, bins) input, got {spec.shape}.")
    dtype = jnp.real(spec).dtype
    frames = jnp.fft.irfft(spec, n=fft_length, axis=-1)
    count = spec.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    win = _window(window, sequence_length, fft_length, dtype)
    index = (np.arange(count) * sequence_stride)[:, None] + np.arange(fft_length)[None, :]
    lead = frames.shape[:-2]
    signal = jnp.zeros((*lead, total), dtype).at[..., index].add(frames * win)
    norm = jnp.zeros((total,), dtype).at[index].add(jnp.broadcast_to(win * win, index.shape))
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    if window is None:
        # Keras's convention for the rectangular window.
        signal = signal * fft_length / sequence_stride
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = total - fft_length // 2 if center else total
    return signal[..., start:end]


@op
def view_as_complex(x: Tensor) -> Array:
    """The complex tensor whose real and imaginary parts are ``x[..., 0]`` and
    ``x[..., 1]``."""
    x = jnp.asarray(x)
    if x.shape[-1] != 2:
        raise ValueError(f"The last axis must have size 2, got shape {x.shape}.")
    return jax.lax.complex(x[..., 0], x[..., 1])


@op
def view_as_real(x: Tensor) -> Array:
    """The complex ``x`` as floats, real and imaginary parts on a new last axis."""
    x = jnp.asarray(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


__all__ = exports(__name__)
