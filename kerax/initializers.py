"""Weight initializers by Keras name and class, with Keras's defaults and formulas.

Each initializer is a pure function of a PRNG key: ``init(key, shape, dtype)``. A plain
callable ``fn(shape, dtype=None)`` (Keras's signature, no key) is accepted too, for
deterministic user initializers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import _settings
from kerax.errors import unknown_name

Shape = tuple[int, ...]


def _fans(shape: Shape) -> tuple[float, float]:
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def keras_seed_key(seed: int) -> jax.Array:
    """The PRNG key Keras draws from for an integer seed (the raw key ``[seed, 0]``), so
    that a seeded initializer gives Keras's values."""
    return jax.random.wrap_key_data(jnp.array([seed & 0xFFFFFFFF, 0], jnp.uint32))


def _int_seed(init: Any) -> int | None:
    """The initializer's integer seed (Keras's fixed draw), or None."""
    seed = getattr(init, "seed", None)
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return int(seed)
    return None


def _seed_key(init: Any) -> jax.Array | None:
    seed = _int_seed(init)
    return None if seed is None else keras_seed_key(seed)


def _draws_by_index(key: Any) -> bool:
    """Whether ``key`` draws element i of any shape from counter i (threefry keys), so
    that a flat draw reshaped equals a draw of the shape."""
    try:
        return str(jax.random.key_impl(key)) == "threefry2x32"
    except (TypeError, ValueError):
        return False


def scaled_draw(
    key: Any,
    shape: Sequence[int],
    dtype: Any,
    distribution: str,
    factor: Any,
    keras_draw: bool = False,
) -> Any:
    """A variance-scaling draw: ``factor`` times a truncated (to two standard
    deviations) or plain standard normal, or uniform in ``[-factor, factor)``. ``factor``
    may be traced: the weight-creation programs take it as an argument, so one program
    serves every shape (:mod:`kerax.layers._weights`).

    A float32 uniform is :func:`symmetric_uniform` unless ``keras_draw`` (an integer
    seed, whose numbers are Keras's ``uniform(minval=-factor, maxval=factor)``)."""
    shape = tuple(shape)
    if distribution == "truncated_normal":
        return factor * jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)
    if distribution == "untruncated_normal":
        return factor * jax.random.normal(key, shape, dtype)
    if not keras_draw and jnp.dtype(dtype) == jnp.float32:
        return symmetric_uniform(key, shape, factor)
    return jax.random.uniform(key, shape, dtype, -factor, factor)


def symmetric_uniform(key: Any, shape: Sequence[int], limit: Any) -> Any:
    """Float32 uniform in ``[-limit, limit)``: ``limit`` times ``u``, where ``u`` is the
    top 23 bits of a 32-bit draw as the mantissa of a number in ``[2, 4)``, minus 3
    (exact: ``u`` is uniform on the multiples of ``2**-22`` in ``[-1, 1)``).

    One rounding, the product's, whatever the compiler fuses, so the host draws the
    same numbers without a program (:mod:`kerax._threefry`; ``jax.random.uniform``'s
    ``u * (max - min) + min`` rounds once or twice depending on whether XLA fuses a
    multiply-add on the machine)."""
    bits = jax.random.bits(key, tuple(shape), jnp.uint32)
    mantissa = jax.lax.shift_right_logical(bits, jnp.uint32(9)) | jnp.uint32(0x40000000)
    u = jax.lax.bitcast_convert_type(mantissa, jnp.float32) - jnp.float32(3.0)
    return jnp.asarray(limit, jnp.float32) * u


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple | list) and all(isinstance(d, int | np.integer) for d in value)


def _accepting_keras_calls(call: Callable[..., Any]) -> Callable[..., Any]:
    """``call(key, shape, dtype)`` that also takes Keras's ``(shape, dtype=None)``: the key
    then comes from the initializer's ``seed`` (Keras's draw) or, without one, from
    :func:`kerax.random.next_key`; ``dtype=None`` is :func:`kerax.config.floatx`."""

    @functools.wraps(call)
    def __call__(self: Any, *args: Any, **kwargs: Any) -> jax.Array:
        keras_form = "key" not in kwargs and (_is_shape(args[0]) if args else "shape" in kwargs)
        if not keras_form:
            return call(self, *args, **kwargs)
        shape = args[0] if args else kwargs.pop("shape")
        dtype = args[1] if len(args) > 1 else kwargs.pop("dtype", None)
        if kwargs or len(args) > 2:
            raise TypeError(
                f"{type(self).__name__}() takes (shape, dtype=None) in Keras's form; received "
                f"extra arguments {list(args[2:])} {sorted(kwargs)}."
            )
        key = _seed_key(self)
        if key is None:
            from kerax.random import next_key

            key = next_key()
        return call(self, key, tuple(int(d) for d in shape), dtype or _settings.floatx())

    return __call__


class Initializer:
    """Base class: subclasses implement ``__call__(key, shape, dtype)``.

    kerax's initializers also take Keras's call, ``init(shape, dtype=None)``: with an
    integer ``seed`` they return exactly Keras's values.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get("__call__")
        if call is not None and cls.__module__ == __name__:
            cls.__call__ = _accepting_keras_calls(call)  # type: ignore[method-assign]

    def __call__(self, key: jax.Array, shape: Shape, dtype: Any = "float32") -> jax.Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Re-creates the initializer; keys its constructor does not take (Keras 3 adds
        some, like ``input_axes``) are ignored when they are None."""
        import inspect

        accepted = inspect.signature(cls.__init__).parameters
        return cls(**{k: v for k, v in config.items() if k in accepted or v is not None})


