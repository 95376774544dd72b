"""TextVectorization: strings to token indices or token vectors, on the host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from kerax.layers._base import Layer
from kerax.layers.preprocessing_text import _encoding, _text_ops
from kerax.layers.preprocessing_text._adapt_data import array_batches, is_batch_iterable
from kerax.layers.preprocessing_text._host_call import HostCallMixin
from kerax.layers.preprocessing_text._index_lookup import canonical_output_mode
from kerax.layers.preprocessing_text.string_lookup import StringLookup, to_text


class TextVectorization(HostCallMixin, Layer):
    """Turns raw strings into sequences of token indices or into token vectors.

    Each string is standardized, split into tokens, optionally expanded into n-grams,
    and looked up in a vocabulary (given, or learned with :meth:`adapt`: most frequent
    first, ties broken by the tokens, greatest first). Index 0 is padding (the empty
    string), index 1 the out-of-vocabulary token ``"[UNK]"``. The layer runs on the
    host on NumPy (``host_transform``); calling it eagerly returns a JAX array.

    Args:
        max_tokens: Largest vocabulary size, padding and OOV included.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, ``None``, or a callable taking and returning a
            NumPy array of strings. ``"lower"`` changes ASCII letters only, as in Keras.
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (each string is one
            token), or a callable taking a 1-D NumPy string array and returning one
            sequence of tokens per string.
        ngrams: ``None``, an integer ``n`` (all n-grams up to ``n``), or a tuple of
            n-gram widths.
        output_mode: ``"int"`` (default), ``"multi_hot"``, ``"count"``, ``"tf_idf"``
            or ``"one_hot"``.
        output_sequence_length: With ``"int"``: pad with 0 or truncate every sequence
            to this length (default: the longest sequence of the batch).
        pad_to_max_tokens: Make token vectors ``max_tokens`` wide.
        vocabulary: A list of tokens or the path of a file with one per line.
        idf_weights: With ``"tf_idf"`` and ``vocabulary``, one weight per token.
        sparse: Must be ``False`` (kerax has no sparse outputs).
        ragged: Must be ``False`` (kerax has no ragged tensors).
        encoding: Encoding of byte-string inputs (default ``"utf-8"``).
        **kwargs: Base layer arguments (``name``, ...).

    Input shape:
        ``(batch_size,)`` or ``(batch_size, 1)`` strings (with ``split=None``, any shape).

    Output shape:
        ``"int"``: ``(batch_size, output_sequence_length)`` int64. Other modes:
        ``(batch_size, depth)`` float32, ``depth`` being ``vocabulary_size()`` (or
        ``max_tokens`` with ``pad_to_max_tokens``).
    """

    host_only = True
    autocast = False

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: Any = "lower_and_strip_punctuation",
        split: Any = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        cls = "TextVectorization"
        if sparse:
            raise ValueError(f"{cls}: `sparse=True` is not supported in kerax; use sparse=False.")
        if ragged:
            raise ValueError(
                f"{cls}: `ragged=True` is not supported (kerax has no ragged tensors); use "
                "ragged=False with `output_sequence_length` to get padded sequences."
            )
        if not (
            standardize is None or callable(standardize) or standardize in _text_ops.STANDARDIZE
        ):
            raise ValueError(
                f"{cls}: `standardize` must be one of {_text_ops.STANDARDIZE}, None or a "
                f"callable; received standardize={standardize!r}."
            )
        if not (split is None or callable(split) or split in _text_ops.SPLIT):
            raise ValueError(
                f"{cls}: `split` must be one of {_text_ops.SPLIT}, None or a callable; "
                f"received split={split!r}."
            )
        output_mode = canonical_output_mode(cls, output_mode)
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        valid = ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
        valid = valid or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
        widths = (
            None
            if ngrams is None
            else tuple(range(1, ngrams + 1))
            if isinstance(ngrams, int)
            else ngrams
        )
        if not valid or (widths is not None and (not widths or any(w < 1 for w in widths))):
            raise ValueError(
                f"{cls}: `ngrams` must be None, a positive integer or a tuple of positive "
                f"integers; received ngrams={ngrams!r}."
            )
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(
                f"{cls}: `output_sequence_length` may only be set with output_mode='int'; "
                f"received output_mode={output_mode!r}."
            )
        if output_sequence_length is not None and (
            not isinstance(output_sequence_length, int) or output_sequence_length < 0
        ):
            raise ValueError(
                f"{cls}: `output_sequence_length` must be None or a non-negative integer; "
                f"received {output_sequence_length!r}."
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = widths
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            encoding=encoding,
            has_input_vocabulary=has_input_vocabulary,
            vocabulary_size=vocabulary_size,
        )
        self.built = True

    # ------------------------------------------------------------------ vocabulary
    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary in index order (with ``""`` and ``"[UNK]"`` first unless
        ``include_special_tokens=False``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The vocabulary size, padding and OOV slots included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (and idf weights for ``"tf_idf"``); see
        :meth:`StringLookup.set_vocabulary`."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary (and document frequencies for ``"tf_idf"``).

        Args:
            data: A list or array of strings (each one a document), or an iterable of
                batches of strings, such as a generator.
            batch_size: With array data, how many strings to process at a time.
            steps: How many batches to read (all when ``None``).
        """
        if self._has_input_vocabulary:
            raise ValueError(
                f"TextVectorization '{self.name}': cannot adapt a layer created with a "
                "fixed `vocabulary`."
            )
        self._lookup_layer._adapt_rows(self._adapt_batches(data, batch_size, steps))

    def _adapt_batches(
        self, data: Any, batch_size: int | None, steps: int | None
    ) -> Iterator[list[list[str]]]:
        if is_batch_iterable(data):
            for i, batch in enumerate(data):
                if steps is not None and i >= steps:
                    break
                yield self._document_rows(self._preprocess(batch))
            return
        for batch in array_batches(data, batch_size, steps, "TextVectorization"):
            texts = self._text(batch)
            yield self._document_rows(
                self._preprocess(texts[:, None] if texts.ndim == 1 else texts)
            )

    @staticmethod
    def _document_rows(tokens: Any) -> list[list[str]]:
        if isinstance(tokens, list):
            return tokens
        if tokens.ndim <= 1:
            return [tokens.reshape(-1).tolist()]
        return [row.reshape(-1).tolist() for row in tokens]

    # ------------------------------------------------------------------ the string steps
    def _text(self, inputs: Any) -> np.ndarray:
        return to_text(inputs, self._encoding, "TextVectorization")

    def _preprocess(self, inputs: Any) -> list[list[str]] | np.ndarray:
        """Standardize, split and n-grams: token rows (with ``split``) or a dense array
        of tokens (without)."""
        texts = _text_ops.standardize(self._text(inputs), self._standardize, self._encoding)
        if self._split is None:
            if self._ngrams is None:
                return texts
            if texts.ndim == 0:
                texts = texts[None]
            lead = texts.shape[:-1]
            rows = [
                _text_ops.ngrams(r, self._ngrams)
                for r in texts.reshape(-1, texts.shape[-1]).tolist()
            ]
            width = len(rows[0]) if rows else 0
            out = np.empty((len(rows), width), dtype=object)
            for i, r in enumerate(rows):
                out[i, :] = r
            return out.reshape(*lead, width)
        if texts.ndim > 1:
            if texts.shape[-1] != 1 or texts.ndim > 2:
                raise ValueError(
                    f"TextVectorization '{self.name}': to split strings the input must have "
                    f"shape (batch_size,) or (batch_size, 1); received shape {texts.shape}."
                )
            texts = texts[:, 0]
        rows = _text_ops.split(texts.reshape(-1), self._split)
        if self._ngrams is not None:
            rows = [_text_ops.ngrams(r, self._ngrams) for r in rows]
        return rows

    # ------------------------------------------------------------------ calling
    def host_transform(self, inputs: Any) -> np.ndarray:
        """Maps raw strings to the array the rest of the model sees: int64 token indices
        ``(batch, sequence_length)`` in ``"int"`` mode, float32 ``(batch, depth)``
        vectors otherwise."""
        scalar = np.ndim(inputs) == 0 and self._split is not None
        tokens = self._preprocess([inputs] if scalar else inputs)
        lookup = self._lookup_layer
        if isinstance(tokens, np.ndarray):
            indices = lookup._indices(tokens)
            if self._output_mode != "int":
                return lookup._encode_host(indices)
            return self._fit_length(indices)
        if self._output_mode == "one_hot":
            raise ValueError(
                f"TextVectorization '{self.name}': output_mode='one_hot' with a `split` gives "
                "one vector per token, a ragged result kerax cannot hold (Keras returns a "
                "tf.RaggedTensor). Use output_mode='int' with `output_sequence_length` (and "
                "one-hot encode after), 'multi_hot' / 'count' for one vector per string, or "
                "split=None."
            )
        rows = [lookup._indices(_as_array(r)) for r in tokens]
        if self._output_mode != "int":
            depth = lookup._depth()
            out = _encoding.encode_rows_numpy(rows, self._output_mode, depth, lookup._checked_idf())
            return out[0] if scalar else out
        length = self._output_sequence_length
        if length is None:
            length = max((len(r) for r in rows), default=0)
        out = np.zeros((len(rows), length), np.int64)
        for i, r in enumerate(rows):
            r = r[:length]
            out[i, : len(r)] = r
        return out[0] if scalar else out

    def _fit_length(self, indices: np.ndarray) -> np.ndarray:
        length = self._output_sequence_length
        if length is None or indices.ndim == 0:
            return indices
        indices = indices[..., :length]
        pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
        return np.pad(indices, pad)

    def output_dtype(self) -> str:
        """``"int64"`` in ``"int"`` mode, else ``"float32"``."""
        return "int64" if self._output_mode == "int" else "float32"

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        shape = tuple(input_shape)
        if self._output_mode == "int":
            return (shape[0], self._output_sequence_length)
        if self._split is None:
            if len(shape) <= 1:
                shape = (*shape, 1)
        else:
            # The tokens of each string (a last axis of size 1 is squeezed before
            # splitting). Keras reports ``(batch, 1, depth)`` for a ``(batch, 1)`` input
            # here, though its layer returns ``(batch, depth)``; this is the real shape.
            shape = (shape[0], None)
        return self._lookup_layer.compute_output_shape(shape)

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict[str, Any]:
        lookup = self._lookup_layer
        config = super().get_config()
        config.update(
            {
                "max_tokens": lookup.max_tokens,
                "standardize": _serialize_function(self._standardize),
                "split": _serialize_function(self._split),
                "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens,
                "sparse": lookup.sparse,
                "ragged": False,
                "vocabulary": lookup.get_config()["vocabulary"],
                "idf_weights": lookup.get_config()["idf_weights"],
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size(),
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TextVectorization:
        config = dict(config)
        for key in ("standardize", "split"):
            if isinstance(config.get(key), dict):
                config[key] = _registered_function(config[key], key)
        return cls(**config)

    def save_assets(self, dir_path: str) -> None:
        """Writes the adapted vocabulary (Keras's ``vocabulary.txt``)."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path: str) -> None:
        """Reads the vocabulary written by :meth:`save_assets`."""
        self._lookup_layer.load_assets(dir_path)

    def _h5_extra_vars(self) -> dict[str, np.ndarray]:
        return self._lookup_layer._h5_extra_vars()

    def _load_h5_extra_vars(self, store: dict[str, np.ndarray]) -> None:
        self._lookup_layer._load_h5_extra_vars(store)


def _as_array(tokens: list[str]) -> np.ndarray:
    out = np.empty(len(tokens), dtype=object)
    out[:] = tokens
    return out


def _serialize_function(fn: Any) -> Any:
    """A registered callable as Keras's function entry; strings, ``None`` and
    unregistered callables as they are (as Keras's ``get_config`` returns them)."""
    name = getattr(fn, "_registered_name", None)
    if callable(fn) and name:
        return {
            "module": "builtins",
            "class_name": "function",
            "config": name,
            "registered_name": "function",
        }
    return fn


def _registered_function(entry: dict[str, Any], key: str) -> Any:
    """A ``standardize`` / ``split`` callable saved as a Keras function entry, looked up
    among the functions registered with ``register_keras_serializable``."""
    from kerax.saving.serialization import _REGISTRY

    name = entry.get("config")
    fn = _REGISTRY.get(name or "") or _REGISTRY.get(entry.get("registered_name") or "")
    if fn is None:
        raise ValueError(
            f"TextVectorization: cannot restore the `{key}` callable {name!r}; register it "
            "with `kerax.saving.register_keras_serializable()` before loading."
        )
    return fn
