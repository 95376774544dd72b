"""The time loop of the recurrent layers, and the loop arguments they all take.

:func:`run_loop` runs a step function over a time-major sequence with Keras 3's
masking; ``RNN`` and the ConvLSTM layers run on it (the fused ``SimpleRNN`` / ``GRU`` /
``LSTM`` loop is in ``recurrent_base.py``). :class:`LoopOptions` holds the arguments
``return_sequences``, ``return_state``, ``go_backwards``, ``stateful``, ``unroll`` and
``zero_output_for_mask``: their checks, attributes and config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

Array = jax.Array


def run_loop(
    step: Callable[[Any, Any], tuple[Array, Any]],
    xs: Any,
    states: Any,
    steps_mask: Array | None,
    *,
    unroll: bool,
    zero_output_for_mask: bool,
    keep_all: bool,
    previous_output: Callable[[Any], Array],
) -> tuple[Array, Array | None, Any]:
    """Runs ``step`` over the leading (time) axis of ``xs``, with Keras's masking.

    The caller puts the sequence in processing order (reversed for ``go_backwards``)
    beforehand, so the returned sequence is in processing order too, as Keras returns
    it.

    Args:
        step: ``step(x_t, states) -> (output, new_states)``; ``new_states`` has the
            structure of ``states``.
        xs: Time-major inputs (a pytree of ``(time, batch, ...)`` arrays).
        states: The initial states (a pytree of ``(batch, ...)`` arrays).
        steps_mask: Optional boolean ``(time, batch)`` mask.
        unroll: Whether to unroll in Python rather than ``jax.lax.scan``.
        zero_output_for_mask: Whether a masked step outputs zeros (scan only, as in
            Keras) rather than the previous output.
        keep_all: Whether to return the outputs of every step.
        previous_output: Picks the "previous output" of a masked step out of the
            states, as Keras's scan does (its first state, or the last cell's first
            state for a stack).

    Returns:
        ``(last_output, outputs or None, final_states)``.
    """

    def where(m: Array, new: Array, old: Array) -> Array:
        return jnp.where(m.reshape(m.shape + (1,) * (new.ndim - 1)), new, old)

    def masked(m: Array, out: Array, new: Any, old: Any, fallback: Array) -> tuple[Array, Any]:
        out = where(m, out, fallback)
        return out, jax.tree_util.tree_map(lambda n, o: where(m, n, o), new, old)

    if unroll:
        steps = jax.tree_util.tree_leaves(xs)[0].shape[0]
        outputs: list[Array] = []
        last = None
        for t in range(steps):
            out, new = step(jax.tree_util.tree_map(lambda a, t=t: a[t], xs), states)
            if steps_mask is not None:
                fallback = jnp.zeros_like(out) if last is None else last
                out, new = masked(steps_mask[t], out, new, states, fallback)
            states, last = new, out
            if keep_all:
                outputs.append(out)
        return last, (jnp.stack(outputs) if keep_all else None), states

    first = jax.tree_util.tree_map(lambda a: a[0], xs)
    out_spec = jax.eval_shape(lambda x, s: step(x, s)[0], first, states)
    init_last = jnp.zeros(out_spec.shape, out_spec.dtype)

    def body(carry: tuple[Any, Array], inp: Any) -> tuple[tuple[Any, Array], Array | None]:
        old, _ = carry
        if steps_mask is None:
            out, new = step(inp, old)
        else:
            x, m = inp
            out, new = step(x, old)
            fallback = jnp.zeros_like(out) if zero_output_for_mask else previous_output(old)
            out, new = masked(m, out, new, old, fallback)
        return (new, out), (out if keep_all else None)

    scan_xs = xs if steps_mask is None else (xs, steps_mask)
    (final, last), ys = jax.lax.scan(body, (states, init_last), scan_xs)
    return last, ys, final


def time_major_mask(mask: Any, go_backwards: bool) -> Array | None:
    """A ``(batch, time)`` mask as :func:`run_loop`'s boolean ``(time, batch)`` mask,
    in processing order (reversed for ``go_backwards``); ``None`` stays ``None``."""
    if mask is None:
        return None
    steps_mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)
    return jnp.flip(steps_mask, axis=0) if go_backwards else steps_mask


class LoopOptions:
    """The loop arguments of a recurrent layer, mixed into the layer class."""

    name: str
    return_sequences: bool
    return_state: bool
    go_backwards: bool
    stateful: bool
    unroll: bool
    zero_output_for_mask: bool

    def _init_loop_options(
        self,
        kind: str,
        *,
        return_sequences: bool,
        return_state: bool,
        go_backwards: bool,
        stateful: bool,
        unroll: bool,
        zero_output_for_mask: bool,
    ) -> None:
        """Checks and stores the loop arguments; ``kind`` names the layer in errors."""
        if stateful:
            raise ValueError(
                f"{kind} received stateful=True, which kerax does not support: layers keep "
                "no state between batches. Pass the carried state explicitly with "
                "`initial_state=` (and `return_state=True`) instead."
            )
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True

    def _check_unrollable(self, kind: str, steps: Any) -> None:
        """Raises ValueError if ``unroll`` meets a sequence of unknown length."""
        if self.unroll and not isinstance(steps, int):
            raise ValueError(
                f"Layer '{self.name}' ({kind}) cannot unroll a sequence of unknown length: "
                "give the time dimension in `Input(shape=...)` or pass unroll=False."
            )

    def _loop_config(self) -> dict[str, Any]:
        """The loop arguments' part of ``get_config()``, in Keras's order."""
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
