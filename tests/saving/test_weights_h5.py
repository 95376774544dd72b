""".weights.h5 files in Keras 3's layout, both ways, against the real keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax


def _build(lib):
    inner_in = lib.Input((4,))
    inner = lib.Model(inner_in, lib.layers.Dense(3, name="d_in")(inner_in), name="inner")
    a = lib.Input((4,), name="a")
    x = lib.layers.BatchNormalization(name="bn")(inner(a))
    seq = lib.Sequential([lib.layers.Dense(2, name="s1")], name="seq")
    return lib.Model(a, lib.layers.Dense(1, name="d")(seq(x)), name="m")


def _data():
    return np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)


def test_keras_file_loads_into_kerax(tmp_path):
    theirs = _build(keras)
    theirs.layers[2].set_weights([w + 0.5 for w in theirs.layers[2].get_weights()])  # BN stats
    path = str(tmp_path / "k.weights.h5")
    theirs.save_weights(path)
    ours = _build(kerax)
    ours.load_weights(path)
    np.testing.assert_allclose(
        ours.predict(_data(), verbose=0), theirs.predict(_data(), verbose=0), rtol=1e-5, atol=1e-6
    )


def test_kerax_file_loads_into_keras(tmp_path):
    ours = _build(kerax)
    path = str(tmp_path / "x.weights.h5")
    ours.save_weights(path)
    theirs = _build(keras)
    theirs.load_weights(path)
    np.testing.assert_allclose(
        theirs.predict(_data(), verbose=0), ours.predict(_data(), verbose=0), rtol=1e-5, atol=1e-6
    )


def test_mismatch_names_the_file_and_changes_nothing(tmp_path):
    x = kerax.Input((4,))
    small = kerax.Model(x, kerax.layers.Dense(2)(x))
    path = str(tmp_path / "s.weights.h5")
    small.save_weights(path)
    y = kerax.Input((4,))
    big = kerax.Model(y, kerax.layers.Dense(3)(y))
    before = big.get_weights()
    with pytest.raises(
        ValueError,
        match=r"s\.weights\.h5.*'dense_1'.*shape \(4, 3\).*\(4, 2\).*No weight was changed",
    ):
        big.load_weights(path)
    for a, b in zip(before, big.get_weights()):
        np.testing.assert_array_equal(a, b)
    big.load_weights(path, skip_mismatch=True)


def test_corrupt_and_missing_files(tmp_path):
    x = kerax.Input((4,))
    model = kerax.Model(x, kerax.layers.Dense(2)(x))
    bad = tmp_path / "bad.weights.h5"
    bad.write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match=r"bad\.weights\.h5.*not an HDF5 file"):
        model.load_weights(str(bad))
    with pytest.raises(FileNotFoundError, match="nope"):
        model.load_weights(str(tmp_path / "nope.weights.h5"))
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(str(tmp_path / "w.h5"))


def test_recurrent_layers_use_keras_cell_paths(tmp_path):
    def build(lib):
        x = lib.Input((5, 3))
        h = lib.layers.LSTM(4, return_sequences=True)(x)
        return lib.Model(x, lib.layers.Dense(1)(lib.layers.GRU(2)(h)))

    data = np.random.default_rng(1).normal(size=(2, 5, 3)).astype(np.float32)
    theirs = build(keras)
    path = str(tmp_path / "rnn.weights.h5")
    theirs.save_weights(path)
    ours = build(kerax)
    ours.load_weights(path)
    np.testing.assert_allclose(
        ours.predict(data, verbose=0), theirs.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    back = str(tmp_path / "back.weights.h5")
    ours.save_weights(back)
    again = build(keras)
    again.load_weights(back)
    np.testing.assert_allclose(
        again.predict(data, verbose=0), theirs.predict(data, verbose=0), rtol=1e-6
    )
