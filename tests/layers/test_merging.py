"""Merging layers: the shared harness, the arithmetic, masks (Keras 3's rules) and the
argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer

ELEMENTWISE = [
    layers.Add,
    layers.Subtract,
    layers.Multiply,
    layers.Average,
    layers.Maximum,
    layers.Minimum,
]


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("cls", ELEMENTWISE)
def test_elementwise_harness(cls):
    check_layer(cls, {}, [(2, 3), (2, 3)], expected_output_shape=(None, 3))


@pytest.mark.parametrize("cls", [c for c in ELEMENTWISE if c is not layers.Subtract])
def test_elementwise_three_inputs_and_ranks(cls):
    check_layer(cls, {}, [(2, 4, 3), (2, 4, 3), (2, 4, 3)], expected_output_shape=(None, 4, 3))
    # A lower-rank input gains axes after the batch axis: (2, 3) acts as (2, 1, 3).
    check_layer(cls, {}, [(2, 4, 3), (2, 3)], expected_output_shape=(None, 4, 3))


@pytest.mark.parametrize(
    "kwargs, shapes, expected",
    [
        ({"axes": 1}, [(2, 3), (2, 3)], (None, 1)),
        ({"axes": -1}, [(2, 4, 3), (2, 5, 3)], (None, 4, 5)),
        ({"axes": (1, 2)}, [(2, 4, 3), (2, 5, 4)], (None, 3, 5)),
        ({"axes": [2, 1], "normalize": True}, [(2, 4, 3), (2, 3, 5)], (None, 4, 5)),
        ({"axes": 1}, [(2, 3), (2, 3, 5)], (None, 5)),
        ({"axes": (2, 1)}, [(2, 4, 3), (2, 3)], (None, 4)),
    ],
)
def test_dot_harness(kwargs, shapes, expected):
    check_layer(layers.Dot, kwargs, shapes, expected_output_shape=expected)


def test_concatenate_axis_harness():
    check_layer(
        layers.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], expected_output_shape=(None, 5, 4)
    )


def test_elementwise_values():
    a, b, c = _data((2, 3, 4), 0), _data((2, 3, 4), 1), _data((2, 3, 4), 2)
    cases = {
        layers.Add: a + b + c,
        layers.Multiply: a * b * c,
        layers.Average: (a + b + c) / 3,
        layers.Maximum: np.maximum(np.maximum(a, b), c),
        layers.Minimum: np.minimum(np.minimum(a, b), c),
    }
    for cls, expected in cases.items():
        np.testing.assert_allclose(np.asarray(cls()([a, b, c])), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(layers.Subtract()([a, b])), a - b, rtol=1e-6)
    low = _data((2, 4), 3)
    np.testing.assert_allclose(np.asarray(layers.Add()([a, low])), a + low[:, None], rtol=1e-6)


def test_function_forms():
    a, b = _data((2, 3), 0), _data((2, 3), 1)
    pairs = [
        (layers.add, a + b),
        (layers.subtract, a - b),
        (layers.multiply, a * b),
        (layers.average, (a + b) / 2),
        (layers.maximum, np.maximum(a, b)),
        (layers.minimum, np.minimum(a, b)),
        (layers.concatenate, np.concatenate([a, b], -1)),
    ]
    for fn, expected in pairs:
        np.testing.assert_allclose(np.asarray(fn([a, b])), expected, rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(layers.dot([a, b], axes=1)), np.sum(a * b, 1, keepdims=True), rtol=1e-5
    )
    # Symbolic use builds a model; keyword arguments reach the layer.
    x, y = kerax.Input((3,)), kerax.Input((3,))
    out = layers.subtract([x, y], name="diff")
    model = kerax.Model([x, y], out)
    assert model.get_layer("diff").__class__ is layers.Subtract
    np.testing.assert_allclose(model.predict([a, b], verbose=0), a - b, rtol=1e-6)


def test_dot_values():
    x, y = _data((2, 4, 3), 0), _data((2, 5, 4), 1)
    out = np.asarray(layers.Dot(axes=(1, 2))([x, y]))
    np.testing.assert_allclose(out, np.einsum("bkc,bnk->bcn", x, y), rtol=1e-5, atol=1e-6)
    a, b = _data((3, 6), 2), _data((3, 6), 3)
    cosine = np.asarray(layers.Dot(axes=-1, normalize=True)([a, b]))
    expected = np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cosine[:, 0], expected, rtol=1e-5)
    # A zero vector stays finite under normalize (the norm is bounded below).
    zero = np.asarray(layers.Dot(axes=1, normalize=True)([np.zeros_like(a), b]))
    assert np.all(zero == 0)


def test_merge_masks_follow_keras3():
    a, b = _data((2, 3, 2), 0), _data((2, 3, 2), 1)
    ma = np.array([[True, False, True], [True, True, False]])
    mb = np.array([[True, True, False], [False, True, False]])
    either = ma | mb
    for cls in ELEMENTWISE:
        layer = cls()
        np.testing.assert_array_equal(np.asarray(layer.compute_mask([a, b], [ma, mb])), either)
        assert layer.compute_mask([a, b], [ma, None]) is None
        assert layer.compute_mask([a, b], None) is None
    assert layers.Dot(axes=-1).compute_mask([a, b], [ma, mb]) is None
    # Concatenate: an unmasked input counts as valid everywhere.
    concat = layers.Concatenate()
    np.testing.assert_array_equal(np.asarray(concat.compute_mask([a, b], [ma, mb])), either)
    assert np.all(np.asarray(concat.compute_mask([a, b], [ma, None])))
    along_time = layers.Concatenate(axis=1).compute_mask([a, b], [ma, None])
    np.testing.assert_array_equal(np.asarray(along_time), np.concatenate([ma, np.ones_like(mb)], 1))


def test_masked_values():
    a, b = _data((2, 3, 2), 0), _data((2, 3, 2), 1)
    ma = np.array([[True, False, True], [True, True, False]])
    mb = np.array([[True, True, False], [False, True, False]])
    wa, wb = ma[..., None], mb[..., None]
    # Multiply: a masked factor counts as 1; positions masked everywhere become 0.
    got = np.asarray(layers.Multiply()([a, b], mask=[ma, mb]))
    expected = np.where(wa, a, 1) * np.where(wb, b, 1) * (wa | wb)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    got = np.asarray(layers.Multiply()([a, b], mask=[ma, None]))
    np.testing.assert_allclose(got, np.where(wa, a, 1) * b, rtol=1e-6)
    # Maximum / Minimum: a masked value takes no part (masked in all: the first input).
    got = np.asarray(layers.Maximum()([a, b], mask=[ma, mb]))
    expected = np.where(wa & wb, np.maximum(a, b), np.where(wb & ~wa, b, a))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    got = np.asarray(layers.Minimum()([a, b], mask=[None, mb]))
    np.testing.assert_allclose(got, np.where(wb, np.minimum(a, b), a), rtol=1e-6)
    # Add and Average compute on raw values.
    got = np.asarray(layers.Average()([a, b], mask=[ma, mb]))
    np.testing.assert_allclose(got, (a + b) / 2, rtol=1e-6)


def test_mask_reaches_downstream_layer():
    """In a model, the merged mask reaches the next layer (here a masked average)."""
    x, y = kerax.Input((3, 2)), kerax.Input((3, 2))
    merged = layers.Maximum()([layers.Masking()(x), layers.Masking()(y)])
    model = kerax.Model([x, y], layers.GlobalAveragePooling1D()(merged))
    a, b = _data((1, 3, 2), 0), _data((1, 3, 2), 1)
    a[0, 1] = b[0, 1] = 0.0  # step 1 padded in both inputs
    expected = np.maximum(a[0, [0, 2]], b[0, [0, 2]]).mean(0)
    np.testing.assert_allclose(model.predict([a, b], verbose=0)[0], expected, rtol=1e-5)


def test_errors():
    x, y, z = kerax.Input((3,)), kerax.Input((3,)), kerax.Input((3,))
    with pytest.raises(ValueError, match="exactly 2"):
        layers.Subtract()([x, y, z])
    with pytest.raises(ValueError, match=r"\(None, 4\)"):
        layers.Add()([x, kerax.Input((4,))])
    with pytest.raises(ValueError, match="at least 2"):
        layers.Multiply()([x])
    with pytest.raises(ValueError, match="list of"):
        layers.Maximum()(x)
    with pytest.raises(ValueError, match=r"`axes`.*axes='a'"):
        layers.Dot(axes="a")
    with pytest.raises(ValueError, match=r"`axes`.*axes=\(1, 2, 3\)"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match=r"`axes`.*axes=0"):
        layers.Dot(axes=0)
    with pytest.raises(ValueError, match="same size"):
        layers.Dot(axes=1)([x, kerax.Input((4,))])
    with pytest.raises(ValueError, match="exactly 2"):
        layers.Dot(axes=1)([x, y, z])
    with pytest.raises(ValueError, match="non-batch axis"):
        layers.Dot(axes=-2)([x, y])
