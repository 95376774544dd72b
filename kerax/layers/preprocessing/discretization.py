"""Discretization: bucketing continuous values by boundaries, given or adapted.

``adapt`` estimates quantiles with Keras's weighted summary, so an adapted kerax layer
gets Keras's boundaries: each batch is sorted and thinned to about ``1 / epsilon``
points (each weighted by the number of values it stands for), merged with the summary
so far, and compressed back to ``1 / epsilon`` points by interpolating the cumulative
weights; the boundaries are the summary compressed to ``num_bins`` points, the last
dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing._adapt import batches
from kerax.layers.preprocessing.category_encoding import OUTPUT_MODES, encode


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A ``(2, k)`` summary: sorted sample points and the count each stands for."""
    ordered = np.sort(np.reshape(values, -1))
    step = max(ordered.size * epsilon, 1)
    points = ordered[int(step - 1) :: int(step)]
    return np.stack([points, np.full_like(points, step)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """``summary`` resampled at cumulative-weight fractions ``epsilon, 2 epsilon, ...``."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    points = np.interp(fractions, at, summary[0])
    weights = np.diff(np.interp(fractions, at, cumulative), prepend=0.0)
    return np.stack((points, weights)).astype("float32")


def _merge(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((first, second), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


class Discretization(Layer):
    """Buckets continuous values: output ``i`` for ``b[i-1] <= x < b[i]`` with the
    boundaries ``b`` (so ``len(b) + 1`` buckets), optionally encoded.

    Args:
        bin_boundaries: The sorted boundaries; or None with ``num_bins`` and ``adapt``.
        num_bins: The number of buckets ``adapt`` computes boundaries for.
        epsilon: The error tolerance of ``adapt``'s quantile estimate (default 0.01).
        output_mode: ``"int"`` (default: bucket indices, int32), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"`` (floats, see ``CategoryEncoding``).
        sparse: Only ``False``: kerax produces dense arrays.

    The boundaries are configuration, not weights (as in Keras): an adapted layer's
    ``get_config()`` holds them, so ``.keras`` files keep them. Adapt the layer before
    calling it, inside a model too.

    Input shape:
        Any (``multi_hot`` / ``count``: rank 1 or 2).

    Output shape:
        ``int``: the input's; ``one_hot``: a bucket axis appended (a trailing 1
        replaced); ``multi_hot`` / ``count``: ``(batch, buckets)``.
    """

    autocast = False

    def __init__(
        self,
        bin_boundaries: Sequence[float] | None = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(
                "Discretization(sparse=True) is not supported by kerax: the JAX backend "
                "computes dense arrays. Pass sparse=False."
            )
        if output_mode not in ("int", *OUTPUT_MODES):
            raise ValueError(
                "Received an invalid value for `output_mode` in Discretization: expected "
                f"one of {('int', *OUTPUT_MODES)}, received output_mode={output_mode!r}."
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: `num_bins` must be >= 0, received {num_bins}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization takes `num_bins` or `bin_boundaries`, not both; received "
                f"num_bins={num_bins} and bin_boundaries={bin_boundaries!r}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization needs `num_bins` (then adapt()) or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins, self.epsilon = num_bins, epsilon
        self.output_mode, self.sparse = output_mode, False
        self._summary = np.zeros((2, 0), "float32")

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Computes ``num_bins`` quantile boundaries of ``data``.

        Args:
            data: A NumPy or JAX array, or an iterable of batches.
            steps: With an iterable, the number of batches to read (default all).
        """
        if self.num_bins is None:
            raise ValueError(
                f"Layer '{self.name}' (Discretization) was given `bin_boundaries`; create it "
                "with `num_bins` to adapt it."
            )
        summary = np.zeros((2, 0), "float32")
        for i, batch in enumerate(batches("Discretization", data)):
            if steps is not None and i >= steps:
                break
            batch_summary = _summarize(batch.astype("float32"), self.epsilon)
            summary = _merge(batch_summary, summary, self.epsilon)
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def apply(self, ctx: Any, inputs: Any) -> jax.Array:
        if self.bin_boundaries is None:
            raise ValueError(
                f"Layer '{self.name}' (Discretization) has no boundaries yet: call "
                "adapt(data) before calling it (or pass `bin_boundaries`)."
            )
        x = jnp.asarray(inputs).astype(self.compute_dtype)  # Keras reads floats
        indices = jnp.digitize(x, jnp.asarray(self.bin_boundaries, x.dtype)).astype("int32")
        dtype = "int32" if self.output_mode == "int" else self.compute_dtype
        return encode(
            indices, self.output_mode, len(self.bin_boundaries) + 1, dtype, None, self.name
        )

    def get_config(self) -> dict[str, Any]:
        # Keras's keys exactly.
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype_policy.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:
            return super().from_config({**config, "bin_boundaries": boundaries})
        layer = super().from_config(config)
        layer.bin_boundaries = None if boundaries is None else list(boundaries)
        return layer  # type: ignore[return-value]
