"""CategoryEncoding, and the one-hot / multi-hot / count encoding shared with
Discretization."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import Layer

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def encode(
    indices: jax.Array,
    output_mode: str,
    depth: int,
    dtype: Any,
    count_weights: jax.Array | None = None,
    layer: str = "",
) -> jax.Array:
    """Encodes integer ``indices`` in ``[0, depth)`` (others encode as zeros).

    * ``"int"``: the indices, cast to ``dtype``;
    * ``"one_hot"``: a ``depth`` axis appended (a trailing axis of size 1 is replaced);
    * ``"multi_hot"`` / ``"count"``: whether / how often each index occurs in each
      sample (along axis 1 of a batch, or the only axis of a vector), so
      ``(batch, n) -> (batch, depth)`` and ``(n,) -> (depth,)``; ``count_weights``
      (same shape as ``indices``) weights each occurrence.
    """
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return jax.nn.one_hot(indices, depth, dtype=dtype)
    if indices.ndim > 2:
        raise ValueError(
            f"{layer}: output_mode={output_mode!r} takes inputs of rank 1 or 2 (one sample "
            f"of values per row), received rank {indices.ndim}, shape {tuple(indices.shape)}."
        )
    hot = jax.nn.one_hot(indices, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return jnp.max(hot, axis=0 if indices.ndim == 1 else 1)
    if count_weights is not None:
        hot = hot.astype(count_weights.dtype) * count_weights[..., None]
    return jnp.sum(hot, axis=0 if indices.ndim == 1 else 1)


class CategoryEncoding(Layer):
    """Encodes integer features in ``[0, num_tokens)`` as dense one-hot, multi-hot or
    count vectors.

    Args:
        num_tokens: The number of categories; larger or negative inputs encode as
            zeros.
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is an alias),
            ``"one_hot"`` or ``"count"``.
        sparse: Only ``False``: kerax produces dense arrays.

    Call arguments:
        inputs: Integers, rank 1 or 2 (``one_hot``: any rank).
        count_weights: With ``output_mode="count"``: a weight per input value, summed
            instead of counting 1.

    Input shape:
        ``(batch,)`` or ``(batch, n)`` (``one_hot``: any shape).

    Output shape:
        ``one_hot``: ``(..., num_tokens)`` appended (a trailing 1 replaced);
        ``multi_hot`` / ``count``: ``(batch, num_tokens)``.
    """

    autocast = False

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                "Received an invalid value for `output_mode` in CategoryEncoding: expected "
                f"one of {OUTPUT_MODES}, received output_mode={output_mode!r}."
            )
        if num_tokens is None or isinstance(num_tokens, bool) or not isinstance(num_tokens, int):
            raise ValueError(
                "CategoryEncoding needs `num_tokens`, a positive integer, received "
                f"num_tokens={num_tokens!r}. Use IntegerLookup when the number of "
                "categories is not known in advance."
            )
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1, received {num_tokens}.")
        if sparse:
            raise ValueError(
                "CategoryEncoding(sparse=True) is not supported by kerax: the JAX backend "
                "computes dense arrays. Pass sparse=False."
            )
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, False

    def apply(self, ctx: Any, inputs: Any, count_weights: Any = None) -> jax.Array:
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"Layer '{self.name}' (CategoryEncoding): `count_weights` is only used "
                    f"with output_mode='count', not {self.output_mode!r}."
                )
            count_weights = jnp.asarray(count_weights).astype(self.compute_dtype)
        indices = jnp.asarray(inputs)
        if not jnp.issubdtype(indices.dtype, jnp.integer):
            indices = indices.astype("int32")
        return encode(
            indices, self.output_mode, self.num_tokens, self.dtype, count_weights, self.name
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }
