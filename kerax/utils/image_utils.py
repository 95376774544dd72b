"""Image files and arrays: ``load_img``, ``img_to_array``, ``array_to_img``,
``save_img``, ``smart_resize``.

Reading and writing image files needs Pillow, an optional extra:
``pip install kerax[image]``. Arrays are ``(height, width, channels)`` unless
``data_format`` (or ``kerax.config.image_data_format()`` when it is None) is
``"channels_first"``.
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings
from typing import Any

import numpy as np

from kerax._settings import floatx, image_data_format

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]

_PIL_FILTERS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
# Array resizing (smart_resize, the dataset builders), as Keras on JAX resizes.
_RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def pil_image() -> Any:
    """``PIL.Image``, or an ImportError naming the extra that installs it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Reading and writing images needs Pillow: `pip install kerax[image]` (or "
            "`pip install pillow`)."
        ) from None
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first'; received {data_format!r}."
        )
    return data_format


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None
) -> Any:
    """A PIL image from a rank-3 array (1, 3 or 4 channels).

    Args:
        x: The image array.
        data_format: ``"channels_last"`` or ``"channels_first"``; None: the global
            ``image_data_format()``.
        scale: Stretch the values to span 0..255 (minimum to 0, maximum to 255) first.
        dtype: The float dtype of the computation (``kerax.config.floatx()`` by
            default).

    Returns:
        A ``PIL.Image.Image``: mode ``L`` (``I`` when a value exceeds 255), ``RGB`` or
        ``RGBA``.

    Raises:
        ValueError: For another rank or channel count.
        ImportError: Without Pillow.
    """
    image = pil_image()
    x = np.asarray(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError(f"An image array must have rank 3; received shape {x.shape}.")
    if _data_format(data_format) == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"An image array must have 1, 3 or 4 channels; received {channels}.")


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A rank-3 array (of ``kerax.config.floatx()`` by default) from a PIL image; grey
    images get a channel axis of 1.

    Raises:
        ValueError: For an image that is not 2-D or 3-D once converted.
    """
    x = np.asarray(img, dtype=dtype or floatx())
    first = _data_format(data_format) == "channels_first"
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if first else x
    if x.ndim == 2:
        return x[None] if first else x[:, :, None]
    raise ValueError(f"An image must have 2 or 3 axes; received shape {x.shape}.")


def save_img(
    path: Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Writes an image array to a file.

    Args:
        path: A file name or a file object.
        x: The image array.
        data_format: ``"channels_last"`` or ``"channels_first"``; None: the global
            ``image_data_format()``.
        file_format: ``"png"``, ``"jpeg"``, ...; from the file's extension when None (a
            file object needs it).
        scale: Stretch the values to span 0..255 first.
        **kwargs: Passed on to ``PIL.Image.Image.save``.
    """
    if file_format is None and isinstance(path, str | pathlib.Path):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG has no alpha channel: the RGBA image is saved as RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path: str | os.PathLike | bytes | io.BytesIO,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Reads an image file into a PIL image.

    Args:
        path: The file's path, or a ``BytesIO`` of its content.
        color_mode: ``"rgb"`` (default), ``"rgba"`` or ``"grayscale"``.
        target_size: ``(height, width)`` to resize to; the file's size when None.
        interpolation: Pillow's filter for the resize: ``"nearest"`` (default),
            ``"bilinear"``, ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: Resize the largest centred crop with the target's aspect
            ratio instead of stretching the whole image.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        ValueError: For an unknown ``color_mode`` or ``interpolation``.
        TypeError: For a ``path`` of another type.
        ImportError: Without Pillow.
    """
    image = pil_image()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, str | bytes | os.PathLike):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"`path` must be a path or an io.BytesIO; received {type(path).__name__}.")
    modes = {"grayscale": ("L", "I;16", "I"), "rgba": ("RGBA",), "rgb": ("RGB",)}
    if color_mode not in modes:
        raise ValueError(
            f"`color_mode` must be 'grayscale', 'rgb' or 'rgba'; received {color_mode!r}."
        )
    if img.mode not in modes[color_mode]:
        img = img.convert(modes[color_mode][0])
    if target_size is None:
        return img
    size = (int(target_size[1]), int(target_size[0]))
    if img.size == size:
        return img
    if interpolation not in _PIL_FILTERS:
        raise ValueError(
            f"`interpolation` must be one of {list(_PIL_FILTERS)} for load_img; "
            f"received {interpolation!r}."
        )
    resample = getattr(image.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_h = min(height, width * size[1] // size[0])
    crop_w = min(width, height * size[0] // size[1])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(size, resample, box=(left, top, left + crop_w, top + crop_h))


def _crop_box(height: int, width: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest centred ``(top, left, height, width)`` box of ``size``'s aspect."""
    th, tw = size
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius: int) -> Any:
    def kernel(x: np.ndarray) -> np.ndarray:
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
        safe = np.where(x != 0, np.pi**2 * x**2, 1.0)
        out = np.where(x > 1e-3, y / safe, 1.0)
        return np.where(x > radius, 0.0, out)

    return kernel


