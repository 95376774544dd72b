"""Normalization, Discretization and CategoryEncoding against Keras 3 (JAX backend).

Keras's ``adapt`` on iterables needs TensorFlow, which the test environment does not
have: there the references are NumPy's moments of the concatenated data
(Normalization) and Keras's own ``update_state`` / ``finalize_state``, the steps its
``adapt`` runs per batch (Discretization).
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np
import pytest

import kerax
from tests.harness import check_layer

L = kerax.layers
K = keras.layers
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _config(layer: Any) -> dict[str, Any]:
    """The config without the name and dtype (Keras's counters and dtype-policy form
    differ from kerax's)."""
    return {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")}


def _data(shape: tuple[int, ...] = (20, 4, 3), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(3.0, 2.0, shape).astype("float32")


@pytest.mark.parametrize(
    "cls,kwargs,dtype",
    [
        ("Normalization", {}, "float32"),
        ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]}, "float32"),
        (
            "Discretization",
            {"bin_boundaries": [-1.0, 0.0, 1.0], "output_mode": "one_hot"},
            "float32",
        ),
        ("CategoryEncoding", {"num_tokens": 5, "output_mode": "count"}, "int32"),
        ("CategoryEncoding", {"num_tokens": 5, "output_mode": "one_hot"}, "int32"),
    ],
    ids=lambda v: str(v),
)
def test_harness(cls: str, kwargs: dict[str, Any], dtype: str):
    check_layer(getattr(L, cls), kwargs, (2, 3), dtype)


# ---------------------------------------------------------------- Normalization
@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
def test_normalization_adapt_matches_keras(axis: Any):
    x = _data()
    ours, theirs = L.Normalization(axis=axis), K.Normalization(axis=axis)
    ours.adapt(x)
    theirs.adapt(x)
    np.testing.assert_allclose(ours(x[:3]), theirs(x[:3]), **TOL)
    assert [(w.name, w.shape, str(w.dtype)) for w in ours.weights] == [
        (w.name, tuple(w.shape), str(w.dtype)) for w in theirs.weights
    ]
    for got, expected in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, **TOL)


def test_normalization_adapts_on_batches_and_pairs():
    x = _data()
    keep = (2,)
    reduce = tuple(d for d in range(3) if d not in keep)

    def pairs():  # a dataset of (x, y) batches of uneven sizes; adapt reads x
        for start, stop in ((0, 7), (7, 15), (15, 20)):
            yield x[start:stop], None

    layer = L.Normalization()
    layer.adapt(pairs())
    mean, variance, count = layer.get_weights()
    np.testing.assert_allclose(mean, x.mean(axis=reduce), **TOL)
    np.testing.assert_allclose(variance, x.var(axis=reduce), **TOL)
    assert count == 0  # Keras leaves `count` at 0 too


def test_normalization_given_statistics_and_invert_match_keras():
    x = _data()
    for kwargs in [
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 9.0]},
        {"mean": 2.0, "variance": 3.0, "invert": True},
        {"axis": (1, 2), "mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.0]},
    ]:
        ours, theirs = L.Normalization(**kwargs), K.Normalization(**kwargs)
        np.testing.assert_allclose(ours(x), theirs(x), **TOL)
        assert ours.weights == [] and _config(ours) == _config(theirs)
    inverted = L.Normalization(invert=True)
    inverted.adapt(x)
    reference = K.Normalization(invert=True)
    reference.adapt(x)
    np.testing.assert_allclose(inverted(x[:2]), reference(x[:2]), **TOL)


def test_normalization_takes_keras_weights_and_keeps_adapted_statistics_in_files(tmp_path):
    x = _data()
    reference = K.Normalization()
    reference.adapt(x)
    layer = L.Normalization()
    inputs = kerax.Input((4, 3))
    model = kerax.Model(inputs, L.Dense(2)(layer(inputs)))
    layer.set_weights(reference.get_weights())
    np.testing.assert_allclose(layer(x), reference(x), **TOL)
    expected = model.predict(x, verbose=0)
    # .weights.h5 into a fresh model, .keras into kerax and into Keras
    path = str(tmp_path / "norm.weights.h5")
    model.save_weights(path)
    inputs = kerax.Input((4, 3))
    fresh = kerax.Model(inputs, L.Dense(2)(L.Normalization()(inputs)))
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), expected, **TOL)
    path = os.path.join(tmp_path, "norm.keras")
    model.save(path)
    np.testing.assert_allclose(kerax.models.load_model(path).predict(x, verbose=0), expected, **TOL)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), expected, **TOL)


