"""The math of the attention layers: einsum equations, masks, dropout and the fused
dot-product attention of ``MultiHeadAttention``."""

from __future__ import annotations

import string
from typing import Any

import jax
import jax.numpy as jnp


def apply_dropout(ctx: Any, x: jax.Array, rate: float) -> jax.Array:
    """Dropout of ``x`` at ``rate`` in training (one draw per element)."""
    if not ctx.training or rate == 0:
        return x
    if rate == 1:
        return jnp.zeros_like(x)
    keep = jax.random.bernoulli(ctx.rng(), 1.0 - rate, x.shape)
    return jnp.where(keep, x / (1.0 - rate), 0).astype(x.dtype)


def projection_equation(free: int, bound: int, out: int) -> tuple[str, str, int]:
    """The einsum of a projection: ``free`` kept axes, ``bound`` contracted axes,
    ``out`` new axes. Returns ``(equation, bias letters, output rank)``."""
    letters = string.ascii_lowercase
    kept = letters[:free]
    contracted = letters[free : free + bound]
    new = letters[free + bound : free + bound + out]
    return f"{kept}{contracted},{contracted}{new}->{kept}{new}", new, free + out


def attention_equations(rank: int, attn_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """The score and combine einsums over projected ``(batch, ..., heads, dim)``
    tensors of rank ``rank``, attending over ``attn_axes``."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += letters[offset]
            offset += 1
    product = "".join(
        [target[i] for i in batch_dims]
        + [target[i] for i in attn_axes]
        + [source[i] for i in attn_axes]
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def causal_mask(q_len: int, v_len: int) -> jax.Array:
    """``(1, q_len, v_len)``: position ``i`` may attend to positions ``j <= i``."""
    return (jnp.arange(q_len)[:, None] >= jnp.arange(v_len)[None, :])[None]


def fused_attention(
    q: jax.Array,
    k: jax.Array,
    v: jax.Array,
    mask: jax.Array | None,
    is_causal: bool,
    scale: float,
) -> jax.Array:
    """Attention of ``(B, T, N, H)`` queries over ``(B, S, N, H)`` keys and values, with
    the numerics of Keras's ``ops.dot_product_attention`` on JAX (float32 logits,
    masked logits at ``-0.7 * finfo.max``, no zeroing of fully masked rows)."""
    logits_dtype = jnp.promote_types(q.dtype, jnp.float32)
    logits = jnp.einsum("BTNH,BSNH->BNTS", q, k, preferred_element_type=logits_dtype)
    logits = logits * jnp.asarray(scale, logits.dtype)
    if is_causal:
        causal = causal_mask(logits.shape[2], logits.shape[3])[None]
        mask = causal if mask is None else mask & causal
    if mask is not None:
        neg = jnp.asarray(-0.7 * jnp.finfo(logits.dtype).max, logits.dtype)
        logits = jnp.where(mask, logits, neg)
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(k.dtype)
    return jnp.einsum("BNTS,BSNH->BTNH", probs, v)
