"""The base of ``StringLookup`` and ``IntegerLookup``: a vocabulary mapped to indices.

Everything here runs on the host, on NumPy. Subclasses say how tokens are normalised
(``_normalize``), looked up (``_find``) and hashed into several OOV slots
(``_hash_oov``); ``IntegerLookup`` adds a pure JAX path for device arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing_text import _encoding, _vocabulary
from kerax.layers.preprocessing_text._adapt_data import array_batches, is_batch_iterable
from kerax.layers.preprocessing_text._lookup_saving import LookupSaving

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def canonical_output_mode(layer: str, output_mode: str) -> str:
    mode = _ALIASES.get(output_mode, output_mode)
    if mode not in OUTPUT_MODES:
        raise ValueError(
            f"{layer}: `output_mode` must be one of {OUTPUT_MODES}; received "
            f"output_mode={output_mode!r}."
        )
    return mode


class IndexLookup(LookupSaving, Layer):
    """Shared behaviour of the lookup layers (not exported; see the subclasses)."""

    #: The layer maps raw host data (strings) and cannot run inside a compiled graph.
    host_only: bool = True
    autocast = False

    def __init__(
        self,
        *,
        max_tokens: int | None,
        num_oov_indices: int,
        mask_token: Any,
        oov_token: Any,
        vocabulary: Any,
        idf_weights: Any,
        invert: bool,
        output_mode: str,
        pad_to_max_tokens: bool,
        sparse: bool,
        salt: Any,
        **kwargs: Any,
    ) -> None:
        cls = type(self).__name__
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"{cls}: `max_tokens`, if set, must be greater than 1; received "
                f"max_tokens={max_tokens}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{cls}: `pad_to_max_tokens=True` needs `max_tokens` to be set.")
        if num_oov_indices < 0:
            raise ValueError(
                f"{cls}: `num_oov_indices` must be >= 0; received num_oov_indices="
                f"{num_oov_indices}."
            )
        output_mode = canonical_output_mode(cls, output_mode)
        if invert and output_mode != "int":
            raise ValueError(
                f"{cls}: `invert=True` needs output_mode='int'; received "
                f"output_mode={output_mode!r}."
            )
        if sparse:
            raise ValueError(
                f"{cls}: `sparse=True` is not supported (kerax has no sparse tensors; Keras "
                "supports it only on its TensorFlow backend). Use sparse=False."
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{cls}: `idf_weights` may only be set with output_mode='tf_idf'; received "
                f"output_mode={output_mode!r}."
            )
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{cls}: with output_mode='tf_idf' and a `vocabulary`, `idf_weights` must "
                "be given too."
            )
        if salt is not None:
            if isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            elif isinstance(salt, list | tuple) and len(salt) == 2:
                salt = [int(s) for s in salt]
            else:
                raise ValueError(
                    f"{cls}: `salt` must be an integer or a pair of integers; received "
                    f"salt={salt!r}."
                )
        super().__init__(**kwargs)
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = invert
        self.output_mode = output_mode
        self.pad_to_max_tokens = pad_to_max_tokens
        self.sparse = sparse
        self.salt = salt
        self.input_vocabulary = None if isinstance(vocabulary, str | os.PathLike) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._frozen_vocab_size: int | None = frozen_size
        self._tokens: list[Any] = []
        self._index: dict[Any, int] = {}
        self._idf: np.ndarray | None = None
        self.built = True
        if output_mode == "tf_idf" and idf_weights is not None:
            self._idf = np.asarray(idf_weights, np.float32)
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ subclass hooks
    def _normalize(self, values: Any) -> np.ndarray:
        """``values`` as a NumPy array of canonical tokens."""
        raise NotImplementedError

    def _token_from_text(self, line: str) -> Any:
        raise NotImplementedError

    def _hash_oov(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ indices
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The size of the vocabulary, mask and OOV slots included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The vocabulary, in index order.

        Args:
            include_special_tokens: Whether to include the mask and OOV slots (then a
                term's position in the list is its index in the layer's output).
        """
        start = self._token_start_index()
        vocab = [self.oov_token] * start + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[start:]

    def _depth(self) -> int:
        if self.pad_to_max_tokens:
            return int(self.max_tokens)  # type: ignore[arg-type]
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': with output_mode="
                f"'{self.output_mode}' and pad_to_max_tokens=False the vocabulary must be "
                "set before the layer is called: pass `vocabulary=` or call `adapt`."
            )
        return self._frozen_vocab_size

    def _record_vocabulary_size(self) -> None:
        size = self.vocabulary_size()
        if (
            self.output_mode != "int"
            and not self.pad_to_max_tokens
            and self._frozen_vocab_size is not None
            and size != self._frozen_vocab_size
        ):
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}': with output_mode="
                f"'{self.output_mode}' and pad_to_max_tokens=False the vocabulary size "
                f"cannot change once set (it was {self._frozen_vocab_size}, the new "
                f"vocabulary has {size}). Create a new layer, or use pad_to_max_tokens."
            )
        self._frozen_vocab_size = size

    # ------------------------------------------------------------------ vocabulary
    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (and, for ``"tf_idf"``, the idf weights) directly.

        Args:
            vocabulary: A list, tuple or 1-D array of terms, or the path of a text file
                with one term per line (the terms then start after the special slots).
                A list may start with the special tokens (mask, then OOV), in which
                case they are recognised and not added twice.
            idf_weights: Inverse document frequencies, one per entry of
                ``vocabulary``; required with ``output_mode="tf_idf"`` only.
        """
        cls = f"{type(self).__name__} '{self.name}'"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{cls}: `idf_weights` must be set with output_mode='tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{cls}: `idf_weights` may only be set with output_mode='tf_idf'; "
                f"received output_mode={self.output_mode!r}."
            )
        if isinstance(vocabulary, str | os.PathLike):
            self._set_from_file(os.fspath(vocabulary))
            return
        values = self._normalize(np.asarray(vocabulary)).reshape(-1).tolist()
        if not values:
            raise ValueError(f"{cls}: cannot set an empty vocabulary.")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * (
            self.num_oov_indices
        )
        found_special = values[:start] == special
        tokens = values[start:] if found_special else values
        dup = _vocabulary.repeated(tokens)
        if dup:
            raise ValueError(f"{cls}: the vocabulary repeats the term(s) {dup}; make it unique.")
        for token, what in ((self.mask_token, "mask"), (self.oov_token, "OOV")):
            if token is None or token not in tokens or (what == "OOV" and not self.invert):
                continue
            raise ValueError(
                f"{cls}: the {what} token {token!r} appears inside `vocabulary`. The "
                "vocabulary need not contain the special tokens; if it does, they must come "
                f"first, exactly as {special}."
            )
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{cls}: the vocabulary has {start + len(tokens)} entries (special slots "
                f"included), more than max_tokens={self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.asarray(idf_weights, np.float64)
            if idf.ndim != 1 or len(idf) != len(values):
                raise ValueError(
                    f"{cls}: `idf_weights` must be 1-D with one weight per vocabulary entry "
                    f"({len(values)}); received shape {idf.shape}."
                )
            front = 0 if found_special else start
            total = front + len(idf)
            back = self.max_tokens - total if self.pad_to_max_tokens else 0  # type: ignore[operator]
            self._idf = _vocabulary.pad_idf(
                idf, front, back, 0.0 if found_special else float(np.average(idf))
            )

    def _set_from_file(self, path: str) -> None:
        cls = f"{type(self).__name__} '{self.name}'"
        if not os.path.exists(path):
            raise ValueError(f"{cls}: vocabulary file {path!r} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(f"{cls}: output_mode='tf_idf' cannot load a vocabulary file.")
        with open(path, encoding=getattr(self, "encoding", "utf-8")) as f:
            lines = f.read().splitlines()
        tokens = [self._token_from_text(line) for line in lines]
        dup = _vocabulary.repeated(tokens)
        if dup:
            raise ValueError(f"{cls}: the vocabulary file {path!r} repeats the term(s) {dup}.")
        self._set_tokens(tokens)

    def _set_tokens(self, tokens: list[Any]) -> None:
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._on_vocabulary_change()
        self._record_vocabulary_size()

    def _on_vocabulary_change(self) -> None:
        """Hook for subclasses that cache arrays built from the vocabulary."""

    # ------------------------------------------------------------------ adapt
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary (and document frequencies for ``"tf_idf"``) from data.

        Args:
            data: A list or array of terms (each element of a 1-D array or list is one
                document), or an iterable of batches, such as a generator (a 1-D batch
                is one document; a 2-D batch has one document per row).
            batch_size: With array data, how many rows to read at a time.
            steps: How many batches to read (all when ``None``).
        """
        self._adapt_rows(self._adapt_batches(data, batch_size, steps))

    def _adapt_batches(
        self, data: Any, batch_size: int | None, steps: int | None
    ) -> Iterator[list[list[Any]]]:
        if self._has_input_vocabulary:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': cannot adapt a layer created with a "
                "fixed `vocabulary`."
            )
        if is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                yield self._rows(batch)
            return
        for batch in array_batches(data, batch_size, steps, type(self).__name__):
            array = self._normalize(batch)
            yield self._rows(array[:, None] if array.ndim == 1 else array)

    def _rows(self, batch: Any) -> list[list[Any]]:
        array = self._normalize(batch)
        if array.ndim <= 1:
            return [array.reshape(-1).tolist()]
        return [row.reshape(-1).tolist() for row in array]

    def _adapt_rows(self, batches: Iterator[list[list[Any]]]) -> None:
        counts = _vocabulary.Counts(documents=self.output_mode == "tf_idf")
        for rows in batches:
            counts.update(rows)
        if not counts.tokens:
            self._record_vocabulary_size()
            return
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.tokens.pop(special, None)
        limit = None if not self.max_tokens else self.max_tokens - self._token_start_index()
        tokens = _vocabulary.order_by_count(counts.tokens, limit)
        if self.output_mode == "tf_idf":
            assert counts.documents is not None
            idf = _vocabulary.inverse_document_frequency(
                [counts.documents[t] for t in tokens], counts.num_documents
            )
            start = self._token_start_index()
            back = self.max_tokens - start - len(idf) if self.pad_to_max_tokens else 0  # type: ignore[operator]
            self._idf = _vocabulary.pad_idf(idf, start, back)
        self._set_tokens(tokens)

    # ------------------------------------------------------------------ host calls
    def _indices(self, values: np.ndarray) -> np.ndarray:
        """Maps an array of canonical tokens to int64 indices (OOV and mask resolved)."""
        shape = values.shape
        flat = values.reshape(-1)
        default = -1
        found_idx = np.fromiter(
            (self._index.get(t, default) for t in flat.tolist()), np.int64, count=flat.size
        )
        found = found_idx >= 0
        is_mask = (
            np.zeros(flat.shape, bool)
            if self.mask_token is None
            else np.asarray([t == self.mask_token for t in flat.tolist()], bool).reshape(-1)
        )
        oov = ~found & ~is_mask
        out = found_idx
        if self.num_oov_indices == 0 and oov.any():
            bad = sorted({str(t) for t in flat[oov].tolist()})[:10]
            raise ValueError(
                f"{type(self).__name__} '{self.name}': with num_oov_indices=0 every input "
                f"must be in the vocabulary; found out-of-vocabulary values {bad}. Set "
                "num_oov_indices=1 (or more) to map them to OOV slots."
            )
        if self.num_oov_indices == 1:
            out = np.where(found, out, self._oov_start_index())
        elif self.num_oov_indices > 1 and oov.any():
            hashed = np.zeros(flat.shape, np.int64)
            hashed[oov] = self._hash_oov(flat[oov])
            out = np.where(found, out, hashed + self._oov_start_index())
        if self.mask_token is not None:
            out = np.where(is_mask, 0 if self.output_mode == "int" else _encoding.DROPPED, out)
        return out.reshape(shape)

    def _tokens_of(self, indices: np.ndarray) -> np.ndarray:
        """The inverse lookup: int indices to tokens (unknown indices give the OOV token)."""
        vocab = self.get_vocabulary()
        table = np.empty(len(vocab) + 1, dtype=object)
        table[: len(vocab)] = vocab
        table[len(vocab)] = self.oov_token
        idx = np.asarray(indices, np.int64)
        safe = np.where((idx >= 0) & (idx < len(vocab)), idx, len(vocab))
        out = table[safe]
        if self.mask_token is not None:
            out = np.where(idx == 0, self.mask_token, out)
        return out

    def host_transform(self, inputs: Any) -> np.ndarray:
        """Applies the layer on the host: raw tokens (NumPy / list) in, the array the
        rest of the model sees out (int64 indices, float32 encodings, or the tokens
        themselves with ``invert=True``)."""
        if self.invert:
            return self._invert_output(self._tokens_of(np.asarray(inputs)))
        values = self._normalize(inputs)
        return self._encode_host(self._indices(values))

    def _invert_output(self, tokens: np.ndarray) -> np.ndarray:
        return tokens

    def _encode_host(self, indices: np.ndarray) -> np.ndarray:
        if self.output_mode == "int":
            return indices
        return _encoding.encode_numpy(
            type(self).__name__, indices, self.output_mode, self._depth(), self._checked_idf()
        )

    def _checked_idf(self) -> np.ndarray | None:
        if self.output_mode != "tf_idf":
            return None
        if self._idf is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': output_mode='tf_idf' needs idf "
                "weights: call `adapt`, or pass `vocabulary` with `idf_weights`."
            )
        return self._idf

    # ------------------------------------------------------------------ shapes
    def output_dtype(self) -> str:
        """The dtype of the layer's output (Keras's: int64 indices, else float32)."""
        return "int64" if self.output_mode == "int" else "float32"

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], depth)
            return (*shape, depth)
        return (*shape[:-1], depth)
