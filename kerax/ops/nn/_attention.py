"""The attention op: scaled dot-product attention, with an optional logit soft cap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kerax.ops._core import Array, Tensor, exports, op


@op
def dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    bias: Tensor | None = None,
    mask: Tensor | None = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> Array:
    """Scaled dot-product attention on ``(batch, length, heads, head_dim)`` tensors.

    Args:
        query, key, value: The inputs (``key`` / ``value`` may have fewer heads).
        bias: Added to the logits.
        mask: Boolean, ``True`` where attention is allowed.
        scale: Logit scale (default ``1 / sqrt(head_dim)``).
        is_causal: Apply a causal mask.
        flash_attention: Accepted for compatibility (XLA picks the kernel).
        attn_logits_soft_cap: If set, logits become ``l / (1 + |l| / cap)``.
    """
    if attn_logits_soft_cap is None:
        return jax.nn.dot_product_attention(
            query, key, value, bias=bias, mask=mask, scale=scale, is_causal=is_causal
        )
    q, k, v = (jnp.asarray(t) for t in (query, key, value))
    groups = q.shape[2] // k.shape[2]
    k, v = jnp.repeat(k, groups, axis=2), jnp.repeat(v, groups, axis=2)
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    dtype = jnp.promote_types(q.dtype, jnp.float32)
    logits = jnp.einsum("btnh,bsnh->bnts", q, k, preferred_element_type=dtype) * scale
    logits = logits / (1.0 + jnp.abs(logits) / attn_logits_soft_cap)
    if bias is not None:
        logits = logits + bias
    allowed = jnp.ones(logits.shape, bool)
    if mask is not None:
        allowed = allowed & mask
    if is_causal:
        allowed = allowed & jnp.tril(jnp.ones(logits.shape[-2:], bool))
    logits = jnp.where(allowed, logits, -0.7 * jnp.finfo(logits.dtype).max)
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(v.dtype)
    return jnp.einsum("bnts,bsnh->btnh", probs, v)


__all__ = exports(__name__)
