"""LayerNormalization, GroupNormalization and UnitNormalization: the shared harness,
reference formulas, weight layouts, dtypes and the argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (layers.LayerNormalization, {}, (2, 3)),
        (layers.LayerNormalization, {"axis": [1, 2], "epsilon": 1e-5}, (2, 3, 4)),
        (layers.LayerNormalization, {"axis": 1, "center": False}, (2, 3, 4)),
        (layers.LayerNormalization, {"scale": False}, (2, 3)),
        (layers.LayerNormalization, {"rms_scaling": True}, (2, 3)),
        (layers.LayerNormalization, {"gamma_regularizer": "l2"}, (2, 3)),
        (layers.GroupNormalization, {"groups": 2}, (2, 4)),
        (layers.GroupNormalization, {"groups": -1, "center": False}, (2, 3, 4)),
        (layers.GroupNormalization, {"groups": 2, "axis": 1, "scale": False}, (2, 4, 3, 3)),
        (layers.UnitNormalization, {}, (2, 3)),
        (layers.UnitNormalization, {"axis": [1, 2]}, (2, 3, 4)),
    ],
)
def test_harness(cls, kwargs, shape):
    check_layer(cls, kwargs, shape, expected_output_shape=(None, *shape[1:]))


def _normalize(x, axes, eps):
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def test_layer_normalization_values():
    x = _data((2, 3, 4))
    layer = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    layer(kerax.Input((3, 4)))
    assert [w.shape for w in layer.weights] == [(3, 4), (3, 4)]
    gamma, beta = _data((3, 4), 1), _data((3, 4), 2)
    layer.set_weights([gamma, beta])
    expected = _normalize(x, (1, 2), 1e-5) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-5)

    plain = np.asarray(layers.LayerNormalization()(x))
    np.testing.assert_allclose(plain, _normalize(x, -1, 1e-3), rtol=1e-5, atol=1e-5)

    # rms_scaling (Keras's deprecated flag): divide by sqrt(var + eps), no centering.
    rms = layers.LayerNormalization(rms_scaling=True)
    out = np.asarray(rms(x))
    assert [w.path.split("/")[-1] for w in rms.weights] == ["gamma"]
    np.testing.assert_allclose(out, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-5)


def test_layer_normalization_weights():
    layer = layers.LayerNormalization(axis=1)
    layer(kerax.Input((3, 4)))
    assert [w.path.split("/")[-1] for w in layer.weights] == ["gamma", "beta"]
    assert [w.shape for w in layer.weights] == [(3,), (3,)]
    assert layers.LayerNormalization().get_config()["epsilon"] == 1e-3
    bare = layers.LayerNormalization(center=False, scale=False)
    bare(kerax.Input((3,)))
    assert bare.weights == []


def test_group_normalization_values():
    x = _data((2, 5, 6))
    layer = layers.GroupNormalization(groups=3)
    layer(kerax.Input((5, 6)))
    gamma, beta = _data((6,), 1), _data((6,), 2)
    layer.set_weights([gamma, beta])
    grouped = x.reshape(2, 5, 3, 2)
    expected = _normalize(grouped, (1, 3), 1e-3).reshape(2, 5, 6) * gamma + beta
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-5)
    # groups=-1: one group per channel (instance normalization).
    inst = np.asarray(layers.GroupNormalization(groups=-1)(x))
    np.testing.assert_allclose(inst, _normalize(x, 1, 1e-3), rtol=1e-5, atol=1e-5)
    # Channels first: groups along axis 1.
    xc = _data((2, 4, 3, 3), 3)
    chf = np.asarray(layers.GroupNormalization(groups=2, axis=1)(xc))
    expected = _normalize(xc.reshape(2, 2, 2, 3, 3), (2, 3, 4), 1e-3).reshape(xc.shape)
    np.testing.assert_allclose(chf, expected, rtol=1e-5, atol=1e-5)
    assert layers.GroupNormalization().groups == 32  # Keras's default


def test_unit_normalization_values():
    x = _data((2, 3, 4))
    out = np.asarray(layers.UnitNormalization()(x))
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    both = np.asarray(layers.UnitNormalization(axis=[1, 2])(x))
    np.testing.assert_allclose(np.sqrt((both**2).sum((1, 2))), 1.0, rtol=1e-5)
    zero = np.asarray(layers.UnitNormalization()(np.zeros((1, 3), "float32")))
    assert np.all(zero == 0)


def test_mixed_precision_output_dtype():
    x, data = kerax.Input((4,)), _data((2, 4))
    grouped = _normalize(data.reshape(2, 2, 2), -1, 1e-3).reshape(2, 4)
    for layer, expected in (
        (layers.LayerNormalization(dtype="mixed_float16"), _normalize(data, -1, 1e-3)),
        (layers.GroupNormalization(groups=2, dtype="mixed_float16"), grouped),
    ):
        assert str(layer(x).dtype) == "float16"
        assert layer.weights[0].dtype == "float32"
        value = np.asarray(layer(data))
        assert value.dtype == np.float16
        np.testing.assert_allclose(value, expected, atol=2e-2)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: layers.LayerNormalization(axis="x"), r"`axis`.*axis='x'"),
        (lambda: layers.LayerNormalization(axis=[]), r"`axis`.*axis=\[\]"),
        (lambda: layers.LayerNormalization(epsilon=-1.0), r"`epsilon`.*epsilon=-1\.0"),
        (lambda: layers.GroupNormalization(groups=0), r"`groups`.*groups=0"),
        (lambda: layers.GroupNormalization(groups=2.5), r"`groups`.*groups=2\.5"),
        (lambda: layers.GroupNormalization(axis=[1]), r"`axis`.*axis=\[1\]"),
        (lambda: layers.GroupNormalization(epsilon="a"), r"`epsilon`.*epsilon='a'"),
        (lambda: layers.UnitNormalization(axis=1.5), r"`axis`.*axis=1\.5"),
    ],
)
def test_constructor_errors(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


def test_build_errors():
    with pytest.raises(ValueError, match="groups=3 must divide"):
        layers.GroupNormalization(groups=3)(kerax.Input((4,)))
    with pytest.raises(ValueError, match="groups=8 must divide"):
        layers.GroupNormalization(groups=8)(kerax.Input((4,)))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        layers.LayerNormalization(axis=3)(kerax.Input((4,)))
    with pytest.raises(ValueError, match="axis -3 is out of range"):
        layers.UnitNormalization(axis=-3)(kerax.Input((4,)))
    with pytest.raises(ValueError, match="known sizes"):
        layers.LayerNormalization(axis=1)(kerax.Input((None, 4)))
