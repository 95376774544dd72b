"""Automatic augmentation policies built from the other image layers: RandAugment and
AugMix.

Both pick, per batch, which augmentations to apply. The pick is a traced integer, and
the chosen layer runs through ``jax.lax.switch``, so one compiled step serves every
choice, each step picks anew, and only the chosen augmentation is computed. (Keras's
AugMix picks with Python's ``random`` when the transformation is drawn.)

Equalization, one of the augmentations, equalizes each image on its own; Keras 3.15
pools a batch's histogram (see ``Equalization``), so the two differ on batches when it
is picked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import random as _random
from kerax.layers.preprocessing._image_base import (
    ImageLayer,
    check_choice,
    signed_factor,
    value_range_of,
)
from kerax.layers.preprocessing.image_color import (
    AutoContrast,
    RandomBrightness,
    RandomContrast,
    Solarization,
)
from kerax.layers.preprocessing.image_color_random import (
    RandomColorDegeneration,
    RandomPosterization,
)
from kerax.layers.preprocessing.image_filter import RandomSharpness
from kerax.layers.preprocessing.image_geometric import RandomRotation, RandomTranslation
from kerax.layers.preprocessing.image_histogram import Equalization
from kerax.layers.preprocessing.image_warp import RandomShear

_GEOMETRIC = ("random_shear", "random_translation", "random_rotation")
_TONAL = ("random_posterization", "solarization", "auto_contrast", "equalization")
_COLOUR = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")
_INTERPOLATIONS = ("nearest", "bilinear")
#: RandAugment's list, in Keras's order (its indices are part of a transformation).
_RAND_AUGMENT_ORDER = (*_GEOMETRIC, *_COLOUR, "random_posterization", "solarization")
_RAND_AUGMENT_ORDER += ("auto_contrast", "equalization")


class _Policy(ImageLayer):
    """Holds the augmentation layers of a policy, with Keras's attribute names."""

    random = True

    def _make_layers(self, names: Sequence[str], **common: Any) -> None:
        factor, value_range = self.factor, self.value_range
        interpolation, fmt = self.interpolation, self.data_format
        colour = {"value_range": value_range, "data_format": fmt, **common}
        makers = {
            "random_shear": lambda: RandomShear(
                factor, factor, interpolation=interpolation, data_format=fmt, **common
            ),
            "random_translation": lambda: RandomTranslation(
                factor, factor, interpolation=interpolation, data_format=fmt, **common
            ),
            "random_rotation": lambda: RandomRotation(
                factor, interpolation=interpolation, data_format=fmt, **common
            ),
            "random_brightness": lambda: RandomBrightness(factor, **colour),
            "random_color_degeneration": lambda: RandomColorDegeneration(factor, **colour),
            "random_contrast": lambda: RandomContrast(factor, **colour),
            "random_sharpness": lambda: RandomSharpness(factor, **colour),
            "solarization": lambda: Solarization(factor, factor, **colour),
            "random_posterization": lambda: RandomPosterization(
                max(1, int(8 * factor[1])), **colour
            ),
            "auto_contrast": lambda: AutoContrast(**colour),
            "equalization": lambda: Equalization(**colour),
        }
        self._augment_layers = tuple(names)
        for name in names:
            setattr(self, name, makers[name]())

    def _check(self, factor: Any, value_range: Any, interpolation: str) -> None:
        name = type(self).__name__
        self.factor = signed_factor(name, "factor", factor, (0.0, 1.0))
        value_range_of(name, value_range)
        self.value_range = value_range
        self.interpolation = check_choice(name, "interpolation", interpolation, _INTERPOLATIONS)

    def _apply_one(self, name: str, images: jax.Array, transformation: Any) -> jax.Array:
        layer = getattr(self, name)
        return layer.transform_images(images, transformation).astype(self.compute_dtype)

    def _draw_one(self, name: str, images: jax.Array, key: jax.Array) -> Any:
        layer = getattr(self, name)
        return layer.get_random_transformation(images, training=True, seed=key)


