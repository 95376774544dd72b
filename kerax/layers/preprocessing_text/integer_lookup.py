"""IntegerLookup: maps integer ids to indices in a vocabulary, on the host or on the
device (a sorted copy of the vocabulary and ``searchsorted``, so it compiles)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax.layers.preprocessing_text import _encoding, _hashing
from kerax.layers.preprocessing_text._index_lookup import IndexLookup

_INT32 = np.iinfo(np.int32)


class IntegerLookup(IndexLookup):
    """Maps integer terms to contiguous indices of a vocabulary (or back, with ``invert``).

    The vocabulary is given (``vocabulary=``) or learned with :meth:`adapt`: most
    frequent ids first, ties broken by the ids, greatest first. Index 0 is the mask id
    when ``mask_token`` is set (in ``"int"`` mode), then ``num_oov_indices`` slots for
    unknown ids (with several, an id's slot is ``id mod num_oov_indices``, or its
    FarmHash with ``oov_method="farmhash"``), then the vocabulary.

    Host data (lists, NumPy arrays) is mapped on NumPy; JAX arrays, and symbolic
    inputs in a model, go through a pure ``jax.numpy`` path that compiles with the rest
    of the model (the vocabulary becomes a constant of the compiled program; on the
    device ids are 32-bit unless ``jax_enable_x64`` is on). On the device,
    ``num_oov_indices=0`` cannot raise for unknown ids inside compiled code: they map
    to -1 there (eager calls on concrete arrays still raise), and
    ``oov_method="farmhash"`` / ``salt`` are host-only.

    Args:
        max_tokens: Largest vocabulary size, special slots included (``None``: no limit).
        num_oov_indices: Number of out-of-vocabulary slots (default 1).
        mask_token: Id that marks padding: index 0 in ``"int"`` mode, dropped in the
            other modes (default ``None``).
        oov_token: Id returned for unknown indices with ``invert=True`` (default -1).
        vocabulary: A list / array of ids, or the path of a text file with one per line.
        vocabulary_dtype: Must be ``"int64"`` (as in Keras).
        idf_weights: With ``output_mode="tf_idf"``, one idf weight per vocabulary id.
        invert: Map indices back to ids.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"``.
        sparse: Must be ``False``.
        pad_to_max_tokens: Make encoded outputs ``max_tokens`` wide.
        oov_method: ``"floormod"`` (default) or ``"farmhash"`` (hash of the id's
            decimal text), for several OOV slots.
        salt: With ``oov_method="farmhash"``: hash with SipHash under this key instead.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        Integers of any shape. ``"multi_hot"`` / ``"count"`` / ``"tf_idf"`` read the last axis as
        one sample (a rank-1 input is a single sample).

    Output shape:
        ``"int"``: the input shape (int64 on the host). ``"one_hot"``: the input shape
        plus ``depth`` (a last axis of size 1 is replaced). Other modes: the input shape
        with its last axis replaced by ``depth`` (float32).
    """

    host_only = False

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported; received "
                f"vocabulary_dtype={vocabulary_dtype!r}."
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                "IntegerLookup: `oov_method` must be 'floormod' or 'farmhash'; received "
                f"oov_method={oov_method!r}."
            )
        if salt is not None and oov_method != "farmhash":
            raise ValueError(
                f"IntegerLookup: `salt` needs oov_method='farmhash'; received oov_method="
                f"{oov_method!r}."
            )
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self._sorted: tuple[np.ndarray, np.ndarray] = (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=None if mask_token is None else int(mask_token),
            oov_token=None if oov_token is None else int(oov_token),
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            salt=salt,
            name=name,
            **kwargs,
        )

    # ------------------------------------------------------------------ hooks
    def _normalize(self, values: Any) -> np.ndarray:
        array = np.asarray(values)
        if array.size and array.dtype.kind not in "iufb":
            raise TypeError(
                f"IntegerLookup '{self.name}': expected integer ids, received an array of "
                f"dtype {array.dtype}. (For strings use StringLookup.)"
            )
        return array.astype(np.int64)  # floats are truncated, as Keras's cast does

    def _token_from_text(self, line: str) -> Any:
        return int(line)

    def _hash_oov(self, values: np.ndarray) -> np.ndarray:
        if self.oov_method == "floormod":
            return np.mod(values, self.num_oov_indices)
        data = [str(v).encode() for v in values.tolist()]
        return np.asarray(_hashing.hash_buckets(data, self.num_oov_indices, self.salt), np.int64)

    def _invert_output(self, tokens: np.ndarray) -> np.ndarray:
        return tokens.astype(np.int64)

    def _on_vocabulary_change(self) -> None:
        keys = np.asarray(self._tokens, np.int64)
        order = np.argsort(keys, kind="stable")
        self._sorted = (keys[order], np.arange(len(keys), dtype=np.int64)[order])

    def _indices(self, values: np.ndarray) -> np.ndarray:
        out = self._lookup(np, values, host=True)
        return np.asarray(out, np.int64)

    # ------------------------------------------------------------------ shared lookup
    def _lookup(self, xp: Any, x: Any, host: bool) -> Any:
        keys, positions = self._sorted
        start = self._token_start_index()
        if host:
            keys_x, values_x = keys, positions + start
        else:
            keys_x = jnp.asarray(self._device_ints(keys, "vocabulary"), x.dtype)
            values_x = jnp.asarray(positions + start, x.dtype)
        if len(keys):
            pos = xp.clip(xp.searchsorted(keys_x, x), 0, len(keys) - 1)
            found = keys_x[pos] == x
            idx = values_x[pos]
        else:
            found = xp.zeros(x.shape, bool)
            idx = xp.zeros(x.shape, x.dtype)
        is_mask = xp.zeros(x.shape, bool) if self.mask_token is None else x == self.mask_token
        oov = ~found & ~is_mask
        if self.num_oov_indices == 0:
            concrete = host or not isinstance(x, jax.core.Tracer)
            if concrete and bool(xp.any(oov)):
                bad = sorted(set(np.asarray(x)[np.asarray(oov)].tolist()))[:10]
                raise ValueError(
                    f"IntegerLookup '{self.name}': with num_oov_indices=0 every input must "
                    f"be in the vocabulary; found out-of-vocabulary values {bad}. Set "
                    "num_oov_indices=1 (or more) to map them to OOV slots."
                )
            out = xp.where(found, idx, -1)
        elif self.num_oov_indices == 1:
            out = xp.where(found, idx, self._oov_start_index())
        else:
            if host:
                hashed = np.zeros(x.shape, np.int64)
                hashed[oov] = self._hash_oov(x[oov])
            elif self.oov_method == "floormod":
                hashed = xp.mod(x, self.num_oov_indices)
            else:
                raise ValueError(
                    f"IntegerLookup '{self.name}': oov_method='farmhash' hashes on the host "
                    "only; call the layer on NumPy data, or use oov_method='floormod'."
                )
            out = xp.where(found, idx, hashed + self._oov_start_index())
        if self.mask_token is not None:
            dropped = 0 if self.output_mode == "int" else _encoding.DROPPED
            out = xp.where(is_mask, dropped, out)
        return out

    def _device_ints(self, values: np.ndarray, what: str) -> np.ndarray:
        if not jax.config.jax_enable_x64 and values.size:
            if values.min() < _INT32.min or values.max() > _INT32.max:
                raise ValueError(
                    f"IntegerLookup '{self.name}': the {what} holds ids outside the 32-bit "
                    "range, which JAX arrays cannot hold without jax_enable_x64; call the "
                    "layer on NumPy data (host path) instead."
                )
        return values

    # ------------------------------------------------------------------ device path
    def apply(self, ctx: Any, inputs: Any, **kwargs: Any) -> Any:
        """The pure ``jax.numpy`` lookup (compiles with the model)."""
        return self._device(jnp.asarray(inputs))

    def _device(self, x: jax.Array) -> jax.Array:
        if not jnp.issubdtype(x.dtype, jnp.integer):
            x = x.astype(jnp.int32)  # floats are truncated, as Keras's cast does
        if self.invert:
            vocab = np.asarray(self.get_vocabulary(), np.int64)
            table = jnp.asarray(self._device_ints(vocab, "vocabulary"), x.dtype)
            valid = (x >= 0) & (x < len(vocab))
            oov = self.oov_token if self.oov_token is not None else 0
            out = jnp.where(valid, table[jnp.clip(x, 0, max(len(vocab) - 1, 0))], oov)
            if self.mask_token is not None:
                out = jnp.where(x == 0, self.mask_token, out)
            return out
        if self.salt is not None:
            raise ValueError(
                f"IntegerLookup '{self.name}': `salt` hashing runs on the host only; call "
                "the layer on NumPy data."
            )
        idx = self._lookup(jnp, x, host=False)
        if self.output_mode == "int":
            return idx
        depth = self._depth()
        if self.output_mode == "tf_idf" and self._idf is None and isinstance(x, jax.core.Tracer):
            # Tracing before the weights exist (a model being rebuilt from a file, whose
            # idf weights load afterwards): NaN weights keep the shapes and make any
            # result computed without real weights impossible to miss.
            idf = np.full(depth, np.nan, np.float32)
        else:
            idf = self._checked_idf()
        return _encoding.encode_jax("IntegerLookup", idx, self.output_mode, depth, idf)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from kerax.graph import symbolic

        if symbolic.any_symbolic((args, kwargs)) or (args and isinstance(args[0], jax.Array)):
            return super().__call__(*args, **kwargs)
        kwargs.pop("training", None)
        if len(args) != 1 or kwargs:
            raise TypeError(f"IntegerLookup '{self.name}' takes one input.")
        return jnp.asarray(self.host_transform(args[0]))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["vocabulary_dtype"] = self.vocabulary_dtype
        config["oov_method"] = self.oov_method
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
