"""Random warps: RandomShear, RandomPerspective, RandomElasticTransform.

Shear is an affine warp (``kerax.ops.image.affine_transform``), perspective a
projective one (``perspective_transform``); the elastic transform displaces every
pixel by smoothed Gaussian noise and resamples the image there. (It does not use
``kerax.ops.image.elastic_transform``: that op needs a concrete ``sigma`` for its
kernel size, while the layer draws the distortion, hence ``sigma``, inside the step.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers.preprocessing._image_base import (
    ImageLayer,
    check_choice,
    signed_factor,
    value_range_of,
)
from kerax.layers.preprocessing.image_geometric import _AffineLayer
from kerax.ops.image import perspective_transform

_INTERPOLATIONS = ("nearest", "bilinear")
_ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _shear_factor(name: str, factor: Any) -> tuple[float, float]:
    """A number ``f`` in ``[0, 1]`` is ``(-f, f)``; a pair is sorted. Pair entries may
    lie in ``[-1, 1]``, so that the ``(-f, f)`` a config holds loads again (Keras
    refuses its own config there)."""
    message = (
        f"Received an invalid value for `{name}` in RandomShear: expected a number in "
        f"[0, 1] or a pair of numbers in [-1, 1], received {name}={factor!r}."
    )
    pair = isinstance(factor, Sequence) and not isinstance(factor, str)
    values = list(factor) if pair else [factor]
    low = -1.0 if pair else 0.0
    if len(values) != (2 if pair else 1) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and low <= v <= 1 for v in values
    ):
        raise ValueError(message)
    if not pair:
        return -float(values[0]), float(values[0])
    first, second = sorted(float(v) for v in values)
    return first, second


def _apply_where(apply: Any, warped: jax.Array, x: jax.Array) -> jax.Array:
    return jnp.where(jnp.reshape(jnp.asarray(apply), (-1, 1, 1, 1)), warped, x)


class RandomShear(_AffineLayer):
    """Shears each image along x and y by random amounts in training; the identity at
    inference.

    The output pixel ``(x, y)`` is read at ``(x + sx * y, sy * x + y)`` (pixels), with
    ``sx`` drawn in ``x_factor`` and ``sy`` in ``y_factor``, both negated together for
    a random half of the images.

    Args:
        x_factor: A number ``f`` in ``[0, 1]`` draws ``sx`` in ``[-f, f]``; a pair
            ``(a, b)`` in ``[a, b]`` (default 0.0).
        y_factor: The same for ``sy`` (default 0.0).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        x_factor: float | Sequence[float] = 0.0,
        y_factor: float | Sequence[float] = 0.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = _shear_factor("x_factor", x_factor)
        self.y_factor = _shear_factor("y_factor", y_factor)
        self._set_sampling(fill_mode, interpolation, fill_value)
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        k_sign, k_y, k_x = jax.random.split(key, 3)
        shape = (x.shape[0], 1)
        sign = jnp.where(jax.random.uniform(k_sign, shape, x.dtype) > 0.5, -1.0, 1.0)
        shear_y = jax.random.uniform(k_y, shape, x.dtype, *self.y_factor)
        shear_x = jax.random.uniform(k_x, shape, x.dtype, *self.x_factor)
        return {"shear_factor": jnp.concatenate([shear_x, shear_y], axis=1) * sign}

    def _matrix(self, transformation: dict[str, jax.Array], height: int, width: int) -> Any:
        shear = jnp.reshape(jnp.asarray(transformation["shear_factor"], "float32"), (-1, 2))
        ones, zeros = jnp.ones_like(shear[:, 0]), jnp.zeros_like(shear[:, 0])
        return jnp.stack([ones, shear[:, 0], zeros, shear[:, 1], ones, zeros, zeros, zeros], 1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "x_factor": self.x_factor,
            "y_factor": self.y_factor,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "fill_value": self.fill_value,
        }


