"""Augmentations that mix the images of a batch: MixUp and CutMix.

Both pair each image with another image of the same batch (one random permutation per
batch) and blend the two. As in Keras, they take either a batch of images or a dict
``{"images": ..., "labels": ...}``; with a dict, the one-hot ``labels`` are mixed in
the same proportions as the images. Inside a model the layer only sees what the model
passes it (usually the images alone, which are then mixed without their targets); mix
labels by calling the layer on the dict in the input pipeline, before ``fit``.
Bounding boxes and segmentation masks are not supported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers.preprocessing._image_base import ImageLayer, signed_factor

_KEYS = ("images", "labels")


class _BatchMixing(ImageLayer):
    """An image layer that also takes ``{"images", "labels"}`` and transforms both."""

    random = True

    def apply(self, ctx: Any, inputs: Any) -> Any:
        if not isinstance(inputs, dict):
            return super().apply(ctx, inputs)
        images, labels = self._unpack(inputs)
        images = self._cast(images)
        if not ctx.training:
            return self._pack(images, labels)
        transformation = self.get_random_transformation(images, training=True, seed=ctx.rng())
        images = self.transform_images(images, transformation)
        if labels is not None:
            labels = self._labels(labels, transformation, images.ndim == 3)
        return self._pack(images, labels)

    def get_random_transformation(
        self, images: Any, training: bool = True, seed: jax.Array | None = None
    ) -> dict[str, jax.Array] | None:
        """Parameters of one random mixing of the batch (None when not training).

        Args:
            images: A batch of images, or a dict holding them under ``"images"``.
            training: Whether to draw (inference draws nothing).
            seed: A JAX PRNG key; default a fresh key from ``kerax.random``.
        """
        if isinstance(images, dict):
            images = self._unpack(images)[0]
        return super().get_random_transformation(images, training, seed)

    def transform_labels(
        self, labels: Any, transformation: dict[str, jax.Array] | None, training: bool = True
    ) -> jax.Array:
        """The one-hot ``labels`` ``(batch, classes)`` mixed as the images were.

        Args:
            labels: One row of class scores per image.
            transformation: What ``get_random_transformation`` returned.
            training: When False, ``labels`` come back unchanged.
        """
        labels = jnp.asarray(labels)
        if not training or transformation is None:
            return labels
        if labels.ndim != 2:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) mixes one-hot labels of shape "
                f"(batch, classes); received labels of shape {tuple(labels.shape)}. Encode "
                "integer class ids with `kerax.ops.one_hot` first."
            )
        weight = jnp.reshape(jnp.asarray(transformation["mix_weight"]), (-1, 1))
        partner = jnp.take(labels, jnp.asarray(transformation["permutation_order"]), axis=0)
        return weight * labels + (1.0 - weight) * partner

    def _labels(self, labels: Any, transformation: Any, single: bool) -> jax.Array:
        labels = jnp.asarray(labels)
        if single:
            return self.transform_labels(labels[None], transformation)[0]
        return self.transform_labels(labels, transformation)

    def _unpack(self, data: dict[str, Any]) -> tuple[Any, Any]:
        unknown = sorted(set(data) - set(_KEYS))
        if unknown or "images" not in data:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) takes an image batch or a dict "
                f'with the key "images" and optionally "labels"; kerax does not support '
                f"bounding boxes or segmentation masks. Received a dict with keys {sorted(data)}."
            )
        return data["images"], data.get("labels")

    @staticmethod
    def _pack(images: jax.Array, labels: Any) -> dict[str, Any]:
        return {"images": images} if labels is None else {"images": images, "labels": labels}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def _permutation(key: jax.Array, batch: int) -> jax.Array:
    return jax.random.permutation(key, jnp.arange(batch, dtype="int32"))


class MixUp(_BatchMixing):
    """Blends each image with another image of the batch in training; the identity at
    inference.

    Image ``i`` becomes ``w_i * x_i + (1 - w_i) * x_p(i)`` with ``w_i`` drawn from
    ``Beta(alpha, alpha)`` and ``p`` a random permutation of the batch; with a dict
    input, ``labels`` (one-hot, ``(batch, classes)``) are blended with the same
    weights.

    Args:
        alpha: The Beta distribution's parameter (default 0.2): small values keep
            images close to themselves, larger ones blend more evenly.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        ``(batch, height, width, channels)`` or one image, or a dict of such images
        under ``"images"`` and ``(batch, classes)`` labels under ``"labels"``.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        alpha: float = 0.2,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(alpha, int | float) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(
                f"Received an invalid value for `alpha` in MixUp: expected a positive "
                f"number, received alpha={alpha!r}."
            )
        self.alpha = alpha
        self.seed = seed

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        k_order, k_weight = jax.random.split(key)
        batch = x.shape[0]
        weight = jax.random.beta(k_weight, self.alpha, self.alpha, (batch,), x.dtype)
        return {"mix_weight": weight, "permutation_order": _permutation(k_order, batch)}

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        weight = jnp.reshape(jnp.asarray(transformation["mix_weight"], x.dtype), (-1, 1, 1, 1))
        partner = jnp.take(x, jnp.asarray(transformation["permutation_order"]), axis=0)
        return weight * x + (1.0 - weight) * partner

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


