"""Randomness the Keras way: the global seed, ``SeedGenerator`` and ``kerax.random`` ops.

The pure core never reads the global seed: ``init(rng)`` and ``apply(..., rng=)`` take
their keys explicitly. Only the Keras facade draws from it, when a layer's weights are
created lazily or when ``fit`` starts without a key, so that ``set_random_seed`` makes a
whole script deterministic.

The random ops (``normal``, ``uniform``, ``dropout``...) take Keras's ``seed=``:

- a :class:`SeedGenerator` (what custom layers hold). Inside a layer's ``call`` during
  ``apply``, its keys come from the apply's key (``ctx.rng()``, folded with the
  generator's seed): new numbers every step, reproducible from the train state's key,
  and nothing stateful inside the jitted step. Outside, the generator advances its own
  counter, as Keras's eager generators do.
- an int: a fixed key, so the same numbers at every call, as in Keras.
- None: inside ``call``, the apply's key; outside, the global stream.
- a JAX PRNG key, used as it is.
"""

from __future__ import annotations

import random as _py_random
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import _threefry

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
    seed, count = _state["seed"], _state["count"]
    _state["count"] += 1
    if host_keys() and -(2**31) <= seed < 2**31:
        # The same key, derived on the host: no program compiled for it (kerax._threefry).
        return jax.random.wrap_key_data(_threefry.fold_in(_threefry.seed(seed), count))
    return jax.random.fold_in(jax.random.key(seed), count)


def host_keys(key: Any = None) -> bool:
    """Whether keys (``key``'s, or new ones) are JAX's threefry2x32, whose derivation
    :mod:`kerax._threefry` reproduces on the host."""
    if key is None:
        return str(jax.config.jax_default_prng_impl) == "threefry2x32"
    if isinstance(key, jax.core.Tracer) or not jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return False
    return str(jax.random.key_impl(key)) == "threefry2x32"


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


class SeedGenerator:
    """A source of PRNG keys for the random ops, held by a layer (Keras's name).

    Args:
        seed: An int; drawn from the global stream when omitted.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        self.seed = int(seed) if seed is not None else next_seed()
        self._count = 0

    def next(self) -> jax.Array:
        """The next key: from the running apply inside a layer's ``call``, else from
        this generator's own counter."""
        from kerax.graph import frame as _frame

        ctx = _frame.ACTIVE.get()
        if ctx is not None:
            return jax.random.fold_in(ctx.rng(), self.seed)
        from kerax.graph import step_context as _step_context

        step = _step_context.current()
        if step is not None:  # a model's own train_step, traced: the step's keys
            return jax.random.fold_in(step.next_key(), self.seed)
        key = jax.random.fold_in(jax.random.key(self.seed), self._count)
        self._count += 1
        return key

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator seed={self.seed}>"


def _key(seed: Any) -> jax.Array:
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        from kerax.graph import frame as _frame

        ctx = _frame.ACTIVE.get()
        return ctx.rng() if ctx is not None else next_key()
    if isinstance(seed, int | np.integer):
        # Keras's key for an integer seed (the raw key ``[seed, 0]``): the same numbers.
        return jax.random.wrap_key_data(jnp.array([int(seed) & 0xFFFFFFFF, 0], jnp.uint32))
    if isinstance(seed, jax.Array) and jax.dtypes.issubdtype(seed.dtype, jax.dtypes.prng_key):
        return seed
    raise TypeError(
        "`seed` must be an int, a kerax.random.SeedGenerator, a JAX PRNG key or None; "
        f"received {type(seed).__name__}."
    )


def _float(dtype: Any) -> Any:
    return jnp.dtype(dtype or "float32")


def normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a normal distribution."""
    return mean + stddev * jax.random.normal(_key(seed), tuple(shape), _float(dtype))


def uniform(
    shape: Sequence[int],
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples uniformly from ``[minval, maxval)``."""
    return jax.random.uniform(_key(seed), tuple(shape), _float(dtype), minval, maxval)


def truncated_normal(
    shape: Sequence[int],
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a normal distribution cut at two standard deviations (Keras's rule)."""
    unit = jax.random.truncated_normal(_key(seed), -2.0, 2.0, tuple(shape), _float(dtype))
    return mean + stddev * unit


def randint(
    shape: Sequence[int], minval: int, maxval: int, dtype: Any = "int32", seed: Any = None
) -> jax.Array:
    """Samples integers uniformly from ``[minval, maxval)``."""
    return jax.random.randint(_key(seed), tuple(shape), minval, maxval, jnp.dtype(dtype))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> jax.Array:
    """Draws ``num_samples`` class indices per row of ``logits`` (batch, classes)."""
    logits = jnp.asarray(logits)
    out = jax.random.categorical(
        _key(seed), logits[:, None, :], axis=-1, shape=(logits.shape[0], num_samples)
    )
    return out.astype(jnp.dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> jax.Array:
    """Zeroes entries with probability ``rate`` and scales the rest by ``1 / (1 - rate)``.

    ``noise_shape`` (broadcastable to the input's shape) shares one draw along axes of
    size 1, e.g. ``(batch, 1, channels)`` drops whole channels.
    """
    inputs = jnp.asarray(inputs)
    shape = (
        inputs.shape
        if noise_shape is None
        else tuple(d if d is not None else inputs.shape[i] for i, d in enumerate(noise_shape))
    )
    keep = jax.random.bernoulli(_key(seed), 1.0 - rate, shape)
    return jnp.where(keep, inputs / (1.0 - rate), jnp.zeros((), inputs.dtype)).astype(inputs.dtype)


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> jax.Array:
    """``x`` with its entries along ``axis`` in a random order."""
    return jax.random.permutation(_key(seed), jnp.asarray(x), axis=axis, independent=False)


def gamma(shape: Sequence[int], alpha: float, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Samples from a gamma distribution with concentration ``alpha`` (scale 1)."""
    return jax.random.gamma(_key(seed), alpha, tuple(shape), _float(dtype))


def binomial(
    shape: Sequence[int], counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None
) -> jax.Array:
    """Samples successes out of ``counts`` trials with success ``probabilities``."""
    out = jax.random.binomial(_key(seed), counts, probabilities, tuple(shape))
    return out.astype(_float(dtype))


def beta(
    shape: Sequence[int], alpha: Any, beta: Any, dtype: Any = None, seed: Any = None
) -> jax.Array:
    """Samples from a beta distribution."""
    return jax.random.beta(_key(seed), alpha, beta, tuple(shape), _float(dtype))
