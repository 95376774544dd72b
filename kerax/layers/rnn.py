"""RNN, which loops any cell over time, and StackedRNNCells, which runs a list of
cells as one.

A cell computes one step, ``cell(inputs, states) -> (output, new_states)``, with
Keras 3's cell API (``state_size``, ``output_size``, ``get_initial_state``).

The built-in cells (:class:`SimpleRNNCell`, :class:`GRUCell`, :class:`LSTMCell`) share
their weights and step math with the ``SimpleRNN`` / ``GRU`` / ``LSTM`` layers, and
:class:`RNN` runs them the way those layers run: the input projection of every timestep
is one matmul before the loop, and the loop only multiplies the state by the recurrent
kernel. A stack of built-in cells runs one cell over the whole sequence at a time,
which computes the same numbers as stepping all cells together (the input of cell
``k`` at step ``t`` is the output of cell ``k - 1`` at step ``t``, and a masked step
keeps every cell's state) while letting every cell hoist its projection. Any other
cell is opaque: the loop calls it once per step.

Masking and ``unroll`` follow Keras 3's JAX backend, as in ``recurrent_base.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.graph import frame as _frame
from kerax.layers._base import Layer
from kerax.layers._overrides import user_defines
from kerax.layers.rnn_cell_base import _Cell
from kerax.layers.rnn_loop import LoopOptions, run_loop, time_major_mask

Array = jax.Array


def sub_context(ctx: Any, layer: Layer) -> _frame.Context:
    """A context for ``layer`` inside ``ctx``'s call, as ``ctx.call`` would make it."""
    return _frame.Context(ctx.frame, layer, f"{ctx.path}/{layer.name}", ctx.training)


def _check_cell(owner: str, arg: str, cell: Any) -> None:
    if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
        raise ValueError(
            f"{owner} needs a kerax layer with a `state_size` attribute as `{arg}` "
            f"(an RNN cell), received {arg}={cell!r}."
        )


def _output_size(cell: Any) -> int:
    size = getattr(cell, "output_size", None)
    if size is not None:
        return int(size)
    state = cell.state_size
    return int(state[0] if isinstance(state, list | tuple) else state)


def _zero_states(cell: Any, batch: int, dtype: Any) -> list[Array]:
    sizes = cell.state_size if isinstance(cell.state_size, list | tuple) else [cell.state_size]
    return [jnp.zeros((batch, int(s)), dtype) for s in sizes]


def _initial_states(cell: Any, batch: int, dtype: Any) -> list[Any]:
    fn = getattr(cell, "get_initial_state", None)
    states = fn(batch_size=batch) if fn is not None else _zero_states(cell, batch, dtype)
    if not isinstance(states, list | tuple):
        states = [states]
    return jax.tree_util.tree_map(lambda s: jnp.asarray(s).astype(dtype), list(states))


