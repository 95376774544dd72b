"""Loss ops: binary and categorical crossentropies, CTC loss with greedy CTC
decoding, and the PSNR of an image against a reference."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from kerax.ops._core import Array, Tensor, exports, op


@op
def binary_crossentropy(target: Tensor, output: Tensor, from_logits: bool = False) -> Array:
    """Elementwise binary crossentropy of probabilities (or logits) ``output``."""
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1 - target) * jax.nn.log_sigmoid(-output)
    p = jnp.clip(output, 1e-7, 1 - 1e-7)
    return -(target * jnp.log(p) + (1 - target) * jnp.log(1 - p))


@op
def categorical_crossentropy(
    target: Tensor, output: Tensor, from_logits: bool = False, axis: int = -1
) -> Array:
    """Crossentropy of one-hot ``target`` and probabilities (or logits) ``output``."""
    from kerax.losses import categorical_crossentropy as loss

    return loss(target, output, from_logits=from_logits, axis=axis)


@op
def sparse_categorical_crossentropy(
    target: Tensor, output: Tensor, from_logits: bool = False, axis: int = -1
) -> Array:
    """Crossentropy of integer ``target`` and probabilities (or logits) ``output``."""
    from kerax.losses import sparse_categorical_crossentropy as loss

    return loss(target, output, from_logits=from_logits, axis=axis)


def _paddings(lengths: Any, size: int, dtype: Any) -> Any:
    return (jnp.arange(size)[None, :] >= jnp.asarray(lengths)[:, None]).astype(dtype)


@op
def ctc_loss(
    target: Tensor,
    output: Tensor,
    target_length: Tensor,
    output_length: Tensor,
    mask_index: int = 0,
) -> Array:
    """The per-sequence CTC loss (negative log-likelihood).

    Args:
        target: Integer labels, ``(batch, max_label_length)``.
        output: Logits, ``(batch, max_time, num_classes)``.
        target_length: Label lengths, ``(batch,)``.
        output_length: Output lengths, ``(batch,)``.
        mask_index: The blank class.
    """
    import optax

    logits = jnp.asarray(output)
    logits = logits.astype(jnp.promote_types(logits.dtype, jnp.float32))
    labels = jnp.asarray(target).astype("int32")
    return optax.ctc_loss(
        logits,
        _paddings(output_length, logits.shape[1], logits.dtype),
        labels,
        _paddings(target_length, labels.shape[1], logits.dtype),
        blank_id=mask_index,
    )


@op
def ctc_decode(
    inputs: Tensor,
    sequence_lengths: Tensor,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
) -> tuple[Array, Array]:
    """Greedy CTC decoding of logits ``(batch, max_time, num_classes)``.

    Returns:
        ``(decoded, scores)``: labels ``(1, batch, max_time)`` packed to the front and
        padded with -1, and ``(batch, 1)`` scores (minus the sum of the best logits).
        Only ``strategy="greedy"`` is implemented.
    """
    if strategy != "greedy":
        raise NotImplementedError("Only strategy='greedy' is implemented.")
    x = jnp.asarray(inputs)
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    steps = x.shape[1]
    best, score = jnp.argmax(x, axis=-1), jnp.max(x, axis=-1)
    past_end = jnp.arange(steps)[None, :] >= jnp.asarray(sequence_lengths)[:, None]
    best = jnp.where(past_end, mask_index, best)
    score = jnp.where(past_end, 0.0, score)
    if merge_repeated:
        repeated = jnp.pad(best[:, 1:] == best[:, :-1], ((0, 0), (1, 0)))
        best = jnp.where(repeated, mask_index, best)
    blank = best == mask_index
    order = jnp.argsort(jnp.where(blank, steps, jnp.arange(steps)[None, :]), axis=-1)
    decoded = jnp.take_along_axis(jnp.where(blank, -1, best), order, axis=-1)
    return decoded[None], -jnp.sum(score, axis=1, keepdims=True)


@op
def psnr(x1: Tensor, x2: Tensor, max_val: float) -> Array:
    """The peak signal-to-noise ratio of ``x2`` against ``x1``, in dB."""
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"Shapes differ: {x1.shape} vs {x2.shape}.")
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(jnp.asarray(max_val, x2.dtype)) - 10 * jnp.log10(mse)


__all__ = exports(__name__)