def channels_last_mask(mask: Any, data_format: str) -> jax.Array:
    """A per-pixel array given in the layer's layout, as a channels-last batch."""
    mask = jnp.asarray(mask)
    if mask.ndim == 3:
        mask = mask[None]
    return jnp.moveaxis(mask, 1, -1) if data_format == "channels_first" else mask


def box_mask(
    x0: jax.Array, x1: jax.Array, y0: jax.Array, y1: jax.Array, shape: tuple[int, ...]
) -> jax.Array:
    """``(batch, height, width, channels)``: True inside each image's box
    ``x0 <= x < x1``, ``y0 <= y < y1`` (pixel indices)."""
    _, height, width, channels = shape
    ys = jnp.arange(height, dtype=x0.dtype)[None, :, None, None]
    xs = jnp.arange(width, dtype=x0.dtype)[None, None, :, None]
    inside = (
        (xs >= x0[:, None, None, None])
        & (xs < x1[:, None, None, None])
        & (ys >= y0[:, None, None, None])
        & (ys < y1[:, None, None, None])
    )
    return jnp.broadcast_to(inside, shape)


def random_span(key: jax.Array, length: int, ratio: jax.Array) -> tuple[jax.Array, jax.Array]:
    """A span of ``ratio * length`` pixels at a uniform place within ``length``."""
    size = ratio * length
    start = jax.random.uniform(key, ratio.shape, ratio.dtype) * (length - size)
    return start, start + size


def in_layout(mask: jax.Array, data_format: str) -> jax.Array:
    """A channels-last per-pixel batch in the layer's layout (Keras's transformations
    hold masks that way)."""
    return jnp.moveaxis(mask, -1, 1) if data_format == "channels_first" else mask


class CutMix(_BatchMixing):
    """Pastes a random box of another image of the batch into each image in training;
    the identity at inference.

    Per batch, ``alpha`` is drawn in ``factor`` (plus ``1e-6``); per image, a weight
    ``w`` is drawn from ``Beta(alpha, alpha)`` and a box of sides ``sqrt(1 - w)``
    times the image's is placed uniformly; the box's pixels come from image ``p(i)``
    (``p`` a random permutation). With a dict input, ``labels`` (one-hot) are blended
    by the box's share of the image. Single (unbatched) images are returned unchanged.

    Args:
        factor: A number ``f`` in ``[0, 1]`` draws ``alpha`` in ``[0, f]``; a pair
            ``(a, b)`` in ``[a, b]`` (default 1.0).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image, or a dict of such images
        under ``"images"`` and ``(batch, classes)`` labels under ``"labels"``.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        factor: float | Sequence[float] = 1.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.factor = signed_factor("CutMix", "factor", factor, (0.0, 1.0))
        self.seed = seed

    def get_random_transformation(
        self, images: Any, training: bool = True, seed: jax.Array | None = None
    ) -> dict[str, jax.Array] | None:
        data = self._unpack(images)[0] if isinstance(images, dict) else images
        if jnp.ndim(data) == 3:
            return None  # a single image has no partner (Keras returns it unchanged)
        return super().get_random_transformation(data, training, seed)

    def _draw(self, key: jax.Array, x: jax.Array) -> dict[str, jax.Array]:
        batch, height, width, _ = x.shape
        k_alpha, k_weight, k_x, k_y, k_order = jax.random.split(key, 5)
        low, high = self.factor
        alpha = jax.random.uniform(k_alpha, (), x.dtype, low, high) + 1e-6
        weight = jax.random.beta(k_weight, alpha, alpha, (batch,), x.dtype)
        ratio = jnp.sqrt(1.0 - weight)
        x0, x1 = random_span(k_x, width, ratio)
        y0, y1 = random_span(k_y, height, ratio)
        mask = box_mask(x0, x1, y0, y1, x.shape)
        share = ((x1 - x0) * (y1 - y0) / (width * height))[:, None, None, None]
        return {
            "permutation_order": _permutation(k_order, batch),
            "batch_masks": in_layout(mask, self.data_format),
            "mix_weight": 1.0 - share,
        }

    def transform_images(
        self, images: Any, transformation: dict[str, jax.Array] | None, training: bool = True
    ) -> jax.Array:
        images = self._cast(images)
        if images.ndim == 3:
            return images
        return super().transform_images(images, transformation, training)

    def _transform(self, x: jax.Array, transformation: Any) -> jax.Array:
        mask = channels_last_mask(transformation["batch_masks"], self.data_format)
        partner = jnp.take(x, jnp.asarray(transformation["permutation_order"]), axis=0)
        return jnp.where(mask, partner, x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
