"""Merging layers: element-wise merges (Add, Subtract, Multiply, Average, Maximum,
Minimum), Concatenate and Dot, with their function forms.

Shape compatibility is checked when the layer is called on symbolic tensors, so a
mismatch is reported at construction with the layer's name and every input shape.

Masks follow Keras 3: the output of an element-wise merge is masked only when every
input carries a mask, and a position is then valid when it is valid in *any* input.
Multiply, Maximum and Minimum also ignore masked positions in their arithmetic (an
input that is masked at a position does not take part in the product, maximum or
minimum there); Add, Subtract and Average compute on the raw values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.layers._base import Layer

Shape = tuple[int | None, ...]


class Merge(Layer):
    """Base class of layers that combine a list of tensors."""

    supports_masking = True

    def _check_list(self, input_shape: Any) -> list[Shape]:
        if (
            not isinstance(input_shape, list | tuple)
            or not input_shape
            or not isinstance(input_shape[0], list | tuple)
        ):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a list of '
                f"tensors; received input shape {input_shape}."
            )
        if len(input_shape) < 2:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) must be called on a list of at '
                f"least 2 tensors; received {len(input_shape)}."
            )
        return [tuple(s) for s in input_shape]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = jnp.logical_or(out, m)
        return out


def _expand_mask(mask: jax.Array, x: jax.Array) -> jax.Array:
    """``mask`` (over leading axes of ``x``) broadcast to the full shape of ``x``."""
    mask = jnp.asarray(mask, bool)
    mask = jnp.reshape(mask, mask.shape + (1,) * (x.ndim - mask.ndim))
    return jnp.broadcast_to(mask, x.shape)


class _Elementwise(Merge):
    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        try:
            _broadcast([s[1:] for s in shapes])
        except ValueError:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) requires inputs with matching '
                f"shapes (after broadcasting); received inputs with shapes "
                f"{', '.join(str(s) for s in shapes)}."
            ) from None

    def _merge(self, a: jax.Array, b: jax.Array) -> jax.Array:
        raise NotImplementedError

    def _combine(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        """Merges same-rank ``inputs``; ``masks`` holds one mask or None per input."""
        out = inputs[0]
        for x in inputs[1:]:
            out = self._merge(out, x)
        return out

    def apply(self, ctx: Any, inputs: Sequence[jax.Array], mask: Any = None) -> jax.Array:
        inputs = list(inputs)
        masks = list(mask) if mask is not None else [None] * len(inputs)
        rank = max(x.ndim for x in inputs)
        if any(x.ndim != rank for x in inputs):
            # Lower-rank inputs gain axes right after the batch axis (so their trailing
            # axes line up); as in Keras, their masks no longer apply to the values.
            inputs = [
                jnp.reshape(x, (x.shape[0],) + (1,) * (rank - x.ndim) + x.shape[1:]) for x in inputs
            ]
            masks = [None] * len(inputs)
        return self._combine(inputs, masks)


def _broadcast(shapes: list[Shape]) -> Shape:
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for axis in range(rank):
        dims = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0} - {1}
        known = dims - {None}
        if len(known) > 1:
            raise ValueError(f"incompatible shapes {shapes}")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


class Add(_Elementwise):
    """Adds a list of tensors of the same shape, element-wise.

    Input shape:
        A list of at least 2 tensors of matching shapes (broadcastable).

    Output shape:
        The common shape.
    """

    def _merge(self, a: jax.Array, b: jax.Array) -> jax.Array:
        return a + b


class Subtract(_Elementwise):
    """Subtracts the second of two tensors from the first, element-wise.

    Input shape:
        A list of exactly 2 tensors of matching shapes (broadcastable).

    Output shape:
        The common shape: ``inputs[0] - inputs[1]``.
    """

    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f'Layer "{self.name}" (Subtract) must be called on exactly 2 tensors; '
                f"received {len(shapes)} inputs with shapes "
                f"{', '.join(str(s) for s in shapes)}."
            )
        super().build(input_shape)

    def _merge(self, a: jax.Array, b: jax.Array) -> jax.Array:
        return a - b


class Multiply(_Elementwise):
    """Multiplies a list of tensors of the same shape, element-wise.

    A masked position of an input counts as 1 in the product. When every input is
    masked, positions masked in all of them are set to 0.

    Input shape:
        A list of at least 2 tensors of matching shapes (broadcastable).

    Output shape:
        The common shape.
    """

    def _combine(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        all_masked = all(m is not None for m in masks)
        out: jax.Array | None = None
        valid: jax.Array | None = None
        for x, m in zip(inputs, masks, strict=True):
            if m is not None:
                m = _expand_mask(m, x)
                x = jnp.where(m, x, jnp.ones((), x.dtype))
                valid = m if valid is None else jnp.logical_or(valid, m)
            out = x if out is None else out * x
        assert out is not None
        if all_masked and valid is not None:
            out = jnp.where(valid, out, jnp.zeros((), out.dtype))
        return out


class Average(_Elementwise):
    """Averages a list of tensors of the same shape, element-wise.

    Input shape:
        A list of at least 2 tensors of matching shapes (broadcastable).

    Output shape:
        The common shape.
    """

    def _combine(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class _Extremum(_Elementwise):
    """Maximum / Minimum: masked positions of an input are skipped."""

    _op: Callable[[jax.Array, jax.Array], jax.Array]

    def _combine(self, inputs: list[jax.Array], masks: list[Any]) -> jax.Array:
        out, valid = inputs[0], masks[0]
        if valid is not None:
            valid = _expand_mask(valid, out)
        for x, m in zip(inputs[1:], masks[1:], strict=True):
            if m is not None:
                m = _expand_mask(m, x)
                # Where this input is masked, it repeats the running result.
                x = jnp.where(m, x, out)
            if valid is not None:
                # Where the running result is masked, this input replaces it.
                out = jnp.where(valid, out, x)
            valid = jnp.logical_or(valid, m) if valid is not None and m is not None else None
            out = type(self)._op(out, x)
        return out


class Maximum(_Extremum):
    """The element-wise maximum of a list of tensors of the same shape.

    Positions masked in an input are left out of the maximum there.

    Input shape:
        A list of at least 2 tensors of matching shapes (broadcastable).

    Output shape:
        The common shape.
    """

    _op = staticmethod(jnp.maximum)


class Minimum(_Extremum):
    """The element-wise minimum of a list of tensors of the same shape.

    Positions masked in an input are left out of the minimum there.

    Input shape:
        A list of at least 2 tensors of matching shapes (broadcastable).

    Output shape:
        The common shape.
    """

    _op = staticmethod(jnp.minimum)


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``.

    Args:
        axis: Axis to concatenate along (default -1).

    Input shape:
        A list of tensors whose shapes agree except along ``axis``.

    Output shape:
        The common shape, with the sizes along ``axis`` summed.
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        ranks = {len(s) for s in shapes}
        if len(ranks) == 1:
            rank = ranks.pop()
            axis = self.axis % rank if -rank <= self.axis < rank else None
            if axis is not None:
                for i in range(1, rank):
                    if i == axis:
                        continue
                    dims = {s[i] for s in shapes} - {None}
                    if len(dims) > 1:
                        break
                else:
                    return
        raise ValueError(
            f'Layer "{self.name}" (Concatenate) requires inputs with matching shapes except '
            f"for the concatenation axis {self.axis}; received inputs with shapes "
            f"{', '.join(str(s) for s in shapes)}."
        )

    def apply(self, ctx: Any, inputs: Sequence[jax.Array], mask: Any = None) -> jax.Array:
        dtype = jnp.result_type(*inputs)
        return jnp.concatenate([x.astype(dtype) for x in inputs], axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        # Keras 3: every input's mask is spread over its full shape (all True for an
        # unmasked input), the masks are concatenated like the values, and a position
        # is valid when any of its features is.
        if mask is None or all(m is None for m in mask):
            return None
        full = [
            jnp.ones(x.shape, bool) if m is None else _expand_mask(m, x)
            for x, m in zip(inputs, mask, strict=True)
        ]
        return jnp.any(jnp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class Dot(Merge):
    """The dot product of two tensors, sample by sample, along one axis of each.

    For inputs of shapes ``(batch, *a)`` and ``(batch, *b)``, the result contracts axis
    ``axes[0]`` of the first with axis ``axes[1]`` of the second; its shape is the
    first input's shape without that axis, followed by the second's without the batch
    axis and without that axis (``(batch, 1)`` when nothing else is left).

    Args:
        axes: One axis for both inputs, or a pair ``(axis_of_first, axis_of_second)``.
            The two axes must have the same size; the batch axis 0 cannot be used.
        normalize: Whether to L2-normalize both inputs along the contracted axes
            first, which makes the result the cosine similarity.

    Input shape:
        A list of 2 tensors of rank >= 2.

    Output shape:
        As described above; ``(batch, 1)`` for two inputs of rank 2.
    """

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, list | tuple):
            valid = len(axes) == 2 and all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            )
        else:
            valid = isinstance(axes, int) and not isinstance(axes, bool)
        if not valid:
            raise ValueError(
                "Received an invalid value for `axes` in Dot: expected an integer or a "
                f"pair of integers, received axes={axes!r}."
            )
        if (list(axes) if isinstance(axes, list | tuple) else [axes]).count(0):
            raise ValueError(
                "Received an invalid value for `axes` in Dot: the batch axis 0 cannot be "
                f"contracted, received axes={axes!r}."
            )
        self.axes: int | list[int] = list(axes) if isinstance(axes, list | tuple) else axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, rank1: int, rank2: int) -> tuple[int, int]:
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return pair[0] % rank1, pair[1] % rank2

    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        if len(shapes) != 2:
            raise ValueError(
                f'Layer "{self.name}" (Dot) must be called on exactly 2 tensors; received '
                f"{len(shapes)} inputs with shapes {', '.join(str(s) for s in shapes)}."
            )
        s1, s2 = shapes
        if len(s1) < 2 or len(s2) < 2:
            raise ValueError(
                f'Layer "{self.name}" (Dot) requires inputs of rank >= 2; received inputs '
                f"with shapes {s1} and {s2}."
            )
        pair = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        for a, s in zip(pair, shapes, strict=True):
            if not -len(s) <= a < len(s) or a % len(s) == 0:
                raise ValueError(
                    f'Layer "{self.name}" (Dot): axes={self.axes!r} does not name a '
                    f"non-batch axis of inputs with shapes {s1} and {s2}."
                )
        a1, a2 = self._resolve_axes(len(s1), len(s2))
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(
                f'Layer "{self.name}" (Dot) requires the contracted axes to have the same '
                f"size; received {s1[a1]} (axis {a1} of {s1}) and {s2[a2]} (axis {a2} of "
                f"{s2})."
            )

    def apply(self, ctx: Any, inputs: Sequence[jax.Array]) -> jax.Array:
        x, y = inputs
        a1, a2 = self._resolve_axes(x.ndim, y.ndim)
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        dtype = jnp.result_type(x, y)
        out = jax.lax.dot_general(x.astype(dtype), y.astype(dtype), (((a1,), (a2,)), ((0,), (0,))))
        return out.reshape(out.shape[0], 1) if out.ndim == 1 else out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x: jax.Array, axis: int, epsilon: float = 1e-7) -> jax.Array:
    """``x / max(||x||, epsilon)`` along ``axis`` (Keras's ``ops.normalize``)."""
    inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv, 1.0 / epsilon)


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Add`: ``add([x, y])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Subtract`: ``subtract([x, y])``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Multiply`: ``multiply([x, y])``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Average`: ``average([x, y])``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Maximum`: ``maximum([x, y])``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional form of :class:`Minimum`: ``minimum([x, y])``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Concatenate`: ``concatenate([x, y], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Dot`: ``dot([x, y], axes=-1, normalize=False)``."""
    return Dot(axes=axes, **kwargs)(inputs)
