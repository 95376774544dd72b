"""StringLookup: maps strings to indices in a vocabulary, on the host."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerax.layers.preprocessing_text import _hashing
from kerax.layers.preprocessing_text._host_call import HostCallMixin
from kerax.layers.preprocessing_text._index_lookup import IndexLookup


def to_text(values: Any, encoding: str, layer: str) -> np.ndarray:
    """``values`` (lists, NumPy str / bytes / object arrays, scalars) as an object array
    of Python ``str``, bytes decoded with ``encoding``."""
    array = np.asarray(values, dtype=object)
    flat = array.reshape(-1).tolist()
    out = []
    for v in flat:
        if isinstance(v, bytes):
            v = v.decode(encoding)
        elif not isinstance(v, str):
            raise TypeError(
                f"{layer}: expected strings, received {type(v).__name__} value {v!r}. "
                "(For integer ids use IntegerLookup.)"
            )
        out.append(str(v))
    result = np.empty(len(out), dtype=object)
    result[:] = out
    return result.reshape(array.shape)


class StringLookup(HostCallMixin, IndexLookup):
    """Maps string terms to integer indices of a vocabulary (or back, with ``invert``).

    The vocabulary is given (``vocabulary=``) or learned with :meth:`adapt`: most
    frequent terms first, ties broken by the terms, greatest first. Index 0 is the mask
    token when ``mask_token`` is set (in ``"int"`` mode), followed by
    ``num_oov_indices`` slots for out-of-vocabulary terms (with several, a term's slot
    is its FarmHash fingerprint modulo the count, or its SipHash under ``salt``), then
    the vocabulary. The layer runs on the host on NumPy (``host_transform``); calling
    it eagerly returns a JAX array.

    Args:
        max_tokens: Largest vocabulary size, special slots included (``None``: no limit).
        num_oov_indices: Number of out-of-vocabulary slots (default 1; 0 makes unknown
            terms an error).
        mask_token: Term that marks padding: index 0 in ``"int"`` mode, dropped in the
            other modes (default ``None``: no mask slot).
        oov_token: Term returned for unknown indices with ``invert=True`` (default
            ``"[UNK]"``).
        vocabulary: A list / array of terms, or the path of a text file with one term
            per line.
        idf_weights: With ``output_mode="tf_idf"``, one idf weight per vocabulary term.
        invert: Map indices back to terms.
        output_mode: ``"int"`` (indices), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or
            ``"tf_idf"`` (vectors of size ``vocabulary_size()``, or ``max_tokens`` with
            ``pad_to_max_tokens``).
        pad_to_max_tokens: Make encoded outputs ``max_tokens`` wide.
        sparse: Must be ``False`` (kerax has no sparse outputs).
        encoding: Text encoding of byte-string inputs (default ``"utf-8"``).
        salt: An integer or pair of integers: hash OOV terms with SipHash under this key.
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        Strings of any shape. ``"multi_hot"`` / ``"count"`` / ``"tf_idf"`` read the last axis as
        one sample (a rank-1 input is a single sample).

    Output shape:
        ``"int"``: the input shape (int64). ``"one_hot"``: the input shape plus
        ``depth`` (a last axis of size 1 is replaced). Other modes: the input shape with
        its last axis replaced by ``depth`` (float32).
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        salt: Any = None,
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        # Keras's configs carry ``oov_method``; string terms are always hashed with
        # FarmHash (or SipHash under ``salt``), whichever value it has.
        self.oov_method = kwargs.pop("oov_method", "floormod")
        if self.oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                "StringLookup: `oov_method` must be 'floormod' or 'farmhash'; received "
                f"oov_method={self.oov_method!r}."
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
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

    def _normalize(self, values: Any) -> np.ndarray:
        return to_text(values, self.encoding, type(self).__name__)

    def _token_from_text(self, line: str) -> Any:
        return line

    def _hash_oov(self, values: np.ndarray) -> np.ndarray:
        data = [v.encode(self.encoding) for v in values.tolist()]
        return np.asarray(_hashing.hash_buckets(data, self.num_oov_indices, self.salt), np.int64)

    def _invert_output(self, tokens: np.ndarray) -> np.ndarray:
        return tokens.astype(str)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["encoding"] = self.encoding
        config["oov_method"] = self.oov_method
        return config
