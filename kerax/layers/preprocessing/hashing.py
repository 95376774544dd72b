"""Hashing: values to ``num_bins`` buckets with Keras's hash functions.

Values are hashed as TensorFlow does for Keras: integers (and floats, truncated to
integers) by their decimal string, strings by their UTF-8 bytes; without ``salt`` with
FarmHash ``Fingerprint64``, with ``salt`` with SipHash-2-4 keyed by the salt; the bucket
is the hash modulo the number of bins. So kerax's buckets are Keras's (checked against
published test vectors of both hashes and Keras's own expected outputs).

The hashes run on the host (pure Python). Numeric inputs work anywhere, a compiled
model included (through ``jax.pure_callback``); string inputs, which JAX arrays cannot
hold, work when the layer is called directly on a list or NumPy array of strings (as a
preprocessing step before the model, the place Keras recommends for this layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing._farmhash import fingerprint64, siphash64
from kerax.layers.preprocessing.category_encoding import OUTPUT_MODES, encode


def _is_text(values: Any) -> bool:
    if isinstance(values, str | bytes):
        return True
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "USO"
    if isinstance(values, list | tuple):
        return any(_is_text(v) for v in values)
    return False


class Hashing(Layer):
    """Maps values to bucket indices in ``[0, num_bins)`` by hashing them.

    Args:
        num_bins: The number of buckets, mask bucket included.
        mask_value: Values equal to it go to bucket 0, the others to ``[1, num_bins)``.
        salt: None (FarmHash Fingerprint64), an integer ``s`` (SipHash with key
            ``(s, s)``), or a pair of integers (SipHash with that key).
        output_mode: ``"int"`` (default: the indices, in the layer's dtype, int64 by
            default, which JAX holds as int32 unless 64-bit types are enabled),
            ``"one_hot"``, ``"multi_hot"`` or ``"count"`` (floats).
        sparse: Only ``False``: kerax produces dense arrays.

    Input shape:
        Integers or floats of any shape, or strings when called directly.

    Output shape:
        ``int``: the input's; ``one_hot``: a ``num_bins`` axis appended (a trailing 1
        replaced); ``multi_hot`` / ``count``: ``(batch, num_bins)``.
    """

    autocast = False

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: int | Sequence[int] | None = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(num_bins, int):
            raise ValueError(
                f"Hashing: `num_bins` must be a positive integer, received {num_bins!r}."
            )
        if num_bins <= 0:
            raise ValueError(
                f"Hashing: `num_bins` must be a positive integer, received {num_bins}."
            )
        if output_mode not in ("int", *OUTPUT_MODES):
            raise ValueError(
                "Received an invalid value for `output_mode` in Hashing: expected one of "
                f"{('int', *OUTPUT_MODES)}, received output_mode={output_mode!r}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "Hashing: with output_mode='int' the dtype must be 'int32' or 'int64', "
                f"received dtype={self.dtype!r}."
            )
        if sparse:
            raise ValueError(
                "Hashing(sparse=True) is not supported by kerax: the JAX backend computes "
                "dense arrays. Pass sparse=False."
            )
        if salt is None:
            self.salt = None
        elif isinstance(salt, int) and not isinstance(salt, bool):
            self.salt = [salt, salt]
        elif (
            isinstance(salt, list | tuple)
            and len(salt) == 2
            and all(isinstance(s, int) and not isinstance(s, bool) for s in salt)
        ):
            self.salt = list(salt)
        else:
            raise ValueError(
                f"Hashing: `salt` must be an integer or a pair of integers, received salt={salt!r}."
            )
        self.num_bins, self.mask_value = num_bins, mask_value
        self.strong_hash = self.salt is not None
        self.output_mode, self.sparse = output_mode, False

    # ------------------------------------------------------------------ hashing
    def _bucket(self, value: Any) -> int:
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        if masked:
            if value == self.mask_value:
                return 0
            bins -= 1
        if isinstance(value, bytes):
            data = value
        elif isinstance(value, str):
            data = value.encode("utf-8")
        else:  # integers by their decimal string; floats truncated first
            data = str(int(value)).encode()
        digest = siphash64(tuple(self.salt), data) if self.salt else fingerprint64(data)
        return digest % bins + (1 if masked else 0)

    def hash_values(self, values: Any) -> np.ndarray:
        """The bucket index of each entry of ``values`` (host NumPy, int64)."""
        array = np.asarray(values)
        flat = [v.item() if isinstance(v, np.generic) else v for v in array.reshape(-1)]
        return np.asarray([self._bucket(v) for v in flat], np.int64).reshape(array.shape)

    def _encode(self, indices: jax.Array) -> jax.Array:
        # int64 indices are int32 unless JAX runs with 64-bit types enabled.
        dtype = self.dtype if self.output_mode == "int" else self.compute_dtype
        dtype = jax.dtypes.canonicalize_dtype(dtype)
        return encode(indices, self.output_mode, self.num_bins, dtype, None, self.name)

    # ------------------------------------------------------------------ calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and _is_text(args[0]):
            return self._encode(jnp.asarray(self.hash_values(args[0]).astype(np.int32)))
        return super().__call__(*args, **kwargs)

    def apply(self, ctx: Any, inputs: Any) -> jax.Array:
        x = jnp.asarray(inputs)
        if jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype("int32")  # Keras truncates floats to integers before hashing
        out = jax.ShapeDtypeStruct(x.shape, jnp.int32)
        indices = jax.pure_callback(
            lambda v: self.hash_values(v).astype(np.int32), out, x, vmap_method="sequential"
        )
        return self._encode(indices)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
