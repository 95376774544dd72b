"""The ``STFT`` initializer: convolution kernels computing one side of a windowed DFT.

A kernel of shape ``(frame_length, 1, bins)`` holds, for frame sample ``t`` and frequency
bin ``k``, ``cos(-2 pi t k / n)`` (the real side) or ``sin(-2 pi t k / n)`` (the
imaginary side) with ``n = 2 (bins - 1)``, the FFT length; each row is multiplied by the
window and the whole divided by the window's L2 norm (``scaling="density"``) or L1 norm
(``"spectrum"``). Convolving a signal with it, stride the hop, gives that side of its
short-time Fourier transform (``kerax.layers.STFTSpectrogram``).

Windows are named as in ``scipy.signal.get_window``; the common ones are computed here
with NumPy, others with SciPy when it is installed.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.initializers import Initializer, _accepting_keras_calls

#: Cosine-sum coefficients of the windows computed without SciPy, by their SciPy names.
_COSINE_WINDOWS: dict[str, tuple[float, ...]] = {
    "hann": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
    "boxcar": (1.0,),
}
_ALIASES = {
    "han": "hann",
    "hamm": "hamming",
    "ham": "hamming",
    "black": "blackman",
    "blk": "blackman",
    "box": "boxcar",
    "ones": "boxcar",
    "rect": "boxcar",
    "rectangular": "boxcar",
    "bartlett": "bartlett",
    "bart": "bartlett",
    "brt": "bartlett",
}


def get_window(window: Any, length: int, periodic: bool = False) -> np.ndarray:
    """The window ``window`` (a SciPy window name, a SciPy ``(name, *params)`` tuple, or
    values) of ``length`` samples, periodic (for spectral analysis) or symmetric.

    Raises:
        ImportError: For a window kerax does not compute itself when SciPy is missing.
        ValueError: For values of the wrong length.
    """
    if not isinstance(window, str | tuple):
        values = np.asarray(window, np.float64)
        if values.shape != (length,):
            raise ValueError(
                "The shape of `window` must be equal to [frame_length]: expected "
                f"({length},), received {values.shape}."
            )
        return values
    name = _ALIASES.get(window, window) if isinstance(window, str) else None
    if name in _COSINE_WINDOWS or name == "bartlett":
        if length == 1:
            return np.ones(1)
        points = length + 1 if periodic else length
        n = np.arange(points)
        if name == "bartlett":
            values = 1 - np.abs(2 * n / (points - 1) - 1)
        else:
            values = sum(
                (-1) ** i * a * np.cos(2 * np.pi * i * n / (points - 1))
                for i, a in enumerate(_COSINE_WINDOWS[name])
            )
        return np.asarray(values[:length], np.float64)
    try:
        import scipy.signal
    except ImportError as error:
        raise ImportError(
            f"The window {window!r} needs SciPy (`pip install scipy`); kerax computes "
            f"{sorted(_COSINE_WINDOWS) + ['bartlett']} itself, or pass the window's values."
        ) from error
    return np.asarray(scipy.signal.get_window(window, length, fftbins=periodic), np.float64)


def check_window(window: Any) -> None:
    """Raises early, as Keras does, for an unknown window name."""
    if isinstance(window, str | tuple):
        get_window(window, 1)


class STFT(Initializer):
    """Kernels for a convolution computing the real or imaginary side of an STFT.

    The shape is ``(frame_length, input_channels, fft_length // 2 + 1)`` (with one input
    channel, as ``STFTSpectrogram`` uses it).

    Args:
        side: ``"real"`` (default) or ``"imag"``.
        window: A window name (``"hann"``, the default, ``"hamming"``, ``"blackman"``,
            ``"bartlett"``, ``"boxcar"``; any ``scipy.signal.get_window`` name when SciPy
            is installed), the window's values, or None for no window.
        scaling: ``"density"`` (default: divide by the window's L2 norm),
            ``"spectrum"`` (its L1 norm) or None.
        periodic: Whether the window is periodic rather than symmetric.
    """

    def __init__(
        self,
        side: str = "real",
        window: Any = "hann",
        scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` should be 'real' or 'imag', received {side!r}.")
        check_window(window)
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "STFT: `scaling` must be None, 'density' or 'spectrum'; received "
                f"scaling={scaling!r}."
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def kernel(self, shape: tuple[int, ...], dtype: Any = "float32") -> np.ndarray:
        """The kernel of ``shape``, in NumPy, computed at ``dtype``'s precision (float32
        for types NumPy lacks), in Keras's order of operations."""
        if len(shape) != 3:
            raise ValueError(
                f"STFT: the shape must be (frame_length, input_channels, bins), received {shape}."
            )
        frame_length, _, bins = shape
        kind = np.dtype(dtype) if str(dtype) in ("float16", "float64") else np.dtype("float32")
        freq = np.arange(bins, dtype=kind) / kind.type((bins - 1) * 2)
        time = np.arange(frame_length, dtype=kind)[:, None, None]
        angle = (-2 * time * freq) * kind.type(np.pi)
        values = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            win = get_window(self.window, frame_length, self.periodic).astype(kind)
            win = win[:, None, None]
            scale = kind.type(1.0)
            if self.scaling == "density":
                scale = np.sqrt(np.sum(win**2))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            values = values * win / scale
        return np.broadcast_to(values, shape)

    def __call__(self, key: jax.Array, shape: Any, dtype: Any = "float32") -> jax.Array:
        return jnp.asarray(self.kernel(tuple(shape), dtype), dtype)

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if isinstance(window, np.ndarray | jax.Array):
            window = np.asarray(window).tolist()
        return {
            "side": self.side,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


STFT.__call__ = _accepting_keras_calls(STFT.__call__)  # type: ignore[method-assign]