class StackedRNNCells(Layer):
    """A list of cells run as one cell: each step feeds the output of a cell to the
    next one.

    Args:
        cells: The cells, first to last.
        **kwargs: Base layer arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: The inputs of one step.
        states: One entry per cell: that cell's states.
        training: Whether dropout is active.

    Input shape:
        ``(batch_size, features)``, and the states of every cell.

    Output shape:
        ``(output, new_states)``: the last cell's output and every cell's new states.
    """

    def __init__(self, cells: Sequence[Layer], **kwargs: Any) -> None:
        if not isinstance(cells, list | tuple) or not cells:
            raise ValueError(
                f"StackedRNNCells needs a non-empty list of cells, received cells={cells!r}."
            )
        for cell in cells:
            _check_cell("StackedRNNCells", "cells", cell)
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        """The ``state_size`` of every cell."""
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        """The output size of the last cell."""
        return _output_size(self.cells[-1])

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """The initial states of every cell."""
        return [_initial_states(c, batch_size, self.compute_dtype) for c in self.cells]

    def build(self, input_shape: Sequence[int | None]) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell._build_guarded(shape)
            shape = (shape[0], _output_size(cell))

    def apply(self, ctx: Any, inputs: Array, states: Any) -> tuple[Array, list[Any]]:
        if len(states) != len(self.cells):
            raise ValueError(
                f"Layer '{self.name}' (StackedRNNCells) expects the states of "
                f"{len(self.cells)} cells, received {len(states)}."
            )
        new_states = []
        x = inputs
        for cell, s in zip(self.cells, states, strict=True):
            x, new = ctx.call(cell, x, s)
            new_states.append(new)
        return x, new_states

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> StackedRNNCells:
        """Re-creates the stack and fresh cells from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


class RNN(LoopOptions, Layer):
    """Loops a cell (or a list of cells, stacked) over the time axis of a sequence.

    Built-in cells (``SimpleRNNCell``, ``GRUCell``, ``LSTMCell``) run as fast as the
    matching layers: their input projections are hoisted out of the loop. Any other
    kerax layer with a ``state_size`` attribute and a ``(inputs, states) -> (output,
    new_states)`` call runs once per step inside the loop.

    Args:
        cell: A cell, or a list of cells (wrapped in :class:`StackedRNNCells`).
        return_sequences: Whether to return the output of every step rather than the
            last one.
        return_state: Whether to return the final states as well.
        go_backwards: Whether to process the sequence in reverse (the returned
            sequence is then in processing order, as in Keras).
        stateful: Must be ``False``; kerax layers keep no state between batches.
        unroll: Whether to unroll the loop in Python (fixed, short sequences only).
        zero_output_for_mask: Whether masked steps output zeros rather than the
            previous output (ignored with ``unroll=True``, as in Keras).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``input_shape``, ...).

    Call arguments:
        sequences: The input sequences.
        initial_state: Optional initial states, structured as the cell's
            ``state_size`` (for a stack: one entry per cell, or all states flat).
        mask: Optional boolean ``(batch_size, timesteps)`` mask.
        training: Whether the cells' dropout is active.

    Input shape:
        ``(batch_size, timesteps, ...)``: ``...`` is the input shape of one step.

    Output shape:
        ``(batch_size, timesteps, output_size)`` with ``return_sequences=True``, else
        ``(batch_size, output_size)``; with ``return_state=True``, that output
        followed by the final states (for a stack, one list per cell).
    """

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        _check_cell("RNN", "cell", cell)
        super().__init__(**kwargs)
        self._init_loop_options(
            "RNN",
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
        )
        self.cell = cell
        size = cell.state_size
        self.state_size = list(size) if isinstance(size, list | tuple) else [size]

    def build(self, input_shape: Sequence[int | None]) -> None:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"Layer '{self.name}' (RNN) expects inputs of shape (batch, timesteps, "
                f"...); received input shape {shape}."
            )
        if not self.cell.built:
            self.cell._build_guarded((shape[0], *shape[2:]))

    def _cells(self) -> list[Any]:
        return self.cell.cells if isinstance(self.cell, StackedRNNCells) else [self.cell]

    def _given_states(self, initial_state: Any, dtype: Any) -> list[Any]:
        if not isinstance(initial_state, list | tuple):
            initial_state = [initial_state]
        initial_state = list(initial_state)
        stacked = isinstance(self.cell, StackedRNNCells)
        flat = jax.tree_util.tree_leaves(initial_state)
        per_cell = [
            len(c.state_size) if isinstance(c.state_size, list | tuple) else 1
            for c in self._cells()
        ]
        if len(flat) != sum(per_cell):
            raise ValueError(
                f"Layer '{self.name}' (RNN) expects {sum(per_cell)} initial state "
                f"tensor(s), received {len(flat)}."
            )
        flat = [jnp.asarray(s).astype(dtype) for s in flat]
        if not stacked:
            return flat
        out, i = [], 0
        for n in per_cell:
            out.append(flat[i : i + n])
            i += n
        return out

    def apply(
        self,
        ctx: Any,
        sequences: Array,
        initial_state: Any = None,
        mask: Array | None = None,
    ) -> Any:
        self._check_unrollable("RNN", sequences.shape[1])
        dtype = sequences.dtype
        batch = sequences.shape[0]
        stacked = isinstance(self.cell, StackedRNNCells)
        if initial_state is None and user_defines(type(self), "get_initial_state"):
            # A subclass's own starting states (Keras's hook), as `initial_state=` takes them.
            states = self._given_states(self.get_initial_state(batch), dtype)
        elif initial_state is None:
            states = _initial_states(self.cell, batch, dtype)
        else:
            states = self._given_states(initial_state, dtype)
        if not stacked:
            states = [states] if not isinstance(states, list) else states
        x = jnp.flip(sequences, axis=1) if self.go_backwards else sequences
        steps_mask = time_major_mask(mask, self.go_backwards)
        options = {"unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}
        if all(isinstance(c, _Cell) for c in self._cells()):
            last, outputs, final = self._run_hoisted(ctx, x, states, steps_mask, options)
        else:
            last, outputs, final = self._run_opaque(ctx, x, states, steps_mask, options)
        output = jnp.swapaxes(outputs, 0, 1) if self.return_sequences else last
        if self.return_state:
            return (output, *final)
        return output

    def _run_hoisted(
        self, ctx: Any, x: Array, states: list[Any], steps_mask: Array | None, options: Any
    ) -> tuple[Array, Array | None, list[Any]]:
        """Built-in cells: one cell over the whole sequence at a time."""
        cells = self._cells()
        per_cell = states if isinstance(self.cell, StackedRNNCells) else [states]
        finals: list[Any] = []
        last, outputs = None, None
        for k, (cell, s) in enumerate(zip(cells, per_cell, strict=True)):
            sub = sub_context(ctx, cell)
            p = sub.params
            seq = x.astype(cell.compute_dtype)
            in_masks, rec_masks = cell._dropout_masks(sub, seq)
            zx = cell._project(p, seq, in_masks)

            def step(z: Array, carry: Any, cell: Any = cell, p: Any = p, rm: Any = rec_masks):
                new = cell._cell(p, z, tuple(carry), rm)
                return new[0], list(new)

            top = k == len(cells) - 1
            last, outputs, new_states = run_loop(
                step,
                zx,
                [jnp.asarray(v).astype(seq.dtype) for v in s],
                steps_mask,
                keep_all=self.return_sequences or not top,
                previous_output=lambda carry: carry[0],
                **options,
            )
            finals.append(new_states)
            if not top:
                x = jnp.swapaxes(outputs, 0, 1)
        if isinstance(self.cell, StackedRNNCells):
            return last, outputs, finals
        return last, outputs, finals[0]

    def _run_opaque(
        self, ctx: Any, x: Array, states: list[Any], steps_mask: Array | None, options: Any
    ) -> tuple[Array, Array | None, list[Any]]:
        """Any cell: the cell is called once per step inside the loop."""
        structure = jax.tree_util.tree_structure(states)
        stacked = isinstance(self.cell, StackedRNNCells)

        def step(x_t: Array, carry: Any) -> tuple[Array, Any]:
            out, new = ctx.call(self.cell, x_t, carry)
            leaves = jax.tree_util.tree_leaves(new)
            return out, jax.tree_util.tree_unflatten(structure, leaves)

        def previous(carry: Any) -> Array:
            return carry[-1][0] if stacked else carry[0]

        return run_loop(
            step,
            jnp.swapaxes(x, 0, 1),
            states,
            steps_mask,
            keep_all=self.return_sequences,
            previous_output=previous,
            **options,
        )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0] if mask else None
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            count = len(jax.tree_util.tree_leaves(self.state_size))
            return [out_mask] + [None] * count
        return out_mask

    def get_config(self) -> dict[str, Any]:
        from kerax.saving.serialization import serialize_layer

        return {
            **super().get_config(),
            **self._loop_config(),
            "cell": serialize_layer(self.cell),
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> RNN:
        """Re-creates the layer and a fresh cell from ``get_config()``."""
        from kerax.saving.serialization import deserialize_layer

        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict) and "class_name" in cell:
            cell = deserialize_layer(cell, custom_objects)
        return cls(cell, **config)
