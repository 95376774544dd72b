"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise,
GaussianDropout, AlphaDropout and ActivityRegularization.

The random layers draw from ``ctx.rng()`` and act only in training mode; at inference
they return their input unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import regularizers as _regularizers
from kerax.layers._args import check_rate, normalize_data_format
from kerax.layers._base import InputSpec, Layer


class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 in training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Randomness comes from the apply's RNG key, folded with this call's path in the
    graph, so each call of a shared Dropout draws its own mask.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: Shape of the binary mask, broadcast against the input (``None``
            entries take the input's size).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`: expected a float in [0, 1], "
                f"received rate={rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        if not ctx.training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        keep = jax.random.bernoulli(ctx.rng(), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), 0).astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (sample, channel)."""

    _rank: int = 3

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(type(self).__name__, data_format)
        self.input_spec = InputSpec(ndim=self._rank)

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        if not ctx.training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        channel = 1 if self.data_format == "channels_first" else inputs.ndim - 1
        shape = tuple(d if i in (0, channel) else 1 for i, d in enumerate(inputs.shape))
        keep = jax.random.bernoulli(ctx.rng(), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), 0).astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        # Keras's keys exactly (its spatial dropouts take no other arguments).
        return {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": self.dtype_policy.name,
            "data_format": self.data_format,
        }


class SpatialDropout1D(_SpatialDropout):
    """Drops entire 1D feature maps (channels) in training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Where neighbouring timesteps are strongly correlated, element-wise dropout barely
    regularizes; dropping whole channels does.

    Args:
        rate: Fraction of the channels to drop, in ``[0, 1]``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.
        **kwargs: Base layer arguments, and ``data_format="channels_first"`` for
            ``(batch, channels, steps)`` inputs (a kerax extension).

    Input shape:
        3D tensor ``(batch_size, timesteps, channels)``.

    Output shape:
        Same as the input.
    """

    _rank = 3

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        # Keras's 1D layer has no `data_format` (channels last); kerax also accepts
        # `data_format="channels_first"` as a keyword, kept in the config only then.
        super().__init__(rate, seed=seed, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.data_format == "channels_last":
            config.pop("data_format")
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2D feature maps (channels) in training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Args:
        rate: Fraction of the channels to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` (default, ``(batch, rows, cols, channels)``)
            or ``"channels_first"`` (``(batch, channels, rows, cols)``).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        4D tensor, in the layout given by ``data_format``.

    Output shape:
        Same as the input.
    """

    _rank = 4


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3D feature maps (channels) in training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference.

    Args:
        rate: Fraction of the channels to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` (default, ``(batch, d1, d2, d3, channels)``)
            or ``"channels_first"`` (``(batch, channels, d1, d2, d3)``).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        5D tensor, in the layout given by ``data_format``.

    Output shape:
        Same as the input.
    """

    _rank = 5


class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` in training;
    the identity at inference.

    Args:
        stddev: Standard deviation of the noise, in ``[0, 1]`` (as in Keras).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = check_rate("GaussianNoise", "stddev", stddev)
        self.seed = seed

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        if not ctx.training or self.stddev == 0:
            return inputs
        noise = jax.random.normal(ctx.rng(), inputs.shape, inputs.dtype)
        return inputs + (self.stddev * noise).astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training; the identity at inference.

    Args:
        rate: The equivalent drop probability, in ``[0, 1)``.
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate("GaussianDropout", "rate", rate, upper_open=True)
        self.seed = seed

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        if not ctx.training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = 1.0 + stddev * jax.random.normal(ctx.rng(), inputs.shape, inputs.dtype)
        return inputs * noise.astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


#: SELU's constants (Klambauer et al., 2017); AlphaDropout keeps SELU's fixed point.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout for self-normalizing (SELU) networks: dropped inputs are set to SELU's
    negative saturation value, then an affine map restores the mean and variance the
    inputs had; the identity at inference.

    With ``a' = -alpha * scale`` (SELU's constants), in training
    ``y = a * (x * keep + a' * (1 - keep)) + b`` where
    ``a = ((1 - rate) * (1 + rate * a'**2)) ** -0.5`` and ``b = -a * a' * rate``.

    Args:
        rate: Fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: Shape of the binary keep mask, broadcast against the input
            (``None`` entries take the input's size).
        seed: Accepted for Keras compatibility; randomness comes from the apply's key.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate("AlphaDropout", "rate", rate, upper_open=True)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        if not ctx.training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        keep = (jax.random.uniform(ctx.rng(), shape) >= self.rate).astype(inputs.dtype)
        saturation = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        x = inputs * keep + saturation * (1 - keep)
        return (a * x + b).astype(inputs.dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


class ActivityRegularization(Layer):
    """Returns its input unchanged and adds ``l1 * sum(|x|) + l2 * sum(x**2)``, divided
    by the batch size, to the training loss.

    Args:
        l1: Factor of the L1 penalty, non-negative (default 0).
        l2: Factor of the L2 penalty, non-negative (default 0).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for arg, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(
                    f"Received an invalid value for `{arg}` in ActivityRegularization: "
                    f"expected a non-negative number, received {arg}={value!r}."
                )
        self.l1, self.l2 = l1, l2
        # The lowering adds activity penalties, per example as Keras 3 does (and
        # leaving out the padding rows of a padded batch).
        self.activity_regularizer = _regularizers.L1L2(l1=l1, l2=l2) if l1 or l2 else None

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
