"""StringLookup and IntegerLookup against Keras's documented rules (``reference.py``)
and Keras's docstring examples; Keras's own layers need TensorFlow, absent here."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax
from kerax.layers.preprocessing import _farmhash
from tests.layers.preprocessing_text import reference as ref

L = kerax.layers
DOCS = [["a", "c", "d", "d"], ["d", "z", "b", "a"], ["q", "", "[UNK]", "é"], ["b", "bb", "b", "a"]]
IDS = [[12, 1138, 42, 42], [42, 7, 36, 7], [0, -1, 5, 12]]


def test_docstring_examples():
    # Keras's StringLookup / IntegerLookup docstrings.
    layer = L.StringLookup()
    layer.adapt([["a", "c", "d"], ["d", "z", "b"]])
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    layer = L.StringLookup(vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(layer([["a", "c", "d"], ["d", "z", "b"]]), [[1, 3, 4], [4, 0, 2]])
    layer = L.IntegerLookup()
    layer.adapt([[12, 1138, 42], [42, 1000, 36]])
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    layer = L.IntegerLookup(vocabulary=[12, 36, 1138, 42], output_mode="one_hot")
    np.testing.assert_array_equal(
        layer(np.array([12, 36, 1138, 42, 7])), np.eye(5)[[1, 2, 3, 4, 0]]
    )


@pytest.mark.parametrize(
    "kwargs, special",
    [
        ({}, ["[UNK]"]),
        ({"mask_token": ""}, ["", "[UNK]"]),
        ({"num_oov_indices": 0}, []),
        ({"num_oov_indices": 2, "mask_token": "[M]"}, ["[M]", "[UNK]", "[UNK]"]),
        ({"max_tokens": 4}, ["[UNK]"]),
        ({"mask_token": "", "output_mode": "multi_hot"}, ["[UNK]"]),
    ],
)
def test_adapted_vocabulary_order(kwargs, special):
    layer = L.StringLookup(**kwargs)
    layer.adapt(DOCS)
    limit = None if "max_tokens" not in kwargs else kwargs["max_tokens"] - len(special)
    terms = ref.adapted_terms(DOCS, kwargs.get("mask_token"), "[UNK]", limit)
    assert layer.get_vocabulary() == special + terms
    assert layer.get_vocabulary(include_special_tokens=False) == terms
    assert layer.vocabulary_size() == len(special) + len(terms)


def test_integer_vocabulary_order_and_mask():
    layer = L.IntegerLookup(mask_token=0)
    layer.adapt(IDS)
    assert layer.get_vocabulary() == [0, -1, *ref.adapted_terms(IDS, 0, -1)]
    out = layer(np.array([[12, 0], [42, 99]]))
    vocab = layer.get_vocabulary()
    np.testing.assert_array_equal(out, [[vocab.index(12), 0], [vocab.index(42), 1]])


def test_int_lookup_oov_and_mask():
    layer = L.StringLookup(vocabulary=["x", "y"], mask_token="")
    out = layer(np.array([["x", ""], ["nope", "y"]]))
    assert out.dtype == jnp.int32  # int64 on the host, 32-bit on the device
    np.testing.assert_array_equal(out, [[2, 0], [1, 3]])
    np.testing.assert_array_equal(layer.host_transform([b"y"]), [3])  # bytes decoded
    assert layer.host_transform(["x"]).dtype == np.int64


def test_no_oov_slot_rejects_unknown_terms():
    layer = L.StringLookup(vocabulary=["x", "y"], num_oov_indices=0)
    np.testing.assert_array_equal(layer(["y", "x"]), [1, 0])
    with pytest.raises(ValueError, match=r"num_oov_indices=0.*\['nope'\]"):
        layer(["x", "nope"])


def test_several_oov_slots_hash_like_tensorflow():
    # Buckets recorded from TensorFlow 2.21's tf.strings.to_hash_bucket_fast (FarmHash)
    # and to_hash_bucket_strong (SipHash) on these strings.
    words = ["x", "y", "zzz", "hello world", "ünï", "a" * 70]
    assert [_farmhash.fingerprint64(w.encode()) % 3 for w in words[:5]] == [2, 2, 0, 0, 0]
    layer = L.StringLookup(vocabulary=["a"], num_oov_indices=3, mask_token="")
    expected = [_farmhash.fingerprint64(w.encode()) % 3 + 1 for w in words]
    np.testing.assert_array_equal(layer(words), expected)
    salted = L.StringLookup(vocabulary=["a"], num_oov_indices=5, salt=[7, 11])
    expected = [_farmhash.siphash64((7, 11), w.encode()) % 5 for w in words]
    np.testing.assert_array_equal(salted(words), expected)


def test_hash_functions_against_tensorflow_values():
    # Fingerprint64 / SipHash-2-4 values modulo 2**31 - 1 from TensorFlow for strings of
    # each length class (0-16, 17-32, 33-64, over 64 bytes).
    b = 2**31 - 1
    cases = {b"": 1699943623, b"abc": 1043552938, b"a" * 20: 1325441579, b"a" * 40: 497505523}
    cases[b"a" * 100] = 1683938367
    assert {s: _farmhash.fingerprint64(s) % b for s in cases} == cases
    assert _farmhash.siphash64((123, 456789), b"hello world") % b == 116056677


def test_integer_lookup_several_oov_slots():
    layer = L.IntegerLookup(vocabulary=[5, 7], num_oov_indices=3)
    ids = np.array([5, 7, 1, 2, 3, -4, 100])
    expected = np.where(ids == 5, 3, np.where(ids == 7, 4, np.mod(ids, 3)))
    np.testing.assert_array_equal(layer(ids), expected)
    hashed = L.IntegerLookup(vocabulary=[5, 7], num_oov_indices=3, oov_method="farmhash")
    expected = [3, 4] + [_farmhash.fingerprint64(str(i).encode()) % 3 for i in ids[2:]]
    np.testing.assert_array_equal(hashed(ids), expected)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
def test_encoded_outputs(mode):
    kwargs = {"output_mode": mode, "mask_token": ""}
    layer = L.StringLookup(**kwargs)
    layer.adapt(DOCS)
    vocab = layer.get_vocabulary()
    batch = [["a", "a", "nope", ""], ["d", "z", "b", "b"]]
    index = [[vocab.index(t) if t in vocab else 0 for t in row if t != ""] for row in batch]
    if mode == "one_hot":
        out = layer(np.array([["a"], ["nope"], [""]]))
        np.testing.assert_array_equal(
            out, np.eye(len(vocab))[[vocab.index("a"), 0, 0]] * [[1], [1], [0]]
        )
        return
    counts = ref.counts_matrix(index, len(vocab))
    expected = {"multi_hot": np.minimum(counts, 1), "count": counts}.get(mode)
    if mode == "tf_idf":
        terms = vocab[1:]
        weights = ref.idf(DOCS, terms)
        expected = counts * np.array([np.mean(weights), *weights], np.float32)
    out = layer(batch)
    assert out.dtype == jnp.float32 and out.shape == (2, len(vocab))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    # A rank-1 input is one sample.
    np.testing.assert_allclose(layer(batch[0]), expected[0], rtol=1e-6)


def test_given_vocabulary_with_idf_and_padding():
    layer = L.StringLookup(
        vocabulary=["x", "y"],
        idf_weights=[0.5, 2.0],
        output_mode="tf_idf",
        max_tokens=5,
        pad_to_max_tokens=True,
    )
    np.testing.assert_allclose(layer(["x", "y", "y", "q"]), [1.25, 0.5, 4.0, 0.0, 0.0])
    with_special = L.StringLookup(
        vocabulary=["[UNK]", "x", "y"], idf_weights=[0.1, 0.5, 2.0], output_mode="tf_idf"
    )
    assert with_special.get_vocabulary() == ["[UNK]", "x", "y"]
    np.testing.assert_allclose(with_special(["x", "q"]), [0.1, 0.5, 0.0])


def test_invert():
    layer = L.StringLookup(vocabulary=["x", "y"], invert=True, mask_token="[M]")
    out = layer(np.array([[0, 1, 2, 3, 9]]))
    assert out.tolist() == [["[M]", "[UNK]", "x", "y", "[UNK]"]]
    ids = L.IntegerLookup(vocabulary=[12, 42], invert=True)
    np.testing.assert_array_equal(ids(np.array([0, 1, 2, 3])), [-1, 12, 42, -1])
    np.testing.assert_array_equal(ids(jnp.array([0, 1, 2, 3])), [-1, 12, 42, -1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_mode": "int", "mask_token": 0},
        {"output_mode": "int", "num_oov_indices": 3},
        {"output_mode": "multi_hot", "mask_token": 0},
        {"output_mode": "count", "max_tokens": 8, "pad_to_max_tokens": True},
        {"output_mode": "tf_idf"},
        {"output_mode": "one_hot"},
    ],
)
def test_integer_lookup_device_path_matches_host(kwargs):
    layer = L.IntegerLookup(**kwargs)
    layer.adapt(IDS)
    batch = (
        np.array([[12, 0], [99, 42], [7, -3]])
        if kwargs["output_mode"] != "one_hot"
        else np.array([12, 0, 99])
    )
    host = layer.host_transform(batch)
    device = jax.jit(layer._device)(jnp.asarray(batch, jnp.int32))
    np.testing.assert_allclose(np.asarray(device), host, rtol=1e-6)


def test_integer_lookup_inside_a_compiled_model():
    layer = L.IntegerLookup(output_mode="multi_hot")
    layer.adapt(IDS)
    inputs = kerax.Input(shape=(2,), dtype="int32")
    model = kerax.Model(inputs, layer(inputs))
    batch = np.array([[12, 99], [42, 7]], np.int32)
    np.testing.assert_array_equal(model.predict(batch, verbose=0), layer.host_transform(batch))


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"max_tokens": 1}, "max_tokens"),
        ({"num_oov_indices": -1}, "num_oov_indices"),
        ({"output_mode": "bag"}, "output_mode"),
        ({"invert": True, "output_mode": "count"}, "invert"),
        ({"sparse": True, "output_mode": "count"}, "sparse"),
        ({"idf_weights": [1.0], "vocabulary": ["a"]}, "idf_weights"),
        ({"output_mode": "tf_idf", "vocabulary": ["a"]}, "idf_weights"),
        ({"vocabulary": ["a", "a"]}, "repeats"),
        ({"vocabulary": ["a", ""], "mask_token": ""}, "mask token"),
        ({"vocabulary": ["a", "b", "c"], "max_tokens": 3}, "max_tokens=3"),
        ({"pad_to_max_tokens": True}, "max_tokens"),
        ({"salt": "x"}, "salt"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        L.StringLookup(**kwargs)


def test_errors_on_use():
    with pytest.raises(RuntimeError, match="vocabulary must be set"):
        L.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(TypeError, match="expected strings"):
        L.StringLookup(vocabulary=["a"])([1, 2])
    fixed = L.IntegerLookup(vocabulary=[1, 2])
    with pytest.raises(ValueError, match="cannot adapt"):
        fixed.adapt([1, 2])
    with pytest.raises(ValueError, match="farmhash"):
        jax.jit(L.IntegerLookup(vocabulary=[1], num_oov_indices=2, oov_method="farmhash")._device)(
            jnp.array([3])
        )


def test_vocabulary_file_and_config_round_trip(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nzé\n", encoding="utf-8")
    layer = L.StringLookup(vocabulary=str(path), mask_token="")
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y", "zé"]
    config = layer.get_config()
    assert config["vocabulary"] is None and config["vocabulary_size"] == 5
    given = L.StringLookup(vocabulary=["p", "q"], num_oov_indices=2, output_mode="count")
    clone = L.StringLookup.from_config(given.get_config())
    assert clone.get_vocabulary() == given.get_vocabulary()
    np.testing.assert_array_equal(clone(["q", "r"]), given(["q", "r"]))
    ints = L.IntegerLookup(vocabulary=np.array([4, 9]), oov_token=-7, invert=True)
    clone = L.IntegerLookup.from_config(ints.get_config())
    assert clone.get_config() == ints.get_config()
    assert clone.get_config()["vocabulary"] == [4, 9]


def test_adapt_batches_and_steps():
    def batches():
        yield np.array(["a", "b", "b"])
        yield np.array(["c", "c", "c"])

    layer = L.StringLookup()
    layer.adapt(batches(), steps=1)
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
    layer.adapt(np.array(["x", "y", "y", "z"]), batch_size=2, steps=1)
    assert layer.get_vocabulary() == ["[UNK]", "y", "x"]
    with pytest.raises(ValueError, match="batch_size"):
        layer.adapt(np.array(["x"]), steps=1)


def test_edge_inputs():
    layer = L.StringLookup()
    layer.adapt(["a", "b", "b"])
    layer.adapt(np.array([], dtype=str))  # nothing to learn: the vocabulary stays
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
    # Floating ids are truncated to integers, as Keras's cast does.
    ids = L.IntegerLookup(vocabulary=[4, 2])
    np.testing.assert_array_equal(ids(np.array([4.0, 2.7, 9.0])), [1, 2, 0])
    np.testing.assert_array_equal(ids(jnp.array([4.0, 2.7, 9.0])), [1, 2, 0])
    # Encoded outputs read the last axis as one sample, whatever the rank.
    hot = L.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    batch = np.array([[["a", "b"], ["b", "b"]]])
    np.testing.assert_array_equal(hot(batch), [[[0, 1, 1], [0, 0, 1]]])
    assert hot.compute_output_shape((None, 2, 2)) == (None, 2, 3)
