"""Warp ops: images resampled at transformed coordinates (affine and perspective
transforms), and arrays sampled at given coordinates."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, exports, op
from kerax.ops.image._batch import batched, restore

_ORDERS = {"nearest": 0, "bilinear": 1}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _sample(x: Any, rows: Any, cols: Any, order: int, fill_mode: str, fill_value: float) -> Any:
    """Samples the channels-last batch ``x`` at ``(rows, cols)``, each ``(batch, h, w)``."""

    def one_channel(plane: Any, r: Any, c: Any) -> Any:
        return jax.scipy.ndimage.map_coordinates(
            plane, [r, c], order=order, mode=fill_mode, cval=fill_value
        )

    per_image = jax.vmap(one_channel, in_axes=(-1, None, None), out_axes=-1)
    return jax.vmap(per_image)(x, rows, cols)


def _check_sampling(interpolation: str, fill_mode: str) -> int:
    if interpolation not in _ORDERS:
        raise ValueError(
            f"`interpolation` must be one of {sorted(_ORDERS)}, got {interpolation!r}."
        )
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {_FILL_MODES}, got {fill_mode!r}.")
    return _ORDERS[interpolation]


def _projective(x: Any, transform: Any, order: int, fill_mode: str, fill_value: float) -> Any:
    """Maps each output pixel ``(x, y)`` to the input point
    ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``."""
    t = jnp.broadcast_to(transform, (x.shape[0], 8)).astype(jnp.promote_types(x.dtype, "float32"))
    ys, xs = np.meshgrid(np.arange(x.shape[1]), np.arange(x.shape[2]), indexing="ij")
    t = t[:, :, None, None]
    k = t[:, 6] * xs + t[:, 7] * ys + 1.0
    cols = (t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / k
    rows = (t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / k
    return _sample(x, rows, cols, order, fill_mode, fill_value).astype(x.dtype)


@op
def affine_transform(
    images: Tensor,
    transform: Tensor,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Array:
    """Warps ``images`` by projective ``transform`` s ``[a0, a1, a2, b0, b1, b2, c0, c1]``
    (one, or one per image), which map each *output* point ``(x, y)`` to the input
    point ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.

    Args:
        images: An image or a batch.
        transform: ``(8,)`` or ``(batch, 8)``.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: How points outside the input are filled: ``"constant"``,
            ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: The value for ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """
    order = _check_sampling(interpolation, fill_mode)
    x, fmt, single = batched(images, data_format)
    transform = jnp.asarray(transform)
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(f"`transform` must be (8,) or (batch, 8), got shape {transform.shape}.")
    return restore(_projective(x, transform, order, fill_mode, fill_value), fmt, single)


def _homography(start: Any, end: Any) -> Any:
    """The 8 coefficients mapping each ``end`` point to its ``start`` point."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zero, one = jnp.zeros_like(ex), jnp.ones_like(ex)
    row_x = jnp.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1)
    row_y = jnp.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1)
    system = jnp.concatenate([row_x, row_y], axis=-2)
    rhs = jnp.concatenate([sx, sy], axis=-1)
    return jnp.linalg.solve(system, rhs[..., None])[..., 0]


@op
def perspective_transform(
    images: Tensor,
    start_points: Tensor,
    end_points: Tensor,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: str | None = None,
) -> Array:
    """Warps ``images`` so that the 4 ``start_points`` ``(x, y)`` land on the
    ``end_points`` (each ``(4, 2)``, or ``(batch, 4, 2)``); outside is ``fill_value``."""
    order = _check_sampling(interpolation, "constant")
    x, fmt, single = batched(images, data_format)
    start = jnp.asarray(start_points, "float32")
    end = jnp.asarray(end_points, "float32")
    if start.shape[-2:] != (4, 2) or start.shape != end.shape:
        raise ValueError(
            f"Points must be (4, 2) or (batch, 4, 2), and match: {start.shape}, {end.shape}."
        )
    transform = _homography(start, end)
    return restore(_projective(x, transform, order, "constant", fill_value), fmt, single)


@op
def map_coordinates(
    inputs: Tensor,
    coordinates: Tensor,
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> Array:
    """``inputs`` sampled at ``coordinates`` (``(inputs.ndim, ...)``, one row per axis),
    by nearest (``order=0``) or linear (``order=1``) interpolation."""
    if order not in (0, 1):
        raise ValueError(f"`order` must be 0 or 1, received {order!r}.")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {_FILL_MODES}, got {fill_mode!r}.")
    inputs = jnp.asarray(inputs)
    coords = jnp.asarray(coordinates)
    if coords.shape[0] != inputs.ndim:
        raise ValueError(
            f"`coordinates` needs {inputs.ndim} rows (the rank of `inputs`), got {coords.shape[0]}."
        )
    return jax.scipy.ndimage.map_coordinates(
        inputs, list(coords), order=order, mode=fill_mode, cval=fill_value
    )


__all__ = exports(__name__)
