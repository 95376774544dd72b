"""Lists and dicts of layers held by a layer's attributes, tracked as they change.

Keras tracks the layers in a list or dict attribute also when they are added after
the assignment (``self.blocks = []`` in ``__init__``, then ``self.blocks.append(...)``
in a loop, or in ``build``). Without that a layer appended later would own weights the
model never reaches: silently missing from ``weights``, from training and from files.
``Layer.__setattr__`` stores such containers as :class:`TrackedList` /
:class:`TrackedDict`, which report every layer put into them to their owner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class TrackedList(list):
    """A ``list`` that reports the layers put into it to ``track``."""

    def __init__(self, items: Iterable[Any], track: Callable[[Any], None]) -> None:
        super().__init__(items)
        self._track = track

    def append(self, item: Any) -> None:
        self._track(item)
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        items = list(items)
        for item in items:
            self._track(item)
        super().extend(items)

    def insert(self, index: Any, item: Any) -> None:
        self._track(item)
        super().insert(index, item)

    def __setitem__(self, index: Any, item: Any) -> None:
        for value in item if isinstance(index, slice) else [item]:
            self._track(value)
        super().__setitem__(index, item)

    def __iadd__(self, items: Iterable[Any]) -> TrackedList:
        self.extend(items)
        return self

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class TrackedDict(dict):
    """A ``dict`` that reports the layers put into it to ``track``."""

    def __init__(self, items: Any, track: Callable[[Any], None]) -> None:
        super().__init__(items)
        self._track = track

    def __setitem__(self, key: Any, item: Any) -> None:
        self._track(item)
        super().__setitem__(key, item)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for value in dict(*args, **kwargs).values():
            self._track(value)
        super().update(*args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self._track(default)
        return super().setdefault(key, default)

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))
