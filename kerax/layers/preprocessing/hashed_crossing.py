"""HashedCrossing: crosses of categorical features, hashed into ``num_bins`` buckets.

Keras crosses with TensorFlow's ``tf.sparse.cross_hashed``: starting from the key
``0xDECAFCAFFE``, each feature's hash is folded in with ``FingerprintCat64``, and the
bucket is the result modulo ``num_bins``. A string feature's hash is its FarmHash
``Fingerprint64``; an integer feature's hash is the integer itself (as an unsigned
64-bit word). kerax does the same in pure Python on the host, so its buckets are Keras's
(checked against the values of Keras's own tests).

Integer features work anywhere, a compiled model included (through
``jax.pure_callback``); string features, which JAX arrays cannot hold, work when the
layer is called directly on lists or NumPy arrays (a preprocessing step, as
``FeatureSpace`` uses it, on the integer indices of its lookups).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing._farmhash import fingerprint64
from kerax.layers.preprocessing.category_encoding import encode

_MASK = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default key


def _shift_mix(value: int) -> int:
    return value ^ (value >> 47)


def fingerprint_cat64(first: int, second: int) -> int:
    """TensorFlow's ``FingerprintCat64``: two 64-bit fingerprints combined into one."""
    result = first ^ _MUL
    result ^= (_shift_mix((second * _MUL) & _MASK) * _MUL) & _MASK
    result = (result * _MUL) & _MASK
    result = (_shift_mix(result) * _MUL) & _MASK
    return _shift_mix(result)


def _feature_hash(value: Any) -> int:
    if isinstance(value, bytes):
        return fingerprint64(value)
    if isinstance(value, str):
        return fingerprint64(value.encode("utf-8"))
    return int(value) & _MASK


def cross_buckets(features: Sequence[Any], num_bins: int) -> np.ndarray:
    """The bucket of each row's cross of ``features`` (equal-shape arrays), int64."""
    arrays = [np.asarray(f) for f in features]
    flat = [[v.item() if isinstance(v, np.generic) else v for v in a.reshape(-1)] for a in arrays]
    out = []
    for row in zip(*flat, strict=True):
        digest = _HASH_KEY
        for value in row:
            digest = fingerprint_cat64(digest, _feature_hash(value))
        out.append(digest % num_bins)
    return np.asarray(out, np.int64).reshape(arrays[0].shape)


def _kind(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        dtype = np.asarray(value).dtype
    if str(dtype) == "string":  # a symbolic string tensor
        return "O"
    return np.dtype(dtype).kind


class HashedCrossing(Layer):
    """Crosses categorical features (strings or integers) and hashes each cross into one
    of ``num_bins`` buckets, with Keras's (TensorFlow's) bucket values.

    Args:
        num_bins: The number of hash buckets.
        output_mode: ``"int"`` (default: bucket indices, in the layer's dtype, int64 by
            default, which JAX holds as int32 unless 64-bit types are enabled) or
            ``"one_hot"`` (floats).
        sparse: Only ``False``: kerax produces dense arrays.
        name: The layer's name.
        dtype: The output dtype.

    Call arguments:
        inputs: A list or tuple of at least two features of equal shape, integers or
            strings (strings only when called directly, not in a model).

    Input shape:
        Each feature ``()``, ``(batch,)`` or ``(batch, 1)``.

    Output shape:
        ``int``: the features' shape; ``one_hot``: ``num_bins`` appended (a trailing 1
        replaced).
    """

    autocast = False

    def __init__(
        self,
        num_bins: int,
        output_mode: str = "int",
        sparse: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(
                f"HashedCrossing: `num_bins` must be a positive integer, received {num_bins!r}."
            )
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Received an invalid value for `output_mode` in HashedCrossing: expected one "
                f"of ('int', 'one_hot'), received output_mode={output_mode!r}."
            )
        if sparse:
            raise ValueError(
                "HashedCrossing(sparse=True) is not supported by kerax: the JAX backend "
                "computes dense arrays. Pass sparse=False."
            )
        self.num_bins, self.output_mode, self.sparse = num_bins, output_mode, False

    # ------------------------------------------------------------------ checks
    def _check(self, inputs: Any) -> list[Any]:
        if not isinstance(inputs, list | tuple):
            raise ValueError(
                f"`HashedCrossing` '{self.name}' should be called on a list or tuple of "
                f"inputs. Received: inputs of type {type(inputs).__name__}."
            )
        if len(inputs) < 2:
            raise ValueError(
                f"`HashedCrossing` '{self.name}' should be called on at least two inputs. "
                f"Received {len(inputs)}."
            )
        shapes = [tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                f"All `HashedCrossing` '{self.name}' inputs should have shape `()`, "
                f"`(batch_size)` or `(batch_size, 1)`. Received shapes {shapes}."
            )
        if any(s != first for s in shapes[1:]):
            raise ValueError(
                f"All `HashedCrossing` '{self.name}' inputs should have equal shape. "
                f"Received shapes {shapes}."
            )
        kinds = [_kind(x) for x in inputs]
        if any(k not in "iuUSO" for k in kinds):
            raise ValueError(
                f"All `HashedCrossing` '{self.name}' inputs should have an integer or string "
                f"dtype. Received dtypes {[str(getattr(x, 'dtype', '?')) for x in inputs]}."
            )
        return list(inputs)

    def _encode(self, buckets: jax.Array) -> jax.Array:
        dtype = self.dtype if self.output_mode == "int" else self.compute_dtype
        dtype = jax.dtypes.canonicalize_dtype(dtype)
        return encode(buckets, self.output_mode, self.num_bins, dtype, None, self.name)

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        from kerax.graph import symbolic

        if not symbolic.any_symbolic(inputs):
            kwargs.pop("training", None)
            if args or kwargs:
                raise TypeError(
                    f"HashedCrossing '{self.name}' takes one argument (the list of features); "
                    f"received extra {len(args)} positional and {sorted(kwargs)} keyword "
                    "argument(s)."
                )
            features = self._check(inputs)
            if any(_kind(x) in "USO" for x in features):
                buckets = cross_buckets(
                    [np.asarray(x) if isinstance(x, jax.Array) else x for x in features],
                    self.num_bins,
                )
                return self._encode(jnp.asarray(buckets.astype(np.int32)))
        elif any(_kind(x) in "USO" for x in self._check(inputs)):
            raise ValueError(
                f"HashedCrossing '{self.name}' cannot cross string features inside a model: "
                "a compiled model holds no strings. Map them to integers first (StringLookup "
                "on the string Input, as FeatureSpace does), or call the layer directly on "
                "host arrays of strings."
            )
        return super().__call__(inputs, *args, **kwargs)

    def apply(self, ctx: Any, inputs: Sequence[jax.Array]) -> jax.Array:
        features = [jnp.asarray(x) for x in inputs]
        out = jax.ShapeDtypeStruct(features[0].shape, jnp.int32)
        buckets = jax.pure_callback(
            lambda *v: cross_buckets(v, self.num_bins).astype(np.int32),
            out,
            *features,
            vmap_method="sequential",
        )
        return self._encode(buckets)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
