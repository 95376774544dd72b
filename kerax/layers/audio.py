"""Audio layers: ``STFTSpectrogram`` (STFT by convolution, with trainable kernels) and
``MelSpectrogram`` (a mel-scaled power spectrogram, in decibels by default).

Both are pure JAX and run inside the compiled model. ``STFTSpectrogram``'s weights are
the ``STFT`` initializer's kernels, one convolution per side; ``MelSpectrogram`` has no
weights: it takes ``kerax.ops.stft`` of the signal, warps the power spectrum onto
``num_mel_bins`` triangular mel bands (the HTK formula ``2595 log10(1 + f / 700)``,
each triangle peaking at 1) and converts to decibels, clipped ``top_db`` below the
largest value of the batch, as Keras does.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import _settings
from kerax._stft_initializer import STFT, check_window, get_window
from kerax.layers._args import normalize_data_format
from kerax.layers._base import InputSpec, Layer
from kerax.ops.math import stft as _stft

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


class STFTSpectrogram(Layer):
    """Spectrograms of 1-D signals by the short-time Fourier transform, computed as
    strided convolutions with (trainable) DFT kernels, one channel at a time.

    Args:
        mode: ``"log"`` (default: log magnitude), ``"magnitude"``, ``"psd"`` (power
            spectral density), ``"real"``, ``"imag"``, ``"angle"`` or ``"stft"`` (the
            real and imaginary parts side by side).
        frame_length: Samples per frame (window), default 256.
        frame_step: Hop between frames; default ``frame_length // 2``.
        fft_length: FFT size, at least ``frame_length``; default the next power of two.
        window: ``"hann"`` (default), another window name (see the ``STFT``
            initializer), the window's values, or None.
        periodic: Whether the window is periodic rather than symmetric.
        scaling: ``"density"`` (default), ``"spectrum"`` or None: the window's
            normalization.
        padding: ``"valid"`` (default) or ``"same"``.
        expand_dims: Give each channel its own last axis (an image for image models).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, time, channels)`` (channels_last) or ``(batch, channels, time)``.

    Output shape:
        channels_last: ``(batch, frames, channels * bins)``, or with ``expand_dims``
        ``(batch, frames, bins, channels)``; channels_first: ``(batch, channels * bins,
        frames)``, or ``(batch, channels, frames, bins)``. ``bins`` is
        ``fft_length // 2 + 1``, twice that for ``mode="stft"``.
    """

    def __init__(
        self,
        mode: str = "log",
        frame_length: int = 256,
        frame_step: int | None = None,
        fft_length: int | None = None,
        window: Any = "hann",
        periodic: bool = False,
        scaling: str | None = "density",
        padding: str = "valid",
        expand_dims: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "STFTSpectrogram: `frame_step` should be a positive integer not greater than "
                f"`frame_length`. Received frame_step={frame_step}, frame_length={frame_length}."
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "STFTSpectrogram: `fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}."
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(
                f"`fft_length` is recommended to be a power of two. Received fft_length={fft_length}",
                stacklevel=2,
            )
        if mode not in _MODES:
            raise ValueError(
                f"STFTSpectrogram: output mode is invalid, it must be one of {', '.join(_MODES)}. "
                f"Received: mode={mode!r}."
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "STFTSpectrogram: `scaling` must be None, 'density' or 'spectrum'. "
                f"Received scaling={scaling!r}."
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"STFTSpectrogram: `padding` should be 'valid' or 'same'. Received {padding!r}."
            )
        check_window(window)
        super().__init__(**kwargs)
        self.mode, self.frame_length, self.frame_step = mode, frame_length, frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window, self.periodic, self.scaling = window, periodic, scaling
        self.padding, self.expand_dims = padding, expand_dims
        self.data_format = normalize_data_format("STFTSpectrogram", data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        for side in ("real", "imag"):
            if self.mode != {"real": "imag", "imag": "real"}[side]:
                init = STFT(side, self.window, self.scaling, self.periodic)
                setattr(self, f"{side}_kernel", self.add_weight(shape, init, name=f"{side}_kernel"))

    def _conv(self, signals: jax.Array, kernel: jax.Array) -> jax.Array:
        """``(batch * channels, time, 1)`` convolved: ``(batch * channels, frames, bins)``."""
        return jax.lax.conv_general_dilated(
            signals,
            kernel.astype(signals.dtype),
            (self._frame_step,),
            self.padding.upper(),
            dimension_numbers=("NWC", "WIO", "NWC"),
        )

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        x = jnp.asarray(inputs)
        if x.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError(
                f"STFTSpectrogram '{self.name}': expected float16, float32 or float64 inputs. "
                f"Received: input type={x.dtype}."
            )
        if self.data_format == "channels_last":
            x = jnp.swapaxes(x, 1, 2)
        channels = x.shape[1]
        signals = x.reshape(-1, x.shape[2], 1)
        p = ctx.params
        real = imag = None
        if self.mode != "imag":
            real = self._conv(signals, p["real_kernel"])
        if self.mode != "real":
            imag = self._conv(signals, p["imag_kernel"])
        eps = _settings.epsilon()
        if self.mode == "real":
            out = real
        elif self.mode == "imag":
            out = imag
        elif self.mode == "angle":
            out = jnp.arctan2(imag, real)
        elif self.mode == "stft":
            out = jnp.concatenate([real, imag], axis=-1)
        else:
            power = jnp.square(real) + jnp.square(imag)
            if self.mode == "psd":  # one-sided: the bins between DC and Nyquist count twice
                out = power + jnp.pad(power[..., 1:-1], [(0, 0), (0, 0), (1, 1)])
            else:
                out = jnp.sqrt(jnp.maximum(power, eps))
                if self.mode == "log":
                    out = jnp.log(jnp.maximum(out, eps))
        out = out.reshape(-1, channels, *out.shape[1:])  # (batch, channels, frames, bins)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return jnp.transpose(out, (0, 2, 3, 1))
            return out
        out = jnp.transpose(out, (0, 1, 3, 2)).reshape(-1, channels * out.shape[3], out.shape[2])
        return jnp.swapaxes(out, 1, 2) if self.data_format == "channels_last" else out

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if isinstance(window, np.ndarray | jax.Array):
            window = np.asarray(window).tolist()
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }


def _hertz_to_mel(hertz: np.ndarray) -> np.ndarray:
    return 1127.0 * np.log(1.0 + hertz / 700.0)


def mel_weight_matrix(
    num_mel_bins: int,
    num_spectrogram_bins: int,
    sampling_rate: float,
    lower_edge_hertz: float,
    upper_edge_hertz: float,
) -> np.ndarray:
    """The ``(num_spectrogram_bins, num_mel_bins)`` matrix of triangular mel filters
    (HTK convention, peaks of 1, the DC bin excluded), in float32."""
    f32 = np.float32
    linear = np.linspace(f32(0), f32(sampling_rate) / f32(2), num_spectrogram_bins, dtype=f32)
    bins_mel = _hertz_to_mel(linear[1:])[:, None]
    edges = np.linspace(
        _hertz_to_mel(f32(lower_edge_hertz)),
        _hertz_to_mel(f32(upper_edge_hertz)),
        num_mel_bins + 2,
        dtype=f32,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    lower_slopes = (bins_mel - lower) / (center - lower)
    upper_slopes = (upper - bins_mel) / (upper - center)
    weights = np.maximum(f32(0), np.minimum(lower_slopes, upper_slopes))
    return np.pad(weights, [(1, 0), (0, 0)]).astype(f32)


class MelSpectrogram(Layer):
    """Mel spectrograms of raw audio: STFT power, mel filter bank, then decibels.

    Args:
        fft_length: FFT size (default 2048).
        sequence_stride: Hop between frames (default 512).
        sequence_length: Window length (default ``fft_length``), at most ``fft_length``.
        window: ``"hann"`` (default), ``"hamming"`` or None (periodic windows).
        sampling_rate: Samples per second of the signal (default 16000).
        num_mel_bins: Number of mel bands (default 128).
        min_freq: Lower edge of the lowest band, in Hz (default 20).
        max_freq: Upper edge of the highest band (default ``sampling_rate / 2``).
        power_to_db: Convert the power to decibels (default True).
        top_db: Decibels kept below the batch's largest value (default 80).
        mag_exp: Exponent of the magnitude (default 2: power).
        min_power: Floor of the power before the logarithm (default 1e-10).
        ref_power: The power that maps to 0 dB (default 1).

    Input shape:
        ``(batch, samples)`` or ``(samples,)``; the number of samples must be known (a
        model input of unknown length is refused).

    Output shape:
        ``(batch, num_mel_bins, frames)`` or ``(num_mel_bins, frames)``, with
        ``frames = 1 + samples // sequence_stride`` (the signal is padded by half an FFT
        on both sides).
    """

    def __init__(
        self,
        fft_length: int = 2048,
        sequence_stride: int = 512,
        sequence_length: int | None = None,
        window: str | None = "hann",
        sampling_rate: int = 16000,
        num_mel_bins: int = 128,
        min_freq: float = 20.0,
        max_freq: float | None = None,
        power_to_db: bool = True,
        top_db: float = 80.0,
        mag_exp: float = 2.0,
        min_power: float = 1e-10,
        ref_power: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self.fft_length, self.sequence_stride = fft_length, sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "MelSpectrogram: `fft_length` must be greater than or equal to "
                f"`sequence_length`. Received: sequence_length={self.sequence_length}, "
                f"fft_length={self.fft_length}."
            )
        if window is not None and window not in ("hann", "hamming"):
            check_window(window)
        super().__init__(**kwargs)
        self.window, self.sampling_rate, self.num_mel_bins = window, sampling_rate, num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db, self.top_db, self.mag_exp = power_to_db, top_db, mag_exp
        self.min_power, self.ref_power = min_power, ref_power

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = jnp.asarray(inputs, dtype)
        if not isinstance(x.shape[-1], int):
            raise ValueError(
                f"MelSpectrogram '{self.name}' needs a known number of samples (its reflect "
                "padding and framing are static); received an unknown length. Give the model "
                "input a fixed length, e.g. Input((samples,))."
            )
        window = self.window
        if isinstance(window, str) and window not in ("hann", "hamming"):
            window = get_window(window, self.sequence_length, periodic=True)
        real, imag = _stft(
            x, self.sequence_length, self.sequence_stride, self.fft_length, window, center=True
        )
        spec = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), self.mag_exp)
        matrix = mel_weight_matrix(
            self.num_mel_bins,
            spec.shape[-1],
            self.sampling_rate,
            self.min_freq,
            self.max_freq,
        )
        out = jnp.tensordot(spec, jnp.asarray(matrix, spec.dtype), axes=1)
        if self.power_to_db:
            out = 10.0 * jnp.log10(jnp.maximum(out, self.min_power))
            out = out - 10.0 * jnp.log10(jnp.maximum(abs(self.ref_power), self.min_power))
            out = jnp.maximum(out, jnp.max(out) - self.top_db)
        return jnp.swapaxes(out, -1, -2).astype(self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }
