"""The global seed behind eager initialisation and ``fit``'s default RNG.

The pure core never reads it: ``init(rng)`` and ``apply(..., rng=)`` take their keys
explicitly. Only the Keras facade draws from it, when a layer's weights are created
lazily or when ``fit`` starts without a key, so that ``set_random_seed`` makes a whole
script deterministic.
"""

from __future__ import annotations

import random as _py_random

import jax
import numpy as np

_state = {"seed": None, "count": 0}


def set_random_seed(seed: int) -> None:
    """Seeds kerax's key stream, Python's ``random`` and NumPy's global generator."""
    _state["seed"] = int(seed)
    _state["count"] = 0
    _py_random.seed(seed)
    np.random.seed(seed)


def next_key() -> jax.Array:
    """The next key of the global stream (seeded from the OS when never set)."""
    if _state["seed"] is None:
        _state["seed"] = int(np.random.SeedSequence().entropy % (2**31))
    key = jax.random.fold_in(jax.random.key(_state["seed"]), _state["count"])
    _state["count"] += 1
    return key


def next_seed() -> int:
    """The next integer seed of the global stream, for host-side generators (NumPy).

    Drawn without touching the device, from the same seed and counter as
    :func:`next_key`.
    """
    if _state["seed"] is None:
        _state["seed"] = int(np.random.SeedSequence().entropy % (2**31))
    seed = int(np.random.SeedSequence([_state["seed"], _state["count"]]).generate_state(1)[0])
    _state["count"] += 1
    return seed