class RandomPerspective(ImageLayer):
    """Moves the four corners of each image by random offsets and warps the image to
    match, with a per-image probability, in training; the identity at inference.

    Each corner ``c`` goes to ``c + c * d`` with ``d`` drawn in
    ``[-scale / 2, scale / 2]`` per coordinate; outside the source image the output is
    ``fill_value``. The warp happens when a uniform draw falls below a probability
    drawn in ``factor``.

    Args:
        factor: The probability: a number ``f`` in ``[0, 1]`` draws it per image in
            ``[0, f]``, a pair ``(a, b)`` in ``[a, b]`` (default 1.0).
        scale: The relative size of the corner offsets, in ``[0, 1]`` (default 1.0).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: The value outside the warped image (default 0.0).
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
        factor: float | Sequence[float] = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("RandomPerspective", "factor", factor, (0.0, 1.0))
        if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 <= scale <= 1:
            raise ValueError(
                "Received an invalid value for `scale` in RandomPerspective: expected a "
                f"number in [0, 1], received scale={scale!r}."
            )
        self.scale = scale
        self.interpolation = check_choice(
            "RandomPerspective", "interpolation", interpolation, _INTERPOLATIONS
        )
        self.fill_value = fill_value
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        batch, height, width, _ = x.shape
        k_prob, k_apply, k_shift = jax.random.split(key, 3)
        probability = jax.random.uniform(k_prob, (batch,), "float32", *self.factor)
        apply = jax.random.uniform(k_apply, (batch,)) < probability
        half = 0.5 * self.scale
        shift = jax.random.uniform(k_shift, (batch, 4, 2), x.dtype, -half, half)
        corners = [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]]
        start = jnp.broadcast_to(jnp.asarray(corners, x.dtype), (batch, 4, 2))
        return {
            "apply_perspective": apply,
            "start_points": start,
            "end_points": start + start * shift,
        }

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        warped = perspective_transform(
            x,
            transformation["start_points"],
            transformation["end_points"],
            interpolation=self.interpolation,
            fill_value=self.fill_value,
        )
        return _apply_where(transformation["apply_perspective"], warped, x).astype(x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }


def _kernel_size(sigma: Any) -> Any:
    """Keras's odd Gaussian window for ``sigma``: ``int(6 sigma) | 1``."""
    return jnp.bitwise_or(jnp.floor(6.0 * sigma).astype("int32"), 1)