class Constant(Initializer):
    """Fills with ``value``."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, key, shape, dtype="float32"):
        return jnp.full(shape, self.value, dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    """Fills with 0."""

    def __init__(self) -> None:
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """Fills with 1."""

    def __init__(self) -> None:
        super().__init__(1.0)

    def get_config(self):
        return {}


class RandomNormal(Initializer):
    """Normal draws with ``mean`` and ``stddev`` (Keras default 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, key, shape, dtype="float32"):
        return self.mean + self.stddev * jax.random.normal(key, shape, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer):
    """Uniform draws in ``[minval, maxval)`` (Keras default ±0.05)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, key, shape, dtype="float32"):
        return jax.random.uniform(key, shape, dtype, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(Initializer):
    """Normal draws cut at two standard deviations (Keras default stddev 0.05)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, key, shape, dtype="float32"):
        return self.mean + self.stddev * jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Draws scaled to the fan of the weight, as Keras's ``VarianceScaling``."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"`scale` must be positive, received scale={scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"`mode` must be fan_in, fan_out or fan_avg, received {mode!r}.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "`distribution` must be truncated_normal, untruncated_normal or uniform, "
                f"received {distribution!r}."
            )
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.input_axes = None if input_axes is None else [int(a) for a in input_axes]
        self.output_axes = None if output_axes is None else [int(a) for a in output_axes]

    def __call__(self, key, shape, dtype="float32"):
        # Drawn flat and reshaped where that gives the same values (threefry draws
        # element i from counter i): the program compiles about twice as fast as one
        # over a 2-D or 4-D shape, and every first fit compiles one per kernel shape.
        flat = (math.prod(shape),) if _draws_by_index(key) else tuple(shape)
        seeded = _int_seed(self) is not None
        factor = self.draw_factor(shape)
        value = scaled_draw(key, flat, dtype, self.distribution, factor, keras_draw=seeded)
        return value.reshape(shape)

    def draw_factor(self, shape: Sequence[int]) -> float:
        """The number that scales this initializer's draw for ``shape``: the standard
        deviation (normal draws) or the limit (uniform) (see :func:`scaled_draw`)."""
        shape = tuple(shape)
        fan_in, fan_out = _fans(shape)
        if self.input_axes is not None and self.output_axes is not None:
            # Keras 3.15: with both given, the fans are the sizes of those axes.
            fan_in = float(math.prod(shape[a] for a in self.input_axes))
            fan_out = float(math.prod(shape[a] for a in self.output_axes))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return math.sqrt(scale) / 0.87962566103423978
        if self.distribution == "untruncated_normal":
            return math.sqrt(scale)
        return math.sqrt(3.0 * scale)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


def _scaling(name: str, scale: float, mode: str, distribution: str) -> type[VarianceScaling]:
    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    doc = f"``VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})``."
    return type(
        name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc}
    )


GlorotUniform = _scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, for recurrent kernels."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain, self.seed = gain, seed

    def __call__(self, key, shape, dtype="float32"):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal needs a shape of rank >= 2, received {shape}.")
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = jax.random.normal(key, (max(rows, cols), min(rows, cols)), "float32")
        q, r = jnp.linalg.qr(flat)
        q = q * jnp.sign(jnp.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q[:rows, :cols]).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, key, shape, dtype="float32"):
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-D shape, received {shape}.")
        return self.gain * jnp.eye(*shape, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier: Any) -> Initializer | Callable[..., Any]:
    """Resolves an initializer from a name, a class name, an instance or a callable.

    Raises:
        ValueError: For an unknown name; the message lists the closest known names.
    """
    if identifier is None:
        return Zeros()
    if (
        isinstance(identifier, Initializer)
        or callable(identifier)
        and not isinstance(identifier, type)
    ):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):
        cls = _BY_CLASS.get(identifier.get("class_name", ""))
        if cls is not None:
            return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls()
    raise unknown_name("initializer", identifier, _BY_NAME)


def serialize(initializer: Any) -> Any:
    """Keras's config form of an initializer: ``{"module", "class_name", "config"}``."""
    if isinstance(initializer, Initializer):
        return {
            "module": "keras.initializers",
            "class_name": type(initializer).__name__,
            "config": initializer.get_config(),
            "registered_name": None,
        }
    return getattr(initializer, "__name__", initializer)


def deserialize(
    config: Any, custom_objects: dict[str, Any] | None = None
) -> Initializer | Callable[..., Any]:
    """The initializer a Keras config dict (or a name) describes; names in
    ``custom_objects`` are looked up first.

    Raises:
        ValueError: For an unknown class name.
    """
    name = config.get("class_name") if isinstance(config, dict) else config
    if custom_objects and isinstance(name, str) and name in custom_objects:
        found = custom_objects[name]
        if isinstance(found, type) and isinstance(config, dict):
            return found.from_config(config.get("config", {}))
        return found
    return get(config)


# Keras's other names for the same classes.
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
constant = Constant
zeros = Zeros
ones = Ones
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
identity = Identity

from kerax._stft_initializer import STFT  # noqa: E402  (it subclasses Initializer)

STFTInitializer = stft = STFT
_BY_NAME["stft"] = STFT
_BY_CLASS["STFT"] = STFT


def initialize(init: Any, key: jax.Array, shape: Shape, dtype: Any) -> jax.Array:
    """Runs ``init`` for one weight: with a key for kerax initializers, without for
    Keras-signature callables ``fn(shape, dtype=None)``."""
    if isinstance(init, Initializer):
        # An integer seed fixes the values, as in Keras (the same for every weight).
        seeded = _seed_key(init)
        return init(key if seeded is None else seeded, tuple(shape), dtype)
    return jnp.asarray(np.asarray(init(tuple(shape), dtype=dtype)), dtype)
