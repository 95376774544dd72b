"""Normalization: feature-wise standardization with statistics from ``adapt`` or given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing._adapt import batches

_EPSILON = 1e-7  # Keras's backend epsilon: the floor of the standard deviation


class Normalization(Layer):
    """Shifts and scales inputs to mean 0 and variance 1: ``(x - mean) / sqrt(var)``
    (the standard deviation floored at 1e-7), or the inverse with ``invert=True``.

    The statistics come from ``mean`` and ``variance``, or from ``adapt(data)``. An
    adapted layer keeps them as non-trainable weights ``mean``, ``variance`` (the
    shape of the kept axes) and ``count`` (an int32 scalar, left at 0 as in Keras), in
    Keras's order, so ``set_weights`` takes a Keras layer's ``get_weights()`` and saved
    files keep them. A layer given ``mean`` and ``variance`` has no weights.

    Args:
        axis: The axis or axes that keep separate statistics (default -1, the
            features); ``None`` uses one mean and variance for everything.
        mean: The mean, broadcast to the kept axes (with ``variance``).
        variance: The variance, broadcast likewise.
        invert: Whether to undo the normalization: ``x * sqrt(var) + mean``.

    Input shape:
        Any, with known sizes on the kept axes.

    Output shape:
        Same as the input (in the compute dtype).
    """

    supports_masking = True

    def __init__(
        self,
        axis: int | Sequence[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axes: tuple[int, ...] = ()
        elif isinstance(axis, int):
            axes = (axis,)
        else:
            axes = tuple(int(a) for a in axis)
        self.axis = axes
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: `mean` and `variance` must be given together, received "
                f"mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape, received "
                    f"shapes {np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(axes):
                raise ValueError(
                    f"Normalization: `mean` has rank {np.ndim(mean)}, more than the number of "
                    f"kept axes ({len(axes)}, axis={axis!r})."
                )
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self._keep: tuple[int, ...] = ()
        self._broadcast: tuple[int, ...] = ()
        self._shape: tuple[int | None, ...] | None = None
        self._constants: tuple[np.ndarray, np.ndarray] | None = None

    def build(self, input_shape: Sequence[int | None]) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"Layer '{self.name}' (Normalization): axis={self.axis} is out of range for "
                f"inputs of rank {ndim} (shape {tuple(input_shape)})."
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [d for d in keep if input_shape[d] is None]
        if unknown:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) needs known sizes on the kept axes "
                f"{keep}; received input shape {tuple(input_shape)}."
            )
        self._keep, self._shape = keep, tuple(input_shape)
        self._broadcast = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        kept_shape = tuple(int(input_shape[d]) for d in keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", kept_shape, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", kept_shape, "ones", trainable=False)
            self.count = self.add_weight(
                shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
            )
            return
        self._constants = (
            self._broadcast_given(self.input_mean, ndim),
            self._broadcast_given(self.input_variance, ndim),
        )

    def _broadcast_given(self, value: Any, ndim: int) -> np.ndarray:
        value = np.asarray(value, dtype="float64")
        if value.ndim:
            # The given entries line up with the last kept axes.
            shape = [1] * ndim
            for i in range(1, value.ndim + 1):
                shape[self._keep[-i]] = value.shape[-i]
            value = value.reshape(shape)
        try:
            return np.broadcast_to(value, self._broadcast)
        except ValueError:
            raise ValueError(
                f"Layer '{self.name}' (Normalization): `mean`/`variance` of shape "
                f"{np.shape(self.input_mean)} do not broadcast to the kept axes "
                f"{tuple(self._shape[d] for d in self._keep)}."
            ) from None

    def apply(self, ctx: Any, inputs: Any) -> jax.Array:
        dtype = self.compute_dtype
        x = jnp.asarray(inputs).astype(dtype)
        if self._constants is not None:
            mean, variance = (jnp.asarray(c, dtype) for c in self._constants)
        else:
            state = ctx.state
            mean = jnp.reshape(state["mean"], self._broadcast).astype(dtype)
            variance = jnp.reshape(state["variance"], self._broadcast).astype(dtype)
        std = jnp.maximum(jnp.sqrt(variance), _EPSILON)
        return mean + x * std if self.invert else (x - mean) / std

    def adapt(self, data: Any) -> None:
        """Computes the mean and variance of ``data`` over the reduced axes and stores
        them in the layer's weights.

        Args:
            data: A NumPy or JAX array, or an iterable of batches (a list of arrays, a
                generator, a dataset yielding ``x`` or ``(x, y)``). Each element of an
                iterable must be a batch.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was given `mean` and `variance`; "
                "adapt() would have nowhere to store new statistics. Create the layer "
                "without them to adapt it."
            )
        total_mean = total_var = None
        total = 0
        for batch in batches("Normalization", data):
            self._check_adapt_shape(batch.shape)
            reduce = tuple(d for d in range(batch.ndim) if d not in self._keep)
            batch = batch.astype("float64")
            mean, var = batch.mean(axis=reduce), batch.var(axis=reduce)
            count = int(np.prod([batch.shape[d] for d in reduce])) if reduce else 1
            if total_mean is None:
                total_mean, total_var, total = mean, var, count
                continue
            # Combine the moments of the data so far with this batch's.
            weight = count / (total + count)
            new_mean = total_mean * (1 - weight) + mean * weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - weight) + (
                var + (mean - new_mean) ** 2
            ) * weight
            total_mean, total = new_mean, total + count
        self.adapt_mean.assign(total_mean)
        self.adapt_variance.assign(total_var)

    def finalize_state(self) -> None:
        """Keras's hook after the weights change; nothing to do in kerax, which reads
        the statistics from the weights at every call."""

    def _check_adapt_shape(self, shape: tuple[int, ...]) -> None:
        if not self.built:
            self._build_guarded(tuple(shape))
            return
        if len(shape) != len(self._shape) or any(shape[d] != self._shape[d] for d in self._keep):
            raise ValueError(
                f"Layer '{self.name}' (Normalization) was built for inputs of shape "
                f"{self._shape}, but adapt() received a batch of shape {tuple(shape)}."
            )

    def get_config(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return None if v is None else np.asarray(v).tolist()

        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": plain(self.input_mean),
            "variance": plain(self.input_variance),
        }