def _blur(noise: jax.Array, sigma: jax.Array, max_size: int) -> jax.Array:
    """``noise`` ``(batch, h, w)`` blurred by a Gaussian of ``sigma`` over a window of
    ``int(6 sigma) | 1`` pixels (zero padding), computed in a ``max_size`` window with
    the weights outside the smaller window set to zero, so ``sigma`` may be traced."""
    t = jnp.arange(max_size, dtype=noise.dtype) - (max_size - 1) / 2
    inside = jnp.abs(t) <= (_kernel_size(sigma) // 2).astype(noise.dtype)
    safe = jnp.maximum(sigma, jnp.finfo(noise.dtype).tiny)  # sigma 0: a one-pixel window
    weights = jnp.where(inside, jnp.exp(-0.5 * (t / safe) ** 2), 0.0)
    weights = weights / jnp.sum(weights)
    kernel = jnp.outer(weights, weights)[:, :, None, None]
    out = jax.lax.conv_general_dilated(
        noise[..., None], kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return out[..., 0]


def elastic_warp(
    x: jax.Array,
    key: jax.Array,
    alpha: Any,
    sigma: Any,
    max_sigma: float,
    order: int,
    fill_mode: str,
    fill_value: float,
) -> jax.Array:
    """The channels-last batch ``x`` with each pixel ``(y, x)`` read at
    ``(y + alpha * d, x + alpha * d)``, ``d`` Gaussian noise drawn from ``key`` and
    blurred by ``sigma`` (Keras draws both offsets from one key, so they are equal)."""
    batch, height, width, _ = x.shape
    noise = jax.random.normal(key, (batch, height, width), x.dtype) * sigma
    max_size = int(np.floor(6.0 * max_sigma)) | 1
    shift = alpha * _blur(noise, sigma, max_size)
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    rows, cols = ys[None] + shift, xs[None] + shift

    def one_channel(plane: jax.Array, r: jax.Array, c: jax.Array) -> jax.Array:
        return jax.scipy.ndimage.map_coordinates(
            plane, [r, c], order=order, mode=fill_mode, cval=fill_value
        )

    per_image = jax.vmap(one_channel, in_axes=(-1, None, None), out_axes=-1)
    return jax.vmap(per_image)(x, rows, cols).astype(x.dtype)


class RandomElasticTransform(ImageLayer):
    """Displaces the pixels of each image by smoothed random noise, with a per-image
    probability, in training; the identity at inference.

    Per batch a distortion ``s`` is drawn in ``scale``; Gaussian noise is blurred with
    ``sigma = 0.05 * s * min(height, width)``, scaled by
    ``alpha = 0.1 * s * max(height, width)``, and each pixel is resampled at its
    displaced position, then the images are clipped to ``value_range``. As in Keras,
    one noise field serves both axes (pixels move along the diagonal).

    Args:
        factor: The probability: a number ``f`` in ``[0, 1]`` draws it per image in
            ``[0, f]``, a pair ``(a, b)`` in ``[a, b]`` (default 1.0).
        scale: A number ``s`` in ``[0, 1]`` draws the distortion in ``[0, s]``; a pair
            ``(a, b)`` in ``[a, b]`` (default 1.0).
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_mode: ``"reflect"`` (default), ``"mirror"``, ``"wrap"``, ``"constant"`` or
            ``"nearest"``.
        fill_value: The value for ``fill_mode="constant"``.
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    random = True
    loop_friendly = False  # it convolves; XLA:CPU runs that slowly in a loop body

    def __init__(
        self,
        factor: float | Sequence[float] = 1.0,
        scale: float | Sequence[float] = 1.0,
        interpolation: str = "bilinear",
        fill_mode: str = "reflect",
        fill_value: float = 0.0,
        value_range: Sequence[float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        name = "RandomElasticTransform"
        self.factor = signed_factor(name, "factor", factor, (0.0, 1.0))
        self.scale = signed_factor(name, "scale", scale, (0.0, 1.0))
        self.interpolation = check_choice(name, "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_mode = check_choice(name, "fill_mode", fill_mode, _ELASTIC_FILL_MODES)
        self.fill_value = fill_value
        value_range_of(name, value_range)
        self.value_range = value_range
        self.seed = seed

    def get_random_transformation(
        self, images: Any, training: bool = True, seed: jax.Array | None = None
    ) -> dict[str, jax.Array] | None:
        if self.scale[1] == 0 or self.factor[1] == 0:
            return None  # nothing to draw: the layer is the identity
        return super().get_random_transformation(images, training, seed)

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        batch = x.shape[0]
        k_prob, k_apply, k_scale, k_noise = jax.random.split(key, 4)
        probability = jax.random.uniform(k_prob, (batch,), "float32", *self.factor)
        apply = jax.random.uniform(k_apply, (batch,)) < probability
        distortion = jax.random.uniform(k_scale, (), x.dtype, *self.scale)
        return {"apply_transform": apply, "distortion_factor": distortion, "seed": k_noise}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        height, width = x.shape[1], x.shape[2]
        distortion = jnp.asarray(transformation["distortion_factor"], x.dtype)
        alpha = max(height, width) * (0.1 * distortion)
        sigma = min(height, width) * (0.05 * distortion)
        largest = self.scale[1]
        if not isinstance(distortion, jax.core.Tracer):
            largest = max(largest, float(distortion))
        warped = elastic_warp(
            x,
            transformation["seed"],
            alpha,
            sigma,
            min(height, width) * 0.05 * largest,
            0 if self.interpolation == "nearest" else 1,
            self.fill_mode,
            self.fill_value,
        )
        out = _apply_where(transformation["apply_transform"], warped, x)
        return jnp.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "value_range": self.value_range,
            "seed": self.seed,
        }
