"""Attention layers over ``[query, value(, key)]`` lists: Attention (dot-product,
Luong-style) and AdditiveAttention (Bahdanau-style). ``MultiHeadAttention`` is in
``multi_head_attention.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._args import check_rate
from kerax.layers._attention_ops import apply_dropout, causal_mask
from kerax.layers._base import Layer

Shape = tuple[int | None, ...]


class Attention(Layer):
    """Dot-product (Luong-style) attention over ``[query, value]`` or
    ``[query, value, key]``.

    Scores are ``query @ key^T`` (``score_mode="dot"``) or
    ``sum(tanh(query + key))`` (``"concat"``), optionally multiplied by a learned
    scalar ``scale``; the softmax over the value axis weights ``value``. Masked value
    positions get ``-1e9`` added before the softmax; masked query positions output
    zeros.

    Args:
        use_scale: Whether to learn a scalar ``scale`` on the scores (initialized to 1).
        score_mode: ``"dot"`` or ``"concat"`` (the latter adds a scalar weight
            ``concat_score_weight``, initialized to 1).
        dropout: Dropout rate on the attention distribution, in training.
        seed: Accepted for Keras compatibility (dropout draws from the layer's key).
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``; ``key`` defaults to
            ``value``.
        mask: Optional ``[query_mask, value_mask]``: boolean ``(B, Tq)`` and
            ``(B, Tv)``; filled in from the inputs' masks in a functional model.
        return_attention_scores: Whether to return ``(output, scores)``.
        training: Whether dropout is active.
        use_causal_mask: Whether query position ``i`` only attends to ``j <= i``.

    Input shape:
        query ``(batch_size, Tq, dim)``, value ``(batch_size, Tv, dim)``, key
        ``(batch_size, Tv, dim)``.

    Output shape:
        ``(batch_size, Tq, dim)``; scores ``(batch_size, Tq, Tv)``.
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"Received an invalid value for `score_mode` in {type(self).__name__}: "
                f"expected 'dot' or 'concat', received score_mode={score_mode!r}."
            )
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = check_rate(type(self).__name__, "dropout", dropout)
        self.seed = seed
        self.supports_masking = True

    def _validate(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                f"{name} must be called on a list [query, value] or [query, value, key]; "
                f"received inputs={inputs!r}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} takes a list of 2 or 3 inputs, [query, value(, key)]; received "
                f"a list of {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, list | tuple) or not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{name} takes a mask list [query_mask, value_mask]; received mask={mask!r}."
                )

    def build(self, input_shape: list[Shape]) -> None:
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (), "ones")

    def _scores(self, ctx: Any, query: jax.Array, key: jax.Array) -> jax.Array:
        p = ctx.params
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            if self.use_scale:
                scores = scores * p["scale"]
            return scores
        summed = query[..., :, None, :] + key[..., None, :, :]
        if self.use_scale:
            summed = p["scale"] * summed
        return p["concat_score_weight"] * jnp.sum(jnp.tanh(summed), axis=-1)

    def apply(
        self,
        ctx: Any,
        inputs: Sequence[jax.Array],
        mask: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._scores(ctx, query, key)
        score_mask = None if v_mask is None else jnp.asarray(v_mask).astype(bool)[..., None, :]
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            score_mask = causal if score_mask is None else score_mask & causal
        if score_mask is not None:
            big = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
            scores = jnp.where(score_mask, scores, scores - big)
        weights = jax.nn.softmax(scores, axis=-1)
        dropped = apply_dropout(ctx, weights, self.dropout)
        out = jnp.matmul(dropped, value)
        if q_mask is not None:
            out = jnp.where(jnp.asarray(q_mask).astype(bool)[..., None], out, 0)
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or not isinstance(mask, list | tuple) or mask[0] is None:
            return None
        return mask[0]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention over ``[query, value]`` or
    ``[query, value, key]``.

    Scores are ``sum(scale * tanh(query + key), axis=-1)`` with a learned per-feature
    ``scale`` (``use_scale=True``) or a constant 1; the rest is as in
    :class:`Attention`.

    Args:
        use_scale: Whether to learn the ``scale`` vector of shape ``(dim,)``
            (``glorot_uniform`` initialized).
        dropout: Dropout rate on the attention distribution, in training.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...) and ``seed``.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: Optional ``[query_mask, value_mask]``.
        return_attention_scores: Whether to return ``(output, scores)``.
        training: Whether dropout is active.
        use_causal_mask: Whether query position ``i`` only attends to ``j <= i``.

    Input shape:
        query ``(batch_size, Tq, dim)``, value ``(batch_size, Tv, dim)``, key
        ``(batch_size, Tv, dim)``.

    Output shape:
        ``(batch_size, Tq, dim)``; scores ``(batch_size, Tq, Tv)``.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: list[Shape]) -> None:
        self._validate(input_shape)
        dim = input_shape[0][-1]
        if dim is None:
            raise ValueError(
                f"Layer '{self.name}' (AdditiveAttention) needs a known last query "
                f"dimension; received input shapes {input_shape}."
            )
        if self.use_scale:
            self.scale = self.add_weight("scale", (dim,), "glorot_uniform")

    def _scores(self, ctx: Any, query: jax.Array, key: jax.Array) -> jax.Array:
        summed = jnp.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.use_scale:
            summed = ctx.params["scale"] * summed
        return jnp.sum(summed, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config
