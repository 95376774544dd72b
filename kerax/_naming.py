"""Unique default names for layers and models, as Keras gives them."""

from __future__ import annotations

import collections
import re

_COUNTS: collections.Counter[str] = collections.Counter()


def to_snake_case(name: str) -> str:
    """``"MaxPooling2D"`` -> ``"max_pooling2d"``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """Returns ``base`` the first time, then ``base_1``, ``base_2``, ... (Keras's scheme)."""
    count = _COUNTS[base]
    _COUNTS[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset() -> None:
    """Forgets every name handed out (``kerax.backend.clear_session``)."""
    _COUNTS.clear()
