"""Hashing: Keras's buckets without TensorFlow.

Keras's ``Hashing`` layer needs TensorFlow, which the test environment lacks, so the
references are published values: test vectors of FarmHash ``Fingerprint64`` (Guava's
and CityHash's, which share the short-string paths) and of SipHash-2-4 (its paper),
and the outputs that Keras's own documentation and test suite give for its layer.
"""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.layers.preprocessing._farmhash import fingerprint64, siphash64

L = kerax.layers

FINGERPRINTS = {  # one string per length path: 0, 4-7, 8-16, 17-32, 33-64, > 64
    b"": 0x9AE16A3B2F90404F,
    b"test": 8581389452482819506,
    b"message digest": 0x8DB193972BF98C6A,
    b"abcdefghijklmnopqrstuvwxyz": 0x5EAD741CE7AC31BD,
    b"test" * 8: (-4196240717365766262) % 2**64,
    b"F7479877-4690-4A44-AFC9-8FE987EA512F:some_other_id": 6862335115798125349,
    b"test" * 64: 3500507768004279527,
}


def test_fingerprint64_matches_published_values():
    for data, expected in FINGERPRINTS.items():
        assert fingerprint64(data) == expected, data


def test_siphash_matches_the_reference_vectors():
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little"))
    assert siphash64(key, b"") == 0x726FDB47DD0E0E31
    assert siphash64(key, bytes(range(15))) == 0xA129CA6149BE45E5


LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]
WIRE = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]


@pytest.mark.parametrize(
    "kwargs,inputs,expected",
    [
        ({"num_bins": 3}, LETTERS, [1, 0, 1, 1, 2]),
        ({"num_bins": 3, "mask_value": ""}, [["A"], ["B"], [""], ["C"], ["D"]], [1, 1, 0, 2, 2]),
        ({"num_bins": 3, "salt": [133, 137]}, LETTERS, [1, 2, 1, 0, 2]),
        ({"num_bins": 3, "salt": 133}, LETTERS, [0, 0, 2, 1, 0]),
        ({"num_bins": 2}, WIRE, [0, 0, 1, 0, 0]),
        ({"num_bins": 3, "mask_value": "omar"}, WIRE, [0, 1, 2, 1, 1]),
        ({"num_bins": 2, "salt": [211, 137]}, WIRE, [1, 0, 1, 0, 1]),
        ({"num_bins": 1}, LETTERS, [0, 0, 0, 0, 0]),
        ({"num_bins": 3}, [[0], [1], [2], [3], [4]], [1, 0, 1, 0, 2]),
        ({"num_bins": 3, "salt": [133, 137]}, [[0], [1], [2], [3], [4]], [1, 1, 2, 0, 1]),
    ],
)
def test_buckets_match_keras(kwargs, inputs, expected):
    layer = L.Hashing(**kwargs)
    np.testing.assert_array_equal(layer(inputs), np.asarray(expected)[:, None])
    np.testing.assert_array_equal(layer(np.asarray(inputs)), np.asarray(expected)[:, None])


def test_integer_inputs_hash_the_same_in_a_compiled_model():
    ints = np.arange(-3, 9, dtype=np.int32).reshape(4, 3)
    layer = L.Hashing(num_bins=7, salt=5)
    eager = np.asarray(layer(ints))
    inputs = kerax.Input((3,), dtype="int32")
    model = kerax.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(ints, verbose=0), eager)
    # the eager numeric path and the string path agree (integers hash as decimals)
    np.testing.assert_array_equal(eager, layer(ints.astype(str)))
    one_hot = L.Hashing(num_bins=7, salt=5, output_mode="one_hot")(ints[:, :1])
    np.testing.assert_array_equal(one_hot, np.eye(7, dtype=np.float32)[eager[:, 0]])
    multi = np.asarray(L.Hashing(num_bins=7, salt=5, output_mode="multi_hot")(ints))
    expected = np.zeros((4, 7), np.float32)
    for row, bins in enumerate(eager):
        expected[row, bins] = 1.0
    np.testing.assert_array_equal(multi, expected)


def test_config_round_trip_and_errors():
    layer = L.Hashing(num_bins=4, mask_value="", salt=3)
    config = layer.get_config()
    assert config["salt"] == [3, 3]
    clone = L.Hashing.from_config(config)
    np.testing.assert_array_equal(clone([["x"], [""]]), layer([["x"], [""]]))
    for bad in ({"num_bins": None}, {"num_bins": -1}, {"num_bins": 2, "salt": "string"}):
        with pytest.raises(ValueError, match="num_bins|salt"):
            L.Hashing(**bad)
    with pytest.raises(ValueError, match="salt"):
        L.Hashing(num_bins=2, salt=[1])
    with pytest.raises(ValueError, match="sparse"):
        L.Hashing(num_bins=2, output_mode="one_hot", sparse=True)