def _count(layer: str, name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(
            f"Received an invalid value for `{name}` in {layer}: expected an integer of at "
            f"least {minimum}, received {name}={value!r}."
        )
    return value


class RandAugment(_Policy):
    """Applies ``num_ops`` augmentations chosen at random from a fixed list, with
    strength ``factor``, in training; the identity at inference.

    The list, in order: shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization.
    Each step draws ``num_ops`` indices into it (one choice for the whole batch; an
    augmentation may be picked twice) and one transformation per augmentation, then
    applies the chosen augmentations in turn.

    Args:
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        num_ops: How many augmentations to apply (default 2).
        factor: The augmentations' strength: a number ``f`` in ``[0, 1]`` gives each
            augmentation the factor ``(0, f)``; a pair is used as it is (default 0.5).
            Posterization keeps ``max(1, int(8 * high))`` bits at most.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``, for the geometric
            augmentations.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        num_ops: int = 2,
        factor: float | Sequence[float] = 0.5,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._check(factor, value_range, interpolation)
        self.num_ops = _count("RandAugment", "num_ops", num_ops, 0)
        self.seed = seed
        self._make_layers(_RAND_AUGMENT_ORDER, dtype=self.dtype_policy)

    def get_random_transformation(
        self, images: Any, training: bool = True, seed: jax.Array | None = None
    ) -> dict[str, Any] | None:
        """The augmentations' indices (``layer_idxes``) and one transformation per
        augmentation (``transforms``, by Keras's attribute names)."""
        if not training:
            return None
        images = self._cast(images)
        key = _random.next_key() if seed is None else seed
        keys = jax.random.split(key, len(self._augment_layers) + 1)
        indices = jax.random.randint(keys[0], (self.num_ops,), 0, len(self._augment_layers))
        transforms = {
            name: self._draw_one(name, images, k)
            for name, k in zip(self._augment_layers, keys[1:], strict=True)
        }
        return {"transforms": transforms, "layer_idxes": indices}

    def transform_images(
        self, images: Any, transformation: dict[str, Any] | None, training: bool = True
    ) -> jax.Array:
        images = self._cast(images)
        if not training or transformation is None:
            return images
        transforms = transformation["transforms"]
        branches = [
            (lambda x, name=name: self._apply_one(name, x, transforms[name]))
            for name in self._augment_layers
        ]

        def step(x: jax.Array, index: jax.Array) -> tuple[jax.Array, None]:
            return jax.lax.switch(index, branches, x), None

        indices = jnp.asarray(transformation["layer_idxes"]).astype("int32")
        return jax.lax.scan(step, images, indices[: self.num_ops])[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_ops": self.num_ops,
            "factor": self.factor,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }


class AugMix(_Policy):
    """AugMix in training: ``num_chains`` chains of up to ``chain_depth`` random
    augmentations, blended, then blended with the input; the identity at inference.

    For each slot of each chain one augmentation is picked at random from the list (or
    none, with the same chance as any one of them), one pick per batch. The chains'
    outputs are summed with weights from a Dirichlet(``alpha``) draw, and the result
    is ``w * x + (1 - w) * chains`` with ``w`` from Beta(``alpha``, ``alpha``), clipped
    to ``value_range``.

    Args:
        value_range: The ``(low, high)`` range of the pixel values (default
            ``(0, 255)``).
        num_chains: The number of chains (default 3).
        chain_depth: The most augmentations per chain (default 3).
        factor: The augmentations' strength: a number ``f`` in ``[0, 1]`` gives each
            augmentation the factor ``(0, f)``; a pair is used as it is (default 0.3).
        alpha: The Dirichlet and Beta parameter (default 1.0).
        all_ops: With True (default), brightness, colour degeneration, contrast and
            sharpness join shear, translation, rotation, posterization, solarization,
            auto-contrast and equalization.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``, for the geometric
            augmentations.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Input shape:
        ``(batch, height, width, channels)`` or one image.

    Output shape:
        Same as the input.
    """

    def __init__(
        self,
        value_range: Sequence[float] = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: float | Sequence[float] = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._check(factor, value_range, interpolation)
        self.num_chains = _count("AugMix", "num_chains", num_chains, 1)
        self.chain_depth = _count("AugMix", "chain_depth", chain_depth, 0)
        if not isinstance(alpha, int | float) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(
                "Received an invalid value for `alpha` in AugMix: expected a positive "
                f"number, received alpha={alpha!r}."
            )
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self.seed = seed
        names = (*_GEOMETRIC, *_TONAL, *(_COLOUR if self.all_ops else ()))
        self._make_layers(names, dtype=self.dtype_policy)

    def get_random_transformation(
        self, images: Any, training: bool = True, seed: jax.Array | None = None
    ) -> dict[str, Any] | None:
        """The chain weights (``chain_mixing_weights``), the blend weight
        (``weight_sample``), the augmentation picked for each slot (``layer_idxes``,
        ``(num_chains, chain_depth)``, the list's length meaning none) and a key per slot
        for its transformation (``slot_keys``).

        A transformation may instead hold Keras's ``chain_transforms`` (per chain, a
        list of ``{"layer_name", "transformation"}``), which ``transform_images``
        applies as given.
        """
        if not training:
            return None
        self._cast(images)
        key = _random.next_key() if seed is None else seed
        k_chains, k_blend, k_pick, k_slots = jax.random.split(key, 4)
        gamma = jax.random.gamma(k_chains, self.alpha, (self.num_chains,))
        slots = (self.num_chains, self.chain_depth)
        return {
            "chain_mixing_weights": gamma / jnp.sum(gamma),
            "weight_sample": jax.random.beta(k_blend, self.alpha, self.alpha),
            "layer_idxes": jax.random.randint(k_pick, slots, 0, len(self._augment_layers) + 1),
            "slot_keys": jax.random.split(k_slots, slots),
        }

    def transform_images(
        self, images: Any, transformation: dict[str, Any] | None, training: bool = True
    ) -> jax.Array:
        images = self._cast(images)
        if not training or transformation is None:
            return images
        dtype = self.compute_dtype
        chain_weights = jnp.asarray(transformation["chain_mixing_weights"], dtype)
        blend = jnp.asarray(transformation["weight_sample"], dtype)
        if "chain_transforms" in transformation:  # Keras's form: the picks are given
            mixed = jnp.zeros_like(images)
            for c, chain in enumerate(transformation["chain_transforms"]):
                x = images
                for step in chain:
                    x = self._apply_one(step["layer_name"], x, step["transformation"])
                mixed = mixed + x * chain_weights[c]
        else:
            mixed = self._chains(images, transformation, chain_weights)
        out = blend * images + (1 - blend) * mixed
        return jnp.clip(out, self.value_range[0], self.value_range[1]).astype(dtype)

    def _chains(
        self, images: jax.Array, transformation: dict[str, Any], weights: jax.Array
    ) -> jax.Array:
        """The weighted sum of the chains, each slot a ``switch`` over the list (traced
        once, inside scans over the chains and their slots)."""

        def branch(name: str) -> Any:
            def run(x: jax.Array, key: jax.Array) -> jax.Array:
                return self._apply_one(name, x, self._draw_one(name, images, key))

            return run

        branches = [branch(name) for name in self._augment_layers]
        branches.append(lambda x, key: x)  # the "no augmentation" pick

        def slot(x: jax.Array, pick_key: Any) -> tuple[jax.Array, None]:
            pick, key = pick_key
            return jax.lax.switch(pick, branches, x, key), None

        def chain(mixed: jax.Array, chain_slots: Any) -> tuple[jax.Array, None]:
            picks, keys, weight = chain_slots
            x = jax.lax.scan(slot, images, (picks, keys))[0]
            return mixed + x * weight, None

        picks = jnp.asarray(transformation["layer_idxes"]).astype("int32")
        slots = (picks, transformation["slot_keys"], weights)
        return jax.lax.scan(chain, jnp.zeros_like(images), slots)[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
            "seed": self.seed,
        }
