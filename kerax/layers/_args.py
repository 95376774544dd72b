"""Argument and input checks shared by the layers, with Keras's error messages.

A check names the layer class and the argument and repeats the received value, so that
a bad argument fails when the layer is constructed, with a message that says which.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

DATA_FORMATS = ("channels_last", "channels_first")


def check_positive(layer: str, arg: str, value: Any) -> None:
    """Raises ValueError unless ``value`` is a positive integer."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected a positive "
            f"integer, received {arg}={value!r}."
        )


def check_rate(layer: str, arg: str, value: Any, *, upper_open: bool = False) -> float:
    """Raises ValueError unless ``value`` is a number in ``[0, 1]`` (``[0, 1)`` if
    ``upper_open``); returns it as a float."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        ok = 0 <= value < 1 if upper_open else 0 <= value <= 1
    if not ok:
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected a float in "
            f"{interval}, received {arg}={value!r}."
        )
    return float(value)


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (a NumPy one too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def int_entries(value: Any, rank: int) -> tuple[Any, ...]:
    """``value`` as ``rank`` entries: an int repeated, a sequence as it is, or ``()``
    for anything else (the caller checks the length and the entries)."""
    if is_int(value):
        return (value,) * rank
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(value)
    return ()


def normalize_tuple(layer: str, arg: str, value: Any, rank: int) -> tuple[int, ...]:
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` positive ints.

    Raises:
        ValueError: Naming ``arg`` and the received value, on a wrong length, a
            non-integer or a non-positive entry.
    """
    values = int_entries(value, rank)
    if not (len(values) == rank and all(is_int(v) and v > 0 for v in values)):
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected a positive "
            f"integer or a tuple of {rank} positive integers, received {arg}={value!r}."
        )
    return tuple(int(v) for v in values)


_ORDINALS = ("1st", "2nd", "3rd")


def int_tuple(layer: str, arg: str, value: Any, n: int, allow_zero: bool) -> tuple[int, ...]:
    """``value`` (an int, or ``n`` ints) as ``n`` ints, non-negative (or positive).

    The cropping, padding and up-sampling layers' form of :func:`normalize_tuple`
    (plain ``int`` entries only, zero allowed with ``allow_zero``, their own message).
    """
    bad = ValueError(
        f"Received an invalid value for `{arg}` in {layer}: expected an integer or a tuple "
        f"of {n} {'non-negative' if allow_zero else 'positive'} integers, received "
        f"{arg}={value!r}."
    )
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == n:
        out = tuple(value)
    else:
        raise bad
    if any(
        not isinstance(v, int) or isinstance(v, bool) or v < (0 if allow_zero else 1) for v in out
    ):
        raise bad
    return out


def int_pairs(layer: str, arg: str, value: Any, rank: int) -> tuple[tuple[int, int], ...]:
    """Cropping or padding amounts as ``rank`` pairs ``(before, after)``: an int is the
    same everywhere, ``rank`` ints are symmetric per axis, ``rank`` pairs are explicit."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(
                f"Received an invalid value for `{arg}` in {layer}: expected non-negative "
                f"integers, received {arg}={value!r}."
            )
        return ((value, value),) * rank
    if rank == 1:
        return (int_tuple(layer, arg, value, 2, True),)  # type: ignore[return-value]
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != rank:
        raise ValueError(
            f"Received an invalid value for `{arg}` in {layer}: expected an integer, "
            f"{rank} integers or {rank} pairs of integers, received {arg}={value!r}."
        )
    pairs = []
    for i, entry in enumerate(value):
        try:
            pairs.append(int_tuple(layer, arg, entry, 2, True))
        except ValueError:
            raise ValueError(
                f"Received an invalid value for `{arg}` in {layer}: its {_ORDINALS[i]} entry "
                f"must be a non-negative integer or a pair of them, received {arg}={value!r}."
            ) from None
    return tuple(pairs)  # type: ignore[return-value]


def normalize_padding(layer: str, value: Any, allowed: Sequence[str]) -> str:
    """The lower-cased padding mode, checked against ``allowed``."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"Received an invalid value for `padding` in {layer}: expected one of "
            f"{', '.join(repr(a) for a in allowed)}, received padding={value!r}."
        )
    return padding


def normalize_data_format(layer: str, value: Any) -> str:
    """``None`` becomes the configured default (:func:`kerax.config.image_data_format`,
    ``"channels_last"`` unless set); anything else must be a known format."""
    from kerax._settings import image_data_format

    data_format = image_data_format() if value is None else value
    if isinstance(data_format, str):
        data_format = data_format.lower()
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"Received an invalid value for `data_format` in {layer}: expected "
            f"'channels_last' or 'channels_first', received data_format={value!r}."
        )
    return data_format


def spatial_axes(data_format: str, rank: int) -> list[int]:
    """The ``rank`` spatial axes of a ``(batch, ...)`` input in ``data_format``."""
    return list(range(2, 2 + rank)) if data_format == "channels_first" else list(range(1, 1 + rank))


def check_rank(layer: Any, shape: Sequence[Any], ndim: int) -> None:
    """Raises the input-spec error unless ``shape`` has rank ``ndim``.

    Symbolic calls are checked by the graph before ``build``; eager calls are not, so
    the layers check again in ``build`` and ``apply``.
    """
    if len(shape) != ndim:
        raise ValueError(
            f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
            f"ndim={ndim}, found ndim={len(shape)}. Full shape received: {tuple(shape)}"
        )


def known_channels(layer: Any, input_shape: Sequence[int | None], axis: int) -> int:
    """The size of the channel axis, which must be known to build the weights."""
    channels = input_shape[axis]
    if channels is None:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) needs a known channel "
            f"dimension; received input shape {tuple(input_shape)}."
        )
    return int(channels)


def serialize_regularizer(reg: Any) -> Any:
    """Keras's config form of a regularizer (``None`` stays ``None``; a plain function
    is written as its name)."""
    if reg is None:
        return None
    if hasattr(reg, "get_config"):
        return {"class_name": type(reg).__name__, "config": reg.get_config()}
    return getattr(reg, "__name__", reg)
