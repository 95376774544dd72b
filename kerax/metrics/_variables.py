"""Keras-style variable handles over a pure state, and the state <-> list conversion.

Metrics and optimizers keep their state as a pytree that their pure functions take and
return. Keras code sees that state as a flat list of variables (``metric.variables``,
``optimizer.variables``) and passes lists of arrays to the ``stateless_*`` methods.
:func:`leaves` and :func:`rebuild` convert between the two, keeping dict entries in
insertion order (the order Keras creates its variables in), not jax's sorted-key order.
:class:`StateVariable` is the handle: it reads and writes one entry of its owner's
state, so the state stays the single source of truth.
"""

from __future__ import annotations

import contextlib
import contextvars
import operator
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import jax.numpy as jnp
import numpy as np


class StateOwner(Protocol):
    """What a :class:`StateVariable` needs from the object whose state it shows."""

    name: str

    def _read_variable(self, index: int) -> Any: ...

    def _write_variable(self, index: int, value: Any) -> None: ...


#: ``{id(owner): list of values}`` while a stateless call runs a Keras-style method:
#: handles then read and write this list instead of their owner's state.
_SCOPE: contextvars.ContextVar[dict[int, list[Any]] | None] = contextvars.ContextVar(
    "kerax_state_scope", default=None
)


class StateScope:
    """Runs Keras-style stateful code against explicit values (Keras's ``StatelessScope``).

    Inside ``with StateScope(owner, values) as scope:``, every :class:`StateVariable` of
    ``owner`` reads from and assigns to ``scope.values``; the owner's own state is not
    touched, so the code can run inside ``jax.jit``.

    Args:
        owner: The metric or optimizer whose handles are redirected.
        values: The current values, in ``owner.variables`` order.
    """

    def __init__(self, owner: Any, values: Sequence[Any]) -> None:
        self.owner = owner
        self.values = list(values)
        self._token: contextvars.Token | None = None

    def __enter__(self) -> StateScope:
        scopes = dict(_SCOPE.get() or {})
        scopes[id(self.owner)] = self.values
        self._token = _SCOPE.set(scopes)
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._token is not None
        _SCOPE.reset(self._token)


class StateVariable:
    """A Keras-style handle on one entry of a metric's or optimizer's state.

    ``value`` reads the entry, ``assign`` replaces it (in the owner's state, or in the
    active :class:`StateScope`). Arithmetic works on the value, so Keras-style code can
    write ``self.total.assign(self.total + x)``.

    Args:
        owner: The object holding the state.
        index: Position of the entry in ``owner.variables``.
        name: The variable's name (``"total"``, ``"dense_kernel_momentum"``).
        shape: Its shape.
        dtype: Its dtype name.
    """

    __slots__ = ("dtype", "index", "name", "owner", "shape")

    def __init__(
        self, owner: StateOwner, index: int, name: str, shape: tuple[int, ...], dtype: str
    ) -> None:
        self.owner = owner
        self.index = index
        self.name = name
        self.shape = tuple(shape)
        self.dtype = str(dtype)

    @property
    def path(self) -> str:
        """``"<owner name>/<variable name>"``, as Keras writes a variable's path."""
        return f"{self.owner.name}/{self.name}"

    @property
    def trainable(self) -> bool:
        """Always False: metric and optimizer variables are never differentiated."""
        return False

    @property
    def value(self) -> Any:
        scope = (_SCOPE.get() or {}).get(id(self.owner))
        if scope is not None:
            return scope[self.index]
        return self.owner._read_variable(self.index)

    def assign(self, value: Any) -> None:
        """Replaces the value (cast to this variable's dtype; the shape must match).

        Raises:
            ValueError: When the shape differs.
        """
        value = jnp.asarray(value, self.dtype)
        if tuple(value.shape) != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {tuple(value.shape)} to variable "
                f"'{self.path}' of shape {self.shape}."
            )
        scope = (_SCOPE.get() or {}).get(id(self.owner))
        if scope is not None:
            scope[self.index] = value
        else:
            self.owner._write_variable(self.index, value)

    def assign_add(self, delta: Any) -> None:
        self.assign(self.value + delta)

    def assign_sub(self, delta: Any) -> None:
        self.assign(self.value - delta)

    def numpy(self) -> np.ndarray:
        return np.asarray(self.value)

    def __jax_array__(self) -> Any:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.value, dtype=dtype)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __repr__(self) -> str:
        return f"<StateVariable path={self.path}, shape={self.shape}, dtype={self.dtype}>"

    def __neg__(self) -> Any:
        return -self.value

    def __getitem__(self, idx: Any) -> Any:
        return self.value[idx]