def test_normalization_adapted_after_the_model_is_built():
    x = _data()
    layer = L.Normalization()
    inputs = kerax.Input((4, 3))
    model = kerax.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(x, verbose=0), x, **TOL)  # mean 0, variance 1
    layer.adapt(x)
    standardized = (x - x.mean(axis=(0, 1))) / x.std(axis=(0, 1))
    np.testing.assert_allclose(model.predict(x, verbose=0), standardized, rtol=1e-4, atol=1e-4)


def test_normalization_errors():
    with pytest.raises(ValueError, match="together"):
        L.Normalization(mean=1.0)
    layer = L.Normalization()
    layer.adapt(_data())
    with pytest.raises(ValueError, match="adapt"):
        layer.adapt(_data((5, 4, 2)))
    with pytest.raises(ValueError, match="given"):
        L.Normalization(mean=1.0, variance=1.0).adapt(_data())
    with pytest.raises(TypeError, match="iterable"):
        L.Normalization().adapt(3.0)
    with pytest.raises(ValueError, match="empty"):
        L.Normalization().adapt([])


# ---------------------------------------------------------------- Discretization
@pytest.mark.parametrize("num_bins,epsilon", [(3, 0.01), (5, 0.1)])
def test_discretization_adapt_matches_keras(num_bins: int, epsilon: float):
    y = _data((60, 3), seed=1)
    batches = [y[:25], y[25:]]
    ours = L.Discretization(num_bins=num_bins, epsilon=epsilon)
    ours.adapt(batches)
    theirs = K.Discretization(num_bins=num_bins, epsilon=epsilon)
    for batch in batches:
        theirs.update_state(batch)
    theirs.finalize_state()
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    np.testing.assert_array_equal(ours(y), theirs(y))
    whole = L.Discretization(num_bins=num_bins, epsilon=epsilon)
    whole.adapt(y)
    reference = K.Discretization(num_bins=num_bins, epsilon=epsilon)
    reference.update_state(y)
    reference.finalize_state()
    np.testing.assert_allclose(whole.bin_boundaries, reference.bin_boundaries, rtol=1e-6)


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_output_modes_match_keras(mode: str):
    y = _data((6, 3), seed=2) - 3.0
    kwargs = {"bin_boundaries": [-1.0, 0.0, 0.5], "output_mode": mode}
    ours, theirs = L.Discretization(**kwargs), K.Discretization(**kwargs)
    for x in (y, y[:, :1]):
        got, expected = np.asarray(ours(x)), np.asarray(theirs(x))
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    assert _config(ours) == _config(theirs)


def test_discretization_keeps_adapted_boundaries_in_keras_files(tmp_path):
    y = _data((40, 3), seed=3)
    layer = L.Discretization(num_bins=4)
    layer.adapt(y)
    inputs = kerax.Input((3,))
    model = kerax.Model(inputs, layer(inputs))
    path = str(tmp_path / "disc.keras")
    model.save(path)
    expected = model.predict(y, verbose=0)
    np.testing.assert_array_equal(kerax.models.load_model(path).predict(y, verbose=0), expected)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(y, verbose=0), expected)
    with pytest.raises(ValueError, match="adapt"):
        L.Discretization(num_bins=3)(y)


# ---------------------------------------------------------------- CategoryEncoding
@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_matches_keras(mode: str):
    ints = np.random.default_rng(4).integers(0, 7, (4, 3)).astype("int32")  # 5, 6 out of range
    ours, theirs = L.CategoryEncoding(5, mode), K.CategoryEncoding(5, mode)
    for x in (ints, ints[:, :1], ints[0]):
        np.testing.assert_array_equal(ours(x), theirs(x))
    assert _config(ours) == _config(theirs)
    inputs = kerax.Input((3,), dtype="int32")
    model = kerax.Model(inputs, ours(inputs))
    np.testing.assert_array_equal(model.predict(ints, verbose=0), theirs(ints))


def test_category_encoding_count_weights_and_errors():
    ints = np.array([[0, 1, 1], [4, 4, 2]], np.int32)
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 3.0, 0.25]], np.float32)
    got = L.CategoryEncoding(5, "count")(ints, count_weights=weights)
    expected = K.CategoryEncoding(5, "count")(ints, count_weights=weights)
    np.testing.assert_allclose(got, expected, **TOL)
    with pytest.raises(ValueError, match="count_weights"):
        L.CategoryEncoding(5, "one_hot")(ints, count_weights=weights)
    with pytest.raises(ValueError, match="num_tokens"):
        L.CategoryEncoding()
    with pytest.raises(ValueError, match="sparse"):
        L.CategoryEncoding(3, sparse=True)
    with pytest.raises(ValueError, match="rank"):
        L.CategoryEncoding(3)(np.zeros((2, 2, 2), np.int32))
