"""GroupedQueryAttention (Keras's ``GroupQueryAttention``): attention where groups of
query heads share one key head and one value head (Ainslie et al., 2023)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._attention_ops import apply_dropout, causal_mask, fused_attention
from kerax.layers.einsum_dense import EinsumDense
from kerax.layers.multi_head_attention import _SOFTMAX_NEG, MultiHeadAttention, Shape


def _positive(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Received an invalid value for `{name}` in GroupedQueryAttention: expected a "
            f"positive integer, received {name}={value!r}."
        )
    return value


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention over sequences.

    ``num_query_heads`` query heads attend in ``num_key_value_heads`` groups: each
    key and value head serves ``num_query_heads // num_key_value_heads`` consecutive
    query heads. With as many key/value heads as query heads this is multi-head
    attention; with one, multi-query attention.

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key and value heads; divides
            ``num_query_heads``.
        dropout: Dropout rate on the attention probabilities.
        use_bias: Whether the projections have biases.
        sliding_window: Keras's local-attention window; only ``None`` is supported.
        flash_attention: Keras's fused-kernel switch; only ``None`` is supported.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Optional penalty on the kernels.
        bias_regularizer: Optional penalty on the biases.
        activity_regularizer: Optional penalty on the output.
        kernel_constraint: Optional projection of the kernels after updates.
        bias_constraint: Optional projection of the biases after updates.
        use_gate: Keras's output gate; only ``False`` is supported.
        seed: Seed of the dropout.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        query: ``(batch, target_len, query_features)``.
        value: ``(batch, source_len, value_features)``.
        key: Optional ``(batch, source_len, key_features)``; defaults to ``value``.
        query_mask, value_mask, key_mask: Optional boolean padding masks.
        attention_mask: Optional boolean ``(batch, target_len, source_len)`` mask.
        return_attention_scores: Also return the ``(batch, num_query_heads, target_len,
            source_len)`` attention probabilities.
        use_causal_mask: Whether each target position attends only to earlier ones.

    Input shape:
        ``query`` ``(batch, target_len, query_features)``, ``value`` (and ``key``)
        ``(batch, source_len, features)``.

    Output shape:
        ``(batch, target_len, query_features)``.

    Weights:
        The kernels and biases of ``query``, ``key``, ``value`` and
        ``attention_output``, in that order.
    """

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        _positive("head_dim", head_dim)
        _positive("num_query_heads", num_query_heads)
        _positive("num_key_value_heads", num_key_value_heads)
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                "GroupedQueryAttention: num_query_heads must be a multiple of "
                f"num_key_value_heads; received {num_query_heads} and {num_key_value_heads}."
            )
        for arg, value, default in (
            ("sliding_window", sliding_window, None),
            ("flash_attention", flash_attention, None),
            ("use_gate", use_gate, False),
        ):
            if value != default:
                raise NotImplementedError(
                    f"GroupedQueryAttention: {arg}={value!r} is not supported by kerax; "
                    f"leave it at {default!r}."
                )
        super().__init__(
            num_heads=num_query_heads,
            key_dim=head_dim,
            dropout=dropout,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            seed=seed,
            **kwargs,
        )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads

    def build(
        self,
        query_shape: Shape | list[Shape],
        value_shape: Shape | None = None,
        key_shape: Shape | None = None,
    ) -> None:
        """Creates the four projections.

        Args:
            query_shape: Shape of the query, or a list ``[query, value(, key)]``.
            value_shape: Shape of the value; defaults to ``query_shape``.
            key_shape: Shape of the key; defaults to ``value_shape``.
        """
        if not (
            isinstance(query_shape, tuple) and all(isinstance(d, int | None) for d in query_shape)
        ):
            shapes = [tuple(s) for s in query_shape]
            query_shape, value_shape = shapes[0], shapes[1]
            key_shape = shapes[2] if len(shapes) > 2 else None
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(
                    f"Layer '{self.name}' (GroupedQueryAttention) needs rank-3 inputs "
                    f"(batch, length, features); received {what} shape {shape}."
                )
        if value_shape[1] != key_shape[1]:
            raise ValueError(
                f"Layer '{self.name}' (GroupedQueryAttention): value and key must have the "
                f"same length; received value_shape={value_shape} and key_shape={key_shape}."
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

        def project(equation: str, out: list[int | None], bias: str, name: str, shape: Shape):
            layer = EinsumDense(
                equation,
                output_shape=out,
                bias_axes=bias if self.use_bias else None,
                name=name,
                **common,
            )
            layer._build_guarded(shape)
            return layer

        h, nq, nkv = self.head_dim, self.num_query_heads, self.num_key_value_heads
        query = project("bqm,muh->bquh", [None, nq, h], "uh", "query", query_shape)
        key = project("bkm,mvh->bkvh", [None, nkv, h], "vh", "key", key_shape)
        value = project("bkm,mvh->bkvh", [None, nkv, h], "vh", "value", value_shape)
        output = project(
            "bquh,uhm->bqm",
            [None, query_shape[-1]],
            "m",
            "attention_output",
            (*query_shape[:-1], nq, h),
        )
        # Keras's attribute names, the sublayers' paths in weight files; private names
        # are not tracked by assignment, so the four are tracked here, in Keras's order.
        self._attn_axes = (1,)
        self._query_dense, self._key_dense = query, key
        self._value_dense, self._output_dense = value, output
        self._tracked_layers.extend([query, key, value, output])

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
        causal_only = use_causal_mask and all(
            m is None for m in (query_mask, value_mask, key_mask, attention_mask)
        )
        mask_all = (
            None
            if causal_only
            else self._combined_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        )
        groups = self.num_query_heads // self.num_key_value_heads
        q = ctx.call(self._query_dense, query)
        k = jnp.repeat(ctx.call(self._key_dense, key), groups, axis=2)
        v = jnp.repeat(ctx.call(self._value_dense, value), groups, axis=2)
        scale = 1.0 / math.sqrt(self.head_dim)
        scores = None
        if self.dropout == 0 and not return_attention_scores:
            if mask_all is not None:
                while mask_all.ndim < 4:
                    mask_all = jnp.expand_dims(mask_all, -3)
            out = fused_attention(q, k, v, mask_all, causal_only, scale)
        else:
            if causal_only:
                mask_all = causal_mask(q.shape[1], v.shape[1])
            logits = jnp.einsum("bquh,bkuh->buqk", q * jnp.asarray(scale, q.dtype), k)
            if mask_all is not None:
                while mask_all.ndim < 4:
                    mask_all = jnp.expand_dims(mask_all, -3)
                neg = _SOFTMAX_NEG.get(str(logits.dtype), -1e9)
                logits = jnp.where(mask_all, logits, jnp.asarray(neg, logits.dtype))
            scores = jax.nn.softmax(logits, axis=-1)
            if mask_all is not None:
                scores = jnp.where(mask_all, scores, jnp.zeros((), scores.dtype))
            out = jnp.einsum("buqk,bkuh->bquh", apply_dropout(ctx, scores, self.dropout), v)
        out = ctx.call(self._output_dense, out)
        return (out, scores) if return_attention_scores else out

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            config.pop(key, None)
        return {
            **config,
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_gate": False,
            "sliding_window": None,
        }
