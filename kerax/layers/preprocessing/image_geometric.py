"""Random geometric image augmentation: RandomFlip, RandomRotation, RandomZoom,
RandomTranslation.

Rotation, zoom and translation are affine warps (``kerax.ops.image.affine_transform``):
each transformation is a row ``[a0, a1, a2, b0, b1, b2, 0, 0]`` per image that maps an
output pixel ``(x, y)`` to the input point ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``,
sampled with ``interpolation`` and filled outside the image by ``fill_mode``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers.preprocessing._image_base import ImageLayer, check_choice, signed_factor
from kerax.ops.image import affine_transform

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")
_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(ImageLayer):
    """Flips each image with probability 1/2 in training; the identity at inference.

    With ``mode="horizontal_and_vertical"`` one draw decides both flips, so an image
    is either kept or turned by 180 degrees (Keras's behaviour).

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``
            (default).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    random = True

    def __init__(
        self,
        mode: str = "horizontal_and_vertical",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode, _FLIP_MODES)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        return {"flips": jax.random.uniform(key, (x.shape[0], 1, 1, 1)) <= 0.5}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        flips = jnp.reshape(transformation["flips"], (-1, 1, 1, 1))
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = jnp.where(flips, jnp.flip(x, axis=2), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = jnp.where(flips, jnp.flip(x, axis=1), x)
        return x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class _AffineLayer(ImageLayer):
    """An affine warp drawn per image: subclasses give the matrix rows."""

    random = True

    def _set_sampling(self, fill_mode: str, interpolation: str, fill_value: float) -> None:
        name = type(self).__name__
        self.fill_mode = check_choice(name, "fill_mode", fill_mode, _FILL_MODES)
        self.interpolation = check_choice(name, "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_value = fill_value

    def _matrix(self, transformation: dict[str, jax.Array], height: int, width: int) -> Any:
        raise NotImplementedError

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        matrix = self._matrix(transformation, x.shape[1], x.shape[2])
        return affine_transform(
            x,
            matrix.astype("float32"),
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
        ).astype(x.dtype)


def _rows(*columns: jax.Array) -> jax.Array:
    """Stacks per-image columns ``(batch,)`` into ``(batch, 8)``, zeros at the end."""
    zeros = jnp.zeros_like(columns[0])
    return jnp.stack([*columns, zeros, zeros], axis=1)


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle about its center in training; the
    identity at inference.

    Args:
        factor: A fraction of a full turn: a number ``f`` draws angles in
            ``[-f, f] * 360`` degrees, a pair ``(a, b)`` in ``[a, b] * 360``. Positive
            angles turn counter-clockwise.
        fill_mode: Filling outside the image: ``"reflect"`` (default), ``"wrap"``,
            ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        factor: float | Sequence[float],
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomRotation", "factor", factor)
        self._set_sampling(fill_mode, interpolation, fill_value)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        low, high = self.factor[0] * 360.0, self.factor[1] * 360.0
        angle = jax.random.uniform(key, (x.shape[0],), minval=low, maxval=high)
        return {"angle": angle, "rotation_matrix": self._rotation(angle, x.shape[1], x.shape[2])}

    @staticmethod
    def _rotation(angle: jax.Array, height: int, width: int) -> jax.Array:
        theta = angle * (math.pi / 180.0)
        cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
        cos, sin = jnp.cos(theta), jnp.sin(theta)
        return _rows(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)

    def _matrix(self, transformation: dict[str, jax.Array], height: int, width: int) -> Any:
        return jnp.reshape(jnp.asarray(transformation["rotation_matrix"]), (-1, 8))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


def _zoom_factor(layer: str, name: str, factor: Any) -> tuple[float, float]:
    """Zoom and translation factors: entries in ``[-1, 1]`` (zoom: ``> -1``)."""
    low, high = signed_factor(layer, name, factor)
    if layer == "RandomZoom" and low <= -1.0:
        raise ValueError(
            f"Received an invalid value for `{name}` in RandomZoom: entries must be "
            f"greater than -1, received {name}={factor!r}."
        )
    return low, high


class RandomZoom(_AffineLayer):
    """Zooms each image by a random factor in training; the identity at inference.

    Args:
        height_factor: A number ``f`` or a pair ``(a, b)``: the height is scaled by a
            factor drawn in ``[1 - f, 1 + f]`` (or ``[1 + a, 1 + b]``); positive values
            zoom out, negative values zoom in.
        width_factor: The same for the width; ``None`` (default) keeps the aspect
            ratio by reusing the height factor.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        height_factor: float | Sequence[float],
        width_factor: float | Sequence[float] | None = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _zoom_factor("RandomZoom", "height_factor", height_factor)
        self._width = (
            None
            if width_factor is None
            else _zoom_factor("RandomZoom", "width_factor", width_factor)
        )
        self._set_sampling(fill_mode, interpolation, fill_value)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        kh, kw = jax.random.split(key)
        shape = (x.shape[0], 1)
        low, high = self._height
        height_zoom = jax.random.uniform(kh, shape, minval=1.0 + low, maxval=1.0 + high)
        if self._width is None:
            return {"height_zoom": height_zoom, "width_zoom": height_zoom}
        low, high = self._width
        width_zoom = jax.random.uniform(kw, shape, minval=1.0 + low, maxval=1.0 + high)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom}

    def _matrix(self, transformation: dict[str, jax.Array], height: int, width: int) -> Any:
        zx = jnp.reshape(jnp.asarray(transformation["width_zoom"], "float32"), (-1,))
        zy = jnp.reshape(jnp.asarray(transformation["height_zoom"], "float32"), (-1,))
        zeros = jnp.zeros_like(zx)
        return _rows(
            zx, zeros, (width - 1) / 2.0 * (1.0 - zx), zeros, zy, (height - 1) / 2.0 * (1.0 - zy)
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random offset in training; the identity at inference.

    Args:
        height_factor: A number ``f`` or a pair ``(a, b)``, as a fraction of the
            height: the vertical shift is drawn in ``[-f, f] * height`` (or
            ``[a, b] * height``); positive values shift down.
        width_factor: The same for the horizontal shift (positive: right).
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        height_factor: float | Sequence[float],
        width_factor: float | Sequence[float],
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = _zoom_factor("RandomTranslation", "height_factor", height_factor)
        self._width = _zoom_factor("RandomTranslation", "width_factor", width_factor)
        self._set_sampling(fill_mode, interpolation, fill_value)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        kh, kw = jax.random.split(key)
        shape = (x.shape[0], 1)
        dy = jax.random.uniform(kh, shape, minval=self._height[0], maxval=self._height[1])
        dx = jax.random.uniform(kw, shape, minval=self._width[0], maxval=self._width[1])
        return {"translations": jnp.concatenate([dx * x.shape[2], dy * x.shape[1]], axis=1)}

    def _matrix(self, transformation: dict[str, jax.Array], height: int, width: int) -> Any:
        shifts = jnp.reshape(jnp.asarray(transformation["translations"], "float32"), (-1, 2))
        ones, zeros = jnp.ones_like(shifts[:, 0]), jnp.zeros_like(shifts[:, 0])
        return _rows(ones, zeros, -shifts[:, 0], zeros, ones, -shifts[:, 1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }
