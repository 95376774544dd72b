"""Logs: the metric results the loops hand to callbacks and return to users.

The compiled programs return results as device scalars. Converting them to Python
floats waits for the device, so the loops never do it per step: a callback receives a
:class:`LazyLogs`, a ``dict`` whose values are fetched the first time anything looks at
them. A batch hook that ignores its logs costs no host sync, and the steps keep
streaming to the device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np


class Logs(dict):
    """A plain ``dict`` of logs with its keys sorted, as Keras 3 orders them (``accuracy``
    before ``loss``), which also remembers the compile's order of the names for
    :func:`single_or_list`.

    Args:
        names: The logged names in the compile's order (``metrics_names``).
        values: ``{name: value}``.
    """

    __slots__ = ("names",)

    def __init__(self, names: Sequence[str], values: dict[str, float]) -> None:
        super().__init__((k, values[k]) for k in sorted(values))
        self.names = tuple(dict.fromkeys(names))

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Adds entries and sorts the keys again (``fit`` adds the ``val_`` logs so:
        Keras 3 sorts the whole epoch's logs, ``val_a_loss`` before ``zb_loss``)."""
        merged = dict(self)
        merged.update(*args, **kwargs)
        dict.clear(self)
        dict.update(self, sorted(merged.items()))

    def __reduce__(self) -> Any:
        return (dict, (dict(self.items()),))


def host_logs(names: Sequence[str], results: Any) -> Logs:
    """The results as Python floats, keys sorted as Keras 3 sorts them (one device sync).

    ``results`` is ``{name: device scalar}``, or the training runners' packed form: one
    vector of every value in ``names`` order (one transfer; see
    :meth:`kerax.training.programs.Programs.pack_results`).
    """
    if isinstance(results, dict):
        values = jax.device_get(results)
        return Logs(names, {k: float(values[k]) for k in names})
    return Logs(names, dict(zip(names, np.asarray(results, np.float64).tolist(), strict=True)))


def host_rows(names: Sequence[str], rows: Any, count: int) -> list[Logs]:
    """The first ``count`` steps' logs from a logged runner's per-step results (as
    :func:`host_logs`: ``{name: (steps,) array}`` or packed, one row per step)."""
    if isinstance(rows, dict):
        values = jax.device_get(rows)
        return [Logs(names, {n: float(values[n][k]) for n in names}) for k in range(count)]
    table = np.asarray(rows, np.float64)[:count].tolist()
    return [Logs(names, dict(zip(names, row, strict=True))) for row in table]


def single_or_list(logs: dict[str, float]) -> Any:
    """What ``evaluate`` and ``*_on_batch`` return without ``return_dict``: the values in
    the compile's order of the names (``"loss"`` first, as Keras lists them), then any
    other key in the logs' order."""
    order = [n for n in getattr(logs, "names", ()) if n in logs]
    order += [k for k in logs if k not in order]
    values = [logs[k] for k in order]
    return values[0] if len(values) == 1 else values


def _filled(name: str) -> Callable[..., Any]:
    method = getattr(dict, name)

    def reader(self: LazyLogs, *args: Any, **kwargs: Any) -> Any:
        self._fill()
        return method(self, *args, **kwargs)

    reader.__name__ = name
    reader.__doc__ = method.__doc__
    return reader


class LazyLogs(dict):
    """A ``dict`` of logs whose values are read from the device on first use.

    Its keys are sorted as in :class:`Logs`. It behaves as the plain dict Keras hands
    to callbacks (reads, writes, ``dict(logs)``, ``{**logs}``, ``json.dumps``,
    ``isinstance(logs, dict)``); the only difference is when the device is waited for.

    Args:
        names: The keys, in order.
        results: ``{name: device scalar}`` as a program returned it.
    """

    __slots__ = ("_pending",)

    def __init__(self, names: Sequence[str], results: Any) -> None:
        super().__init__()
        self._pending: tuple[Sequence[str], Any] | None = (names, results)

    def _fill(self) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            dict.update(self, host_logs(*pending))

    def __reduce__(self) -> Any:
        self._fill()
        return (dict, (dict(self.items()),))


for _name in (
    "__getitem__",
    "__iter__",
    "__len__",
    "__contains__",
    "__repr__",
    "__eq__",
    "__ne__",
    "__or__",
    "__ror__",
    "__ior__",
    "__setitem__",
    "__delitem__",
    "__reversed__",
    "get",
    "keys",
    "values",
    "items",
    "copy",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "clear",
):
    setattr(LazyLogs, _name, _filled(_name))
LazyLogs.__hash__ = None  # type: ignore[assignment]
del _name
