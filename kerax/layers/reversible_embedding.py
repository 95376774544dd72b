"""ReversibleEmbedding: an embedding that can also project vectors back to logits."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An :class:`Embedding` that, called with ``reverse=True``, maps vectors of size
    ``output_dim`` back to ``input_dim`` logits.

    The reverse projection is ``inputs @ embeddings.T`` with tied weights (the default),
    or ``inputs @ reverse_embeddings`` with a separate trainable
    ``(output_dim, input_dim)`` matrix when ``tie_weights=False``; this is the usual
    output head of a language model that shares its token embedding.

    Args:
        input_dim: Vocabulary size (largest id + 1); a positive integer.
        output_dim: Size of each vector; a positive integer.
        tie_weights: Whether the reverse projection uses the transposed table
            (default ``True``) or a weight of its own, ``reverse_embeddings``.
        embeddings_initializer: Initializer of the table (and of
            ``reverse_embeddings``); default ``"uniform"``.
        embeddings_regularizer: Optional penalty on the table.
        embeddings_constraint: Optional projection of the table after updates.
        mask_zero: Whether id 0 is padding, to be masked (forward calls only).
        reverse_dtype: Dtype the reverse projection computes in (its inputs and
            matrix are cast to it), e.g. ``"float32"`` under mixed precision; ``None``
            computes in the layer's compute dtype.
        logit_soft_cap: If set, reverse logits become
            ``tanh(logits / logit_soft_cap) * logit_soft_cap``.
        **kwargs: :class:`Embedding`'s other arguments and the base layer arguments.

    Call arguments:
        inputs: Integer ids (forward), or vectors ``(..., output_dim)`` with
            ``reverse=True``.
        reverse: Whether to project vectors back to logits (default ``False``).

    Input shape:
        Forward: ids ``(batch_size, ...)``. Reverse: ``(batch_size, ..., output_dim)``.

    Output shape:
        Forward: ``(batch_size, ..., output_dim)``. Reverse:
        ``(batch_size, ..., input_dim)``.

    Weights:
        ``embeddings`` ``(input_dim, output_dim)``, then ``reverse_embeddings``
        ``(output_dim, input_dim)`` when ``tie_weights=False``.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap
        # Whether the call being traced is a reverse one: read by compute_mask, which
        # runs right after that call and must not turn vectors into a padding mask.
        self._tracing_reverse = False
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
            )

    def apply(self, ctx: Any, inputs: jax.Array, reverse: bool = False) -> jax.Array:
        if not isinstance(reverse, bool):
            raise TypeError(
                f"Layer '{self.name}' (ReversibleEmbedding): `reverse` must be a Python "
                f"bool, received {reverse!r}."
            )
        self._tracing_reverse = reverse
        if not reverse:
            return super().apply(ctx, inputs)
        x = jnp.asarray(inputs)
        if x.shape[-1] != self.output_dim:
            raise ValueError(
                f"Layer '{self.name}' (ReversibleEmbedding): a reverse call expects vectors "
                f"of size output_dim={self.output_dim} on the last axis, received shape "
                f"{tuple(x.shape)}."
            )
        if self.tie_weights:
            kernel = self._lora_weight(ctx).T
        else:
            kernel = ctx.params["reverse_embeddings"]
        dtype = self.reverse_dtype or self.compute_dtype
        logits = jnp.matmul(x.astype(dtype), kernel.astype(dtype))
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = jnp.tanh(logits / cap) * cap
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if self._tracing_reverse:
            return None
        return super().compute_mask(inputs, mask)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
