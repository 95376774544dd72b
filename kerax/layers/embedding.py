"""Embedding: a lookup table from integer ids to dense vectors."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._args import check_positive, serialize_regularizer
from kerax.layers._base import Layer
from kerax.layers._lora import LoraMixin, lora_property


class Embedding(LoraMixin, Layer):
    """Maps integer ids in ``[0, input_dim)`` to rows of a trainable table.

    ``outputs[..., :] = embeddings[inputs[...]]``. Floating ids are cast to
    ``int32`` first. With ``mask_zero=True`` id 0 is reserved for padding: the layer
    emits the mask ``inputs != 0``, which downstream mask-aware layers (RNNs, pooling,
    attention) use to skip padded positions; ``input_dim`` must then count id 0.

    Args:
        input_dim: Vocabulary size (largest id + 1); a positive integer.
        output_dim: Size of each vector; a positive integer.
        embeddings_initializer: Initializer of the table (default ``"uniform"``, i.e.
            uniform in ``[-0.05, 0.05)``).
        embeddings_regularizer: Optional penalty on the table.
        embeddings_constraint: Optional projection of the table after updates.
        mask_zero: Whether id 0 is padding, to be masked (default ``False``).
        weights: Optional initial value of the table, an array of shape
            ``(input_dim, output_dim)`` (or a one-element list of it).
        input_length: Deprecated and ignored (a ``DeprecationWarning`` is issued); the
            sequence length comes from the input.
        lora_rank: If set, the layer is built with LoRA enabled at this rank (see
            :meth:`enable_lora`): the table is frozen and a trainable low-rank update
            ``(lora_alpha / lora_rank) * lora_embeddings_a @ lora_embeddings_b`` is
            added to it.
        lora_alpha: Numerator of the LoRA scale; defaults to ``lora_rank``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Input shape:
        Integer ids of any shape ``(batch_size, ...)``, typically ``(batch_size,
        sequence_length)``.

    Output shape:
        ``(batch_size, ..., output_dim)``.

    Weights:
        ``embeddings`` of shape ``(input_dim, output_dim)``; with LoRA, also
        ``lora_embeddings_a`` ``(input_dim, rank)`` and ``lora_embeddings_b``
        ``(rank, output_dim)``, and ``embeddings`` is non-trainable.
    """

    _lora_target = "embeddings"
    embeddings = lora_property("embeddings")

    #: Integer ids must not be cast to the compute dtype.
    autocast = False

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        input_length: int | None = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ) -> None:
        check_positive("Embedding", "input_dim", input_dim)
        check_positive("Embedding", "output_dim", output_dim)
        if input_length is not None:
            warnings.warn(
                "Embedding: the `input_length` argument is deprecated and ignored; the "
                "sequence length is taken from the input. Remove the argument.",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = _initializers.get(embeddings_initializer)
        self.embeddings_regularizer = _regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        #: Read by the graph runner: the layer makes its own mask from its input.
        self.creates_mask = self.mask_zero
        if weights is not None:
            self._build_guarded(None)
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            "embeddings",
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self._build_lora()

    def apply(self, ctx: Any, inputs: jax.Array) -> jax.Array:
        ids = jnp.asarray(inputs)
        if ids.dtype not in (jnp.int32, jnp.int64):
            ids = ids.astype(jnp.int32)
        table = self._lora_weight(ctx)
        return jnp.take(table, ids, axis=0).astype(self.compute_dtype)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": _initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": serialize_regularizer(self.embeddings_regularizer),
            "activity_regularizer": serialize_regularizer(self.activity_regularizer),
            "embeddings_constraint": self.embeddings_constraint,
            "mask_zero": self.mask_zero,
            **self._lora_config(),
        }
