"""TextVectorization against Keras's documented rules (``reference.py``) and its
docstring examples; Keras's own layer needs TensorFlow, absent here."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from tests.layers.preprocessing_text import reference as ref

L = kerax.layers
CORPUS = [
    "The Cat sat on the mat.",
    "the dog ate\tthe CAT's food!!",
    "É\u00a0x y\x0bz\x0cw",
    "a-b a.b a_b",
    "",
    "  spaced   out  ",
]


def tokens_of(text, standardize="lower_and_strip_punctuation", widths=None):
    tokens = ref.whitespace_split(ref.keras_standardize(text, standardize))
    return tokens if widths is None else ref.ngrams(tokens, widths)


def test_docstring_example():
    # Keras's TextVectorization docstring (vocabulary given, padded to length 4).
    layer = L.TextVectorization(
        max_tokens=5000,
        output_mode="int",
        output_sequence_length=4,
        vocabulary=["earth", "wind", "and", "fire"],
    )
    np.testing.assert_array_equal(layer(["earth wind and fire"]), [[2, 3, 4, 5]])
    np.testing.assert_array_equal(layer(["the earth"]), [[1, 2, 0, 0]])


@pytest.mark.parametrize(
    "kwargs, widths",
    [
        ({}, None),
        ({"standardize": "lower"}, None),
        ({"standardize": "strip_punctuation"}, None),
        ({"standardize": None}, None),
        ({"ngrams": 2}, (1, 2)),
        ({"ngrams": (1, 3)}, (1, 3)),
        ({"max_tokens": 6}, None),
    ],
)
def test_adapted_vocabulary(kwargs, widths):
    layer = L.TextVectorization(**kwargs)
    layer.adapt(CORPUS)
    mode = kwargs.get("standardize", "lower_and_strip_punctuation")
    docs = [tokens_of(t, mode, widths) for t in CORPUS]
    limit = None if "max_tokens" not in kwargs else kwargs["max_tokens"] - 2
    assert layer.get_vocabulary() == ["", "[UNK]", *ref.adapted_terms(docs, "", "[UNK]", limit)]


def test_int_output_padding_and_truncation():
    layer = L.TextVectorization()
    layer.adapt(CORPUS)
    vocab = layer.get_vocabulary()
    texts = ["the cat sat on the mat today", "", "dog"]
    expected_rows = [[vocab.index(t) if t in vocab else 1 for t in tokens_of(s)] for s in texts]
    out = layer(texts)
    assert out.dtype == jnp.int32 and out.shape == (3, 7)
    for row, exp in zip(np.asarray(out), expected_rows):
        np.testing.assert_array_equal(row, exp + [0] * (7 - len(exp)))
    fixed = L.TextVectorization(output_sequence_length=4, vocabulary=vocab[2:])
    out = fixed(np.array([[s] for s in texts]))
    for row, exp in zip(np.asarray(out), expected_rows):
        np.testing.assert_array_equal(row, (exp + [0] * 4)[:4])
    assert fixed.host_transform(["the cat"]).dtype == np.int64


def test_character_split_and_ngrams():
    layer = L.TextVectorization(split="character", ngrams=(1, 3), output_sequence_length=6)
    layer.adapt(["abc", "abd"])
    docs = [ref.ngrams(list(s), (1, 3)) for s in ["abc", "abd"]]
    vocab = layer.get_vocabulary()
    assert vocab == ["", "[UNK]", *ref.adapted_terms(docs)]
    expected = [vocab.index(t) if t in vocab else 1 for t in ref.ngrams(list("abcab"), (1, 3))]
    np.testing.assert_array_equal(layer(["abcab"]), [expected[:6]])


def test_no_split_keeps_whole_strings():
    layer = L.TextVectorization(split=None, vocabulary=["x y", "z"])
    np.testing.assert_array_equal(layer(["X Y!", "z", "q"]), [2, 3, 1])
    np.testing.assert_array_equal(layer([["X Y"], ["z"]]), [[2], [3]])


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_vector_outputs(mode):
    layer = L.TextVectorization(output_mode=mode, max_tokens=30, pad_to_max_tokens=True)
    layer.adapt(CORPUS)
    vocab = layer.get_vocabulary()
    texts = ["the cat the zzz", "mat mat", ""]
    assert vocab[0] == "[UNK]"  # no padding slot outside "int" mode
    index = [[vocab.index(t) if t in vocab else 0 for t in tokens_of(s)] for s in texts]
    counts = ref.counts_matrix(index, 30)
    if mode == "multi_hot":
        expected = np.minimum(counts, 1)
    elif mode == "count":
        expected = counts
    else:
        docs = [tokens_of(t) for t in CORPUS]
        weights = ref.idf(docs, vocab[1:])
        full = [np.mean(weights), *weights] + [0.0] * (30 - len(vocab))
        expected = counts * np.array(full, np.float32)
    out = layer(texts)
    assert out.shape == (3, 30) and out.dtype == jnp.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_tf_idf_with_given_vocabulary():
    layer = L.TextVectorization(
        vocabulary=["cat", "the"], idf_weights=[0.5, 0.25], output_mode="tf_idf"
    )
    np.testing.assert_allclose(layer(["The cat the dog"]), [[0.375, 0.5, 0.5]])


def test_adapt_from_batches_counts_documents_per_row():
    def batches():
        yield np.array(["a b", "b c"])
        yield np.array(["c c d"])

    layer = L.TextVectorization(output_mode="tf_idf")
    layer.adapt(batches())
    docs = [["a", "b"], ["b", "c"], ["c", "c", "d"]]
    terms = ref.adapted_terms(docs, "", "[UNK]")
    assert layer.get_vocabulary() == ["[UNK]", *terms]
    weights = ref.idf(docs, terms)
    np.testing.assert_allclose(layer._lookup_layer._idf, [np.mean(weights), *weights], rtol=1e-6)
    capped = L.TextVectorization()
    capped.adapt(batches(), steps=1)
    assert capped.get_vocabulary() == ["", "[UNK]", "b", "c", "a"]


def test_callable_standardize_and_split():
    def shout(texts):
        assert isinstance(texts, np.ndarray) and texts.dtype.kind == "U"
        return np.char.upper(texts)

    def on_commas(texts):
        return [t.split(",") for t in texts]

    layer = L.TextVectorization(standardize=shout, split=on_commas, vocabulary=["A", "B C"])
    np.testing.assert_array_equal(layer(["a,b c,d"]), [[2, 3, 1]])


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"sparse": True}, "sparse"),
        ({"ragged": True}, "ragged"),
        ({"standardize": "upper"}, "standardize"),
        ({"split": "comma"}, "split"),
        ({"ngrams": 0}, "ngrams"),
        ({"ngrams": "2"}, "ngrams"),
        ({"output_mode": "count", "output_sequence_length": 3}, "output_sequence_length"),
        ({"output_mode": "tfidf"}, "output_mode"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        L.TextVectorization(**kwargs)


def test_errors_on_use():
    layer = L.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match=r"shape \(batch_size,\) or \(batch_size, 1\)"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="cannot adapt"):
        layer.adapt(["a"])
    with pytest.raises(RuntimeError, match="vocabulary must be set"):
        L.TextVectorization(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="one_hot.*ragged"):
        L.TextVectorization(output_mode="one_hot", vocabulary=["a"])(["a b"])


def test_config_round_trip_and_output_shape():
    layer = L.TextVectorization(
        max_tokens=10, ngrams=(1, 2), output_sequence_length=5, vocabulary=["p", "q"]
    )
    config = layer.get_config()
    assert config["vocabulary_size"] == 4 and config["ngrams"] == (1, 2)
    config["ngrams"] = list(config["ngrams"])  # as JSON gives it back
    clone = L.TextVectorization.from_config(config)
    np.testing.assert_array_equal(clone(["p q r"]), layer(["p q r"]))
    assert layer.compute_output_shape((None, 1)) == (None, 5)
    counts = L.TextVectorization(output_mode="count", vocabulary=["p"])
    assert counts.compute_output_shape((None, 1)) == (None, 2)  # "[UNK]", "p"
    assert counts.host_transform(["p q", "p"]).shape == (2, 2)
    assert counts.output_dtype() == "float32" and layer.output_dtype() == "int64"
    assert layer.host_only and not L.IntegerLookup.host_only