# Arithmetic acts on the value, both ways round (``self.total + x``, ``x * self.count``).
for _name, _op in {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "matmul": operator.matmul,
    "pow": operator.pow,
}.items():
    setattr(StateVariable, f"__{_name}__", lambda self, o, _op=_op: _op(self.value, o))
    setattr(StateVariable, f"__r{_name}__", lambda self, o, _op=_op: _op(o, self.value))


# Short state keys the metrics use, and the names Keras gives those variables.
_KERAS_NAMES = {
    "tp": "true_positives",
    "fp": "false_positives",
    "tn": "true_negatives",
    "fn": "false_negatives",
}


def named_leaves(tree: Any, prefix: str = "", like: Any = None) -> Iterator[tuple[str, Any]]:
    """``(name, leaf)`` pairs of ``tree``: dicts in the insertion order of ``like`` (a
    tree of the same structure; default ``tree`` itself), sequences in order, ``None``
    skipped. A dict key names its leaf; positions name the others."""
    like = tree if like is None else like
    if tree is None:
        return
    if isinstance(tree, dict):
        for key in like:
            name = _KERAS_NAMES.get(str(key), str(key))
            yield from named_leaves(tree[key], f"{prefix}_{name}" if prefix else name, like[key])
    elif isinstance(tree, list | tuple):
        for i, sub in enumerate(tree):
            name = f"{prefix}_{i}" if prefix else f"variable_{i}"
            yield from named_leaves(sub, name, like[i])
    else:
        yield prefix or "variable", tree


def leaves(tree: Any, like: Any = None) -> list[Any]:
    """The leaves of ``tree`` in :func:`named_leaves` order (dicts ordered as ``like``)."""
    return [leaf for _, leaf in named_leaves(tree, like=like)]


def rebuild(template: Any, values: Sequence[Any]) -> Any:
    """``template`` with its leaves replaced by ``values`` (the inverse of :func:`leaves`).

    Raises:
        ValueError: When ``values`` has more or fewer entries than ``template`` has leaves.
    """
    it = iter(values)

    def build(node: Any) -> Any:
        if node is None:
            return None
        if isinstance(node, dict):
            return type(node)((k, build(v)) for k, v in node.items())
        if isinstance(node, list):
            return [build(v) for v in node]
        if isinstance(node, tuple):
            items = [build(v) for v in node]
            return type(node)(*items) if hasattr(node, "_fields") else tuple(items)
        try:
            return next(it)
        except StopIteration:
            raise ValueError("Too few values for the state.") from None

    out = build(template)
    if next(it, None) is not None:
        raise ValueError("Too many values for the state.")
    return out


def check_count(owner: Any, values: Sequence[Any], expected: int, arg: str) -> None:
    """Raises Keras's error when ``values`` does not match ``owner.variables`` 1:1."""
    if len(values) != expected:
        raise ValueError(
            f"Argument `{arg}` must be a list of tensors corresponding 1:1 to "
            f"{type(owner).__name__}().variables. Received list with length "
            f"{len(values)}, but expected {expected} variables."
        )


@contextlib.contextmanager
def bound_states(metrics: Sequence[Any], values: Sequence[Any]) -> Iterator[Any]:
    """Runs Keras-style stateful metric code on explicit values (a step's
    ``metrics_variables``), for every metric of ``metrics`` at once.

    Inside the block, each metric's ``update_state`` / ``result`` / variables read and
    write its slice of ``values`` (metric by metric, each in ``variables`` order),
    whether the metric keeps a pure state (kerax's built-ins) or assigns its variables
    (metrics written the Keras way). Yields ``read()``, which returns the current values
    in the same order; the metrics' own states are restored on exit.
    """
    saved: list[tuple[Any, Any]] = []
    scopes: list[tuple[Any, StateScope, list[Any]]] = []  # metric, scope, initial
    start = 0
    try:
        for metric in metrics:
            n = len(metric.stateless_reset_state())
            part = list(values[start : start + n])
            start += n
            saved.append((metric, metric._state))
            metric._state = rebuild(metric._template(), part)
            scope = StateScope(metric, part)
            scope.__enter__()
            scopes.append((metric, scope, list(part)))
        if start != len(values):
            raise ValueError(
                f"metrics_variables holds {len(values)} values; the metrics "
                f"{[m.name for m in metrics]} have {start}."
            )

        def read() -> list[Any]:
            out: list[Any] = []
            for metric, scope, _ in scopes:
                # Declared (Keras-style) variables assign into the scope; kerax's
                # built-ins replace their pure state.
                out.extend(scope.values if metric._declared else metric._leaves(metric._state))
            return out

        yield read
    finally:
        for _, scope, _ in reversed(scopes):
            scope.__exit__(None, None, None)
        for metric, state in saved:
            metric._state = state
