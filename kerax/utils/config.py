"""``Config``: a dict of named values reachable as attributes, that can be frozen."""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import Any

_FROZEN_MESSAGE = "Cannot mutate attribute(s) because the config is frozen."


class Config:
    """A dict-like container of named values, with attribute access and freezing.

    Values are set and read either as attributes (``config.seed = 1``) or as items
    (``config["seed"]``). Once :meth:`freeze` is called, every write raises until
    :meth:`unfreeze`. The whole config serializes to JSON with :meth:`to_json`.

    Names of the class's own methods and properties (``keys``, ``frozen``, ...) cannot
    be set as attributes: set and read them as items (``config["keys"] = ...``).

    Args:
        **kwargs: The initial entries.

    Example:

    ```python
    config = Config(learning_rate=0.1)
    config.momentum = 0.9
    config["seed"] = 123
    config.freeze()
    config.seed = 7  # ValueError: the config is frozen
    ```
    """

    __slots__ = ("_config", "_frozen")

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self) -> None:
        """Refuses every later change (until :meth:`unfreeze`)."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Accepts changes again."""
        object.__setattr__(self, "_frozen", False)

    def _check_mutable(self) -> None:
        if self._frozen:
            raise ValueError(_FROZEN_MESSAGE)

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy of the entries as a plain ``dict``."""
        return copy.copy(self._config)

    def to_json(self) -> str:
        """The entries as a JSON string (``json.dumps`` of :meth:`as_dict`)."""
        return json.dumps(self._config)

    def keys(self) -> KeysView[str]:
        """The entry names, in insertion order."""
        return self._config.keys()

    def values(self) -> ValuesView[Any]:
        """The entry values, in insertion order."""
        return self._config.values()

    def items(self) -> ItemsView[str, Any]:
        """The ``(name, value)`` pairs, in insertion order."""
        return self._config.items()

    def get(self, keyname: str, value: Any = None) -> Any:
        """The entry ``keyname``, or ``value`` when there is none."""
        return self._config.get(keyname, value)

    def pop(self, *args: Any) -> Any:
        """Removes and returns an entry, as ``dict.pop`` (refused when frozen)."""
        self._check_mutable()
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Adds or replaces entries, as ``dict.update`` (refused when frozen)."""
        self._check_mutable()
        self._config.update(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name):
            raise AttributeError(
                f"Cannot set Config attribute '{name}': it names a Config method or "
                f"property. Set it as an item instead: config[{name!r}] = ..."
            )
        self._check_mutable()
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the entries, then a helpful error.
        if name.startswith("__") or name in Config.__slots__:
            raise AttributeError(name)
        config = self._config
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, [str(k) for k in config], n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __delattr__(self, name: str) -> None:
        if name not in self._config:
            raise AttributeError(f"Unknown attribute: '{name}'.")
        self._check_mutable()
        del self._config[name]

    def __setitem__(self, key: str, item: Any) -> None:
        self._check_mutable()
        self._config[key] = item

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __delitem__(self, key: str) -> None:
        self._check_mutable()
        del self._config[key]

    def __contains__(self, item: object) -> bool:
        return item in self._config

    def __iter__(self) -> Iterator[str]:
        """The entry names, sorted."""
        return iter(sorted(self._config))

    def __len__(self) -> int:
        return len(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"

    def __getstate__(self) -> tuple[dict[str, Any], bool]:
        return (self._config, self._frozen)

    def __setstate__(self, state: tuple[dict[str, Any], bool]) -> None:
        object.__setattr__(self, "_config", state[0])
        object.__setattr__(self, "_frozen", state[1])