_KERNELS = {
    "bilinear": lambda x: np.maximum(0.0, 1.0 - np.abs(x)),
    "bicubic": _keys_cubic,
    "lanczos3": _lanczos(3),
    "lanczos5": _lanczos(5),
}


def _weights(size_in: int, size_out: int, interpolation: str) -> np.ndarray:
    """The ``(size_out, size_in)`` resampling matrix of one axis: the kernel at each
    output pixel's centre mapped into the input (half-pixel centres, no antialiasing),
    normalised over the input pixels, as ``jax.image.resize(..., antialias=False)``."""
    if interpolation == "nearest":
        src = np.floor(((np.arange(size_out) + 0.5) * size_in / size_out).astype(np.float32))
        mat = np.zeros((size_out, size_in))
        mat[np.arange(size_out), np.minimum(src.astype(int), size_in - 1)] = 1.0
        return mat
    centre = (np.arange(size_out) + 0.5) * size_in / size_out - 0.5
    w = _KERNELS[interpolation](np.abs(centre[:, None] - np.arange(size_in)[None, :]))
    total = w.sum(axis=1, keepdims=True)
    w = np.where(np.abs(total) > 1000 * np.finfo(np.float32).eps, w / np.where(total, total, 1), 0)
    inside = (centre >= -0.5) & (centre <= size_in - 0.5)
    return np.where(inside[:, None], w, 0.0)


def resize_image(
    x: np.ndarray,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_value: float = 0.0,
) -> np.ndarray:
    """Resizes one channels-last image ``(h, w, c)`` to ``size`` as Keras's
    ``ops.image.resize`` does on JAX (no antialiasing), after a centred crop to the
    target's aspect ratio, or a symmetric padding with ``fill_value`` to it. Runs in
    NumPy (two small matrix products), so images of many sizes cost no compilation."""
    if interpolation not in _RESIZE_METHODS:
        raise ValueError(
            f"`interpolation` must be one of {list(_RESIZE_METHODS)}; received {interpolation!r}."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Pass only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`.")
    x = np.asarray(x, np.float32)
    height, width = x.shape[0], x.shape[1]
    th, tw = size
    if crop_to_aspect_ratio:
        top, left, ch, cw = _crop_box(height, width, size)
        x = x[top : top + ch, left : left + cw]
    elif pad_to_aspect_ratio:
        pad_top = int(float(max(height, int(float(width * th) / tw)) - height) / 2)
        pad_left = int(float(max(width, int(float(height * tw) / th)) - width) / 2)
        if pad_top > 0:
            pad_left = 0
        x = np.pad(
            x, ((pad_top, pad_top), (pad_left, pad_left), (0, 0)), constant_values=fill_value
        )
    if x.shape[:2] == tuple(size):
        return x
    rows = _weights(x.shape[0], th, interpolation)
    cols = _weights(x.shape[1], tw, interpolation)
    return np.einsum("ih,hwc,jw->ijc", rows, x.astype(np.float64), cols).astype(np.float32)


def smart_resize(
    x: Any,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    data_format: str = "channels_last",
) -> np.ndarray:
    """Resizes an image ``(h, w, c)`` or a batch ``(n, h, w, c)`` to ``size`` without
    distorting it: the largest centred crop with the target's aspect ratio is resized.

    Args:
        x: The image(s).
        size: ``(height, width)``.
        interpolation: ``"bilinear"`` (default), ``"nearest"``, ``"bicubic"``,
            ``"lanczos3"`` or ``"lanczos5"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A float32 NumPy array with the new height and width.

    Raises:
        ValueError: For a ``size`` that is not two numbers, or a rank other than 3 or 4.
    """
    if len(size) != 2:
        raise ValueError(f"`size` must be (height, width); received {size!r}.")
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"smart_resize takes (height, width, channels) or (batch, height, width, "
            f"channels); received shape {x.shape}."
        )
    first = _data_format(data_format) == "channels_first"
    batch = x if x.ndim == 4 else x[None]
    if first:
        batch = batch.transpose(0, 2, 3, 1)
    out = np.stack(
        [resize_image(img, tuple(size), interpolation, crop_to_aspect_ratio=True) for img in batch]
    )
    if first:
        out = out.transpose(0, 3, 1, 2)
    return out if x.ndim == 4 else out[0]
