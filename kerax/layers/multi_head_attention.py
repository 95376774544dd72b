"""MultiHeadAttention: multi-head scaled dot-product attention, with Keras 3's
arguments, masking and weights (four ``EinsumDense`` projections)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax import initializers as _initializers
from kerax import regularizers as _regularizers
from kerax.layers._args import check_rate
from kerax.layers._attention_ops import (
    apply_dropout,
    attention_equations,
    causal_mask,
    fused_attention,
    projection_equation,
)
from kerax.layers._base import Layer
from kerax.layers.einsum_dense import EinsumDense

Shape = tuple[int | None, ...]

# Masked logits: Keras's Softmax layer uses -1e9 (-3e4 in float16) before the softmax.
_SOFTMAX_NEG = {"float16": -3e4}


def _is_shape(x: Any) -> bool:
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al., 2017).

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads by the
    ``EinsumDense`` sublayers ``query``, ``key`` and ``value``; each head computes
    ``softmax(q k^T / sqrt(key_dim)) v`` over the attention axes, and the heads are
    projected back by the ``attention_output`` sublayer. The weights are those four
    layers' kernels and biases in that order, with Keras 3's shapes, so
    ``set_weights(keras_layer.get_weights())`` carries Keras weights over.

    Masking follows Keras: the masks of ``query`` (``(B, T)``), ``value`` and ``key``
    (``(B, S)``, e.g. from ``Embedding(mask_zero=True)``), the causal mask and
    ``attention_mask`` are and-ed into one ``(B, T, S)`` mask; the output carries the
    query's mask. A query position whose whole row is masked gets the mean of the
    values on the fused path (rank-3 inputs, no dropout, no scores returned) and zeros
    otherwise, as in Keras.

    Args:
        num_heads: Number of attention heads; a positive integer.
        key_dim: Size of each head for query and key; a positive integer.
        value_dim: Size of each head for value; defaults to ``key_dim``.
        dropout: Dropout rate on the attention probabilities, in training.
        use_bias: Whether the projections have biases.
        output_shape: Shape of the output without batch and attention axes (an int or
            a tuple); defaults to the query's last dimension.
        attention_axes: Axes of the query (counting the batch as 0) to attend over;
            defaults to every axis but the batch, heads and features.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Optional penalty on the projection kernels.
        bias_regularizer: Optional penalty on the projection biases.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernels after updates.
        bias_constraint: Optional projection of the biases after updates.
        seed: Accepted for Keras compatibility (dropout draws from the layer's key).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        query: ``(B, T, dim)`` (or higher rank with ``attention_axes``). A list
            ``[query, value]`` or ``[query, value, key]`` is accepted too.
        value: ``(B, S, dim)``; defaults to ``query`` (self-attention).
        key: ``(B, S, dim)``; defaults to ``value``.
        query_mask, value_mask, key_mask: Optional boolean masks, filled in from the
            inputs' Keras masks in a functional model.
        attention_mask: Optional boolean ``(B, T, S)`` mask; ``False`` blocks attention.
        return_attention_scores: Whether to return ``(output, scores)``.
        training: Whether dropout is active.
        use_causal_mask: Whether position ``i`` only attends to positions ``<= i``.

    Input shape:
        query ``(batch_size, T, query_dim)``, value ``(batch_size, S, value_dim)``,
        key ``(batch_size, S, key_dim)``.

    Output shape:
        ``(batch_size, T, query_dim)`` (or ``output_shape`` in place of ``query_dim``);
        scores ``(batch_size, num_heads, T, S)``.
    """

    supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | Sequence[int] | None = None,
        attention_axes: int | Sequence[int] | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Received an invalid value for `{arg}` in MultiHeadAttention: expected "
                    f"a positive integer, received {arg}={value!r}."
                )
        if value_dim is not None and (
            not isinstance(value_dim, int) or isinstance(value_dim, bool) or value_dim <= 0
        ):
            raise ValueError(
                "Received an invalid value for `value_dim` in MultiHeadAttention: expected "
                f"a positive integer or None, received value_dim={value_dim!r}."
            )
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            if not isinstance(output_shape, Sequence) or not all(
                isinstance(d, int) and d > 0 for d in output_shape
            ):
                raise ValueError(
                    "Received an invalid value for `output_shape` in MultiHeadAttention: "
                    "expected a positive integer or a tuple of them, received "
                    f"output_shape={output_shape!r}."
                )
            output_shape = tuple(output_shape)
        else:
            output_shape = None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None:
            if not isinstance(attention_axes, list | tuple) or not all(
                isinstance(a, int) for a in attention_axes
            ):
                raise ValueError(
                    "Received an invalid value for `attention_axes` in MultiHeadAttention: "
                    "expected an int, a list or a tuple of ints, received "
                    f"attention_axes={attention_axes!r}."
                )
            attention_axes = tuple(attention_axes)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.dropout = check_rate("MultiHeadAttention", "dropout", dropout)
        self.use_bias = use_bias
        self.output_shape_arg = output_shape
        self.attention_axes = attention_axes
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizers.get(kernel_regularizer)
        self.bias_regularizer = _regularizers.get(bias_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.seed = seed
        self._attn_axes: tuple[int, ...] = ()
        self._equations: tuple[str, str] = ("", "")
        self._norm_axes: tuple[int, ...] = ()

    # ------------------------------------------------------------------ building
    @staticmethod
    def _split(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
        """The (query, value, key) of a call, whatever its form."""
        query = args[0] if args else kwargs.get("query")
        value = args[1] if len(args) > 1 else kwargs.get("value")
        key = args[2] if len(args) > 2 else kwargs.get("key")
        if isinstance(query, list | tuple) and value is None:
            parts = list(query)
            if not 2 <= len(parts) <= 3:
                raise ValueError(
                    "MultiHeadAttention called on a list expects [query, value] or "
                    f"[query, value, key]; received a list of {len(parts)} tensors."
                )
            query, value = parts[0], parts[1]
            key = parts[2] if len(parts) == 3 else None
        return query, value, key

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.built:
            return super().__call__(*args, **kwargs)
        snapshot = dict(self.__dict__)
        tracked = list(self._tracked_layers)
        self._ensure_built(args, kwargs)
        try:
            return super().__call__(*args, **kwargs)
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            self._tracked_layers[:] = tracked
            raise

    def _ensure_built(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Builds from the shapes of query, value and key (the base class would only
        look at the first argument)."""
        if self.built:
            return
        query, value, key = self._split(args, kwargs)
        shapes = [tuple(query.shape), tuple((query if value is None else value).shape)]
        if key is not None:
            shapes.append(tuple(key.shape))
        self._build_guarded(shapes)

    def build(
        self,
        query_shape: Shape | list[Shape],
        value_shape: Shape | None = None,
        key_shape: Shape | None = None,
    ) -> None:
        """Creates the four projections.

        Args:
            query_shape: Shape of the query, or a list ``[query, value(, key)]`` of
                shapes.
            value_shape: Shape of the value; defaults to ``query_shape``.
            key_shape: Shape of the key; defaults to ``value_shape``.
        """
        if not _is_shape(query_shape):
            shapes = [tuple(s) for s in query_shape]
            query_shape, value_shape = shapes[0], shapes[1]
            key_shape = shapes[2] if len(shapes) > 2 else None
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention): value and key must agree on "
                f"every axis but the last; received value_shape={value_shape} and "
                f"key_shape={key_shape}."
            )
        q_rank, v_rank, k_rank = len(query_shape), len(value_shape), len(key_shape)
        if q_rank < 3:
            raise ValueError(
                f"Layer '{self.name}' (MultiHeadAttention) needs inputs of rank 3 or more, "
                f"(batch_size, length, features); received query_shape={query_shape}."
            )
        common = {
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint,
            "dtype": self.dtype_policy,
        }

        def project(rank: int, bound: int, out_dims: Sequence[int], name: str) -> EinsumDense:
            equation, bias_axes, out_rank = projection_equation(rank - 1, bound, len(out_dims))
            return EinsumDense(
                equation,
                output_shape=[None] * (out_rank - 1 - len(out_dims)) + list(out_dims),
                bias_axes=bias_axes if self.use_bias else None,
                name=name,
                **common,
            )

        heads = self.num_heads
        query = project(q_rank, 1, [heads, self.key_dim], "query")
        query._build_guarded(query_shape)
        key = project(k_rank, 1, [heads, self.key_dim], "key")
        key._build_guarded(key_shape)
        value = project(v_rank, 1, [heads, self.value_dim], "value")
        value._build_guarded(value_shape)
        out_dims = self.output_shape_arg or (query_shape[-1],)
        output = project(q_rank, 2, list(out_dims), "attention_output")
        output._build_guarded((*query_shape[:-1], heads, self.value_dim))

        rank = v_rank + 1  # rank of the projected tensors
        if self.attention_axes is None:
            attn_axes = tuple(range(1, rank - 2))
        else:
            attn_axes = tuple(a if a >= 0 else rank - 1 + a for a in self.attention_axes)
            if any(not 0 < a < rank - 2 for a in attn_axes):
                raise ValueError(
                    f"Layer '{self.name}' (MultiHeadAttention): attention_axes="
                    f"{self.attention_axes} is out of range for inputs of rank {v_rank}."
                )
        dot, combine, scores_rank = attention_equations(rank, attn_axes)
        # Assigned last, so that a failure above leaves no sublayer behind.
        self._attn_axes = attn_axes
        self._equations = (dot, combine)
        self._norm_axes = tuple(range(scores_rank - len(attn_axes), scores_rank))
        self.query_dense = query
        self.key_dense = key
        self.value_dense = value
        self.output_dense = output

    # ------------------------------------------------------------------ masks
    def _combined_mask(
        self,
        query: jax.Array,
        value: jax.Array,
        query_mask: Any,
        value_mask: Any,
        key_mask: Any,
        attention_mask: Any,
        use_causal_mask: bool,
    ) -> jax.Array | None:
        auto = None
        if query_mask is not None:
            auto = jnp.asarray(query_mask).astype(bool)[..., None]
        for m in (value_mask, key_mask):
            if m is not None:
                m = jnp.asarray(m).astype(bool)[..., None, :]
                auto = m if auto is None else auto & m
        if use_causal_mask:
            m = causal_mask(query.shape[1], value.shape[1])
            auto = m if auto is None else auto & m
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask).astype(bool)
        if auto is not None:
            attention_mask = auto if attention_mask is None else attention_mask & auto
        return attention_mask

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):  # the list form: [query_mask, value_mask, ...]
            return mask[0] if mask else None
        return mask

    # ------------------------------------------------------------------ forward
    def _resolve_inputs(
        self,
        query: Any,
        value: Any,
        key: Any,
        query_mask: Any,
        value_mask: Any,
        key_mask: Any,
        mask: Any,
    ) -> tuple[Any, Any, Any, Any, Any, Any]:
        """The tensors and masks of a call, from Keras's forms: the list form
        ``[query, value, key]`` (with a list of masks), ``value`` defaulting to
        ``query`` (and its mask to the query's) and ``key`` to ``value``."""
        if isinstance(query, list | tuple):
            query, value, key = self._split((query,), {})
            masks = list(mask) if isinstance(mask, list | tuple) else []
            masks += [None] * (3 - len(masks))
            query_mask = masks[0] if query_mask is None else query_mask
            value_mask = masks[1] if value_mask is None else value_mask
            key_mask = masks[2] if key_mask is None else key_mask
        if value is None:
            value = query
            if value_mask is None:
                value_mask = query_mask
        if key is None:
            key = value
        return query, value, key, query_mask, value_mask, key_mask

    def apply(
        self,
        ctx: Any,
        query: Any,
        value: Any = None,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
        mask: Any = None,
    ) -> Any:
        query, value, key, query_mask, value_mask, key_mask = self._resolve_inputs(
            query, value, key, query_mask, value_mask, key_mask, mask
        )

        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
        )
        mask_all = (
            None
            if causal_only
            else self._combined_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        )
        q = ctx.call(self.query_dense, query)
        k = ctx.call(self.key_dense, key)
        v = ctx.call(self.value_dense, value)

        fused = self.dropout == 0 and not return_attention_scores and q.ndim == 4
        scores = None
        if fused:
            # Keras 3 takes its fused dot_product_attention op here: masked logits get
            # a very large negative value and are not zeroed after the softmax.
            if mask_all is not None:
                while mask_all.ndim < 4:
                    mask_all = jnp.expand_dims(mask_all, -3)
            out = fused_attention(q, k, v, mask_all, causal_only, 1.0 / math.sqrt(self.key_dim))
        else:
            if causal_only:
                mask_all = causal_mask(q.shape[1], v.shape[1])
            q = q * jnp.asarray(1.0 / math.sqrt(self.key_dim), q.dtype)
            logits = jnp.einsum(self._equations[0], k, q)
            if mask_all is not None:
                axis = -2 * len(self._attn_axes) - 1
                while mask_all.ndim < logits.ndim:
                    mask_all = jnp.expand_dims(mask_all, axis)
                neg = _SOFTMAX_NEG.get(str(logits.dtype), -1e9)
                logits = jnp.where(mask_all, logits, jnp.asarray(neg, logits.dtype))
            if len(self._norm_axes) > 1:
                scores = jnp.exp(
                    logits - jax.nn.logsumexp(logits, axis=self._norm_axes, keepdims=True)
                )
            else:
                scores = jax.nn.softmax(logits, axis=self._norm_axes[0])
            if mask_all is not None:
                scores = jnp.where(mask_all, scores, jnp.zeros((), scores.dtype))
            dropped = apply_dropout(ctx, scores, self.dropout)
            out = jnp.einsum(self._equations[1], dropped, v)
        out = ctx.call(self.output_dense, out)
        if return_attention_scores:
            return out, scores
        return out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_shape_arg,
            "attention_axes": self.attention_axes,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "seed": self.seed,
        }
