"""Activation layers: the shared harness, Keras 3's formulas and defaults, Softmax
masking and the argument errors."""

from __future__ import annotations

import jax
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
        (layers.ReLU, {}, (2, 3)),
        (layers.ReLU, {"max_value": 0.5, "negative_slope": 0.1, "threshold": 0.2}, (2, 3)),
        (layers.LeakyReLU, {}, (2, 3)),
        (layers.LeakyReLU, {"negative_slope": 0.01}, (2, 4, 3)),
        (layers.PReLU, {}, (2, 3)),
        (layers.PReLU, {"alpha_initializer": "ones", "shared_axes": [1, 2]}, (2, 3, 4, 2)),
        (layers.PReLU, {"alpha_regularizer": "l2", "shared_axes": 1}, (2, 3, 4)),
        (layers.ELU, {}, (2, 3)),
        (layers.ELU, {"alpha": 0.5}, (2, 3)),
        (layers.Softmax, {}, (2, 3)),
        (layers.Softmax, {"axis": 1}, (2, 3, 4)),
        (layers.Softmax, {"axis": [1, 2]}, (2, 3, 4)),
    ],
)
def test_harness(cls, kwargs, shape):
    check_layer(cls, kwargs, shape, expected_output_shape=(None, *shape[1:]))


def test_relu_formulas():
    x = np.array([[-2.0, -0.5, 0.0, 0.2, 0.3, 0.5, 1.0, 8.0]], "float32")
    np.testing.assert_allclose(np.asarray(layers.ReLU()(x)), np.maximum(x, 0))
    np.testing.assert_allclose(np.asarray(layers.ReLU(max_value=6.0)(x)), np.clip(x, 0, 6))
    np.testing.assert_allclose(
        np.asarray(layers.ReLU(negative_slope=0.1)(x)), np.where(x >= 0, x, 0.1 * x), rtol=1e-6
    )
    # Keras: 0 at and below the threshold, x above it (capped), slope below it.
    got = np.asarray(layers.ReLU(max_value=0.9, negative_slope=0.1, threshold=0.3)(x))
    expected = np.where(x > 0.3, np.minimum(x, 0.9), 0.0) - 0.1 * np.maximum(0.3 - x, 0)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert got[0, 4] == 0.0  # exactly at the threshold


def test_leaky_relu_default_and_alias():
    x = np.array([[-2.0, 3.0]], "float32")
    assert layers.LeakyReLU().negative_slope == 0.3  # Keras 3's layer default
    np.testing.assert_allclose(np.asarray(layers.LeakyReLU()(x)), [[-0.6, 3.0]], rtol=1e-6)
    assert layers.LeakyReLU(alpha=0.1).negative_slope == 0.1  # Keras's deprecated name


def test_prelu_weight_and_formula():
    inputs = kerax.Input((3, 4))
    layer = layers.PReLU(shared_axes=[1])
    layer(inputs)
    assert [w.path.split("/")[-1] for w in layer.weights] == ["alpha"]
    assert layer.weights[0].shape == (1, 4)
    alpha = np.array([[0.1, 0.2, -0.3, 0.5]], "float32")
    layer.set_weights([alpha])
    x = _data((2, 3, 4))
    np.testing.assert_allclose(np.asarray(layer(x)), np.where(x >= 0, x, alpha * x), rtol=1e-6)
    with pytest.raises(ValueError, match="axis 2"):
        layer(kerax.Input((3, 5)))


def test_elu_formula():
    x = _data((2, 5))
    expected = np.where(x > 0, x, 0.7 * (np.exp(x) - 1))
    np.testing.assert_allclose(np.asarray(layers.ELU(alpha=0.7)(x)), expected, rtol=1e-5)


def test_softmax_axes():
    x = _data((2, 3, 4))
    e = np.exp(x)
    np.testing.assert_allclose(
        np.asarray(layers.Softmax()(x)), e / e.sum(-1, keepdims=True), rtol=1e-5
    )
    np.testing.assert_allclose(
        np.asarray(layers.Softmax(axis=1)(x)), e / e.sum(1, keepdims=True), rtol=1e-5
    )
    np.testing.assert_allclose(
        np.asarray(layers.Softmax(axis=[1, 2])(x)), e / e.sum((1, 2), keepdims=True), rtol=1e-5
    )


def test_softmax_mask():
    x = _data((3, 4))
    mask = np.array([[True, False, True, True], [False] * 4, [True] * 4])
    out = np.asarray(layers.Softmax()(x, mask=mask))
    assert np.all(out[~mask] == 0)
    np.testing.assert_allclose(out[[0, 2]].sum(-1), 1.0, rtol=1e-6)
    assert np.all(out[1] == 0)  # a fully masked row is all zeros, not uniform
    kept = np.exp(x[0, [0, 2, 3]])
    np.testing.assert_allclose(out[0, [0, 2, 3]], kept / kept.sum(), rtol=1e-5)
    # A numeric mask keeps the positions above 0.5; a mask broadcasts against the logits.
    numeric = np.asarray(layers.Softmax()(x, mask=mask.astype("float32")))
    np.testing.assert_allclose(numeric, out)
    rows = np.asarray(layers.Softmax()(_data((3, 2, 4)), mask=mask[:, None, :]))
    assert np.all(rows[1] == 0)
    with pytest.raises(ValueError, match="does not broadcast"):
        layers.Softmax()(x, mask=np.ones((3, 5), bool))


def test_softmax_mask_in_model():
    x, m = kerax.Input((4,)), kerax.Input((4,), dtype="bool")
    model = kerax.Model([x, m], layers.Softmax()(x, mask=m))
    data, mask = _data((2, 4)), np.array([[True, True, False, False], [True] * 4])
    out = model.predict([data, mask], verbose=0)
    assert np.all(out[0, 2:] == 0)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)
    grads = jax.grad(lambda v: model.lowered.apply(model.get_variables(), [v, mask])[0][0].sum())(
        data
    )
    assert np.all(np.isfinite(np.asarray(grads)))


def test_activation_layers_keep_masks():
    for layer in (
        layers.ReLU(),
        layers.LeakyReLU(),
        layers.PReLU(),
        layers.ELU(),
        layers.Softmax(),
    ):
        assert layer.supports_masking


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: layers.ReLU(max_value=-1.0), r"`max_value`.*max_value=-1\.0"),
        (lambda: layers.ReLU(negative_slope=-0.1), r"`negative_slope`.*negative_slope=-0\.1"),
        (lambda: layers.ReLU(threshold=None), r"`threshold`.*threshold=None"),
        (lambda: layers.LeakyReLU(negative_slope=-1), r"`negative_slope`.*negative_slope=-1"),
        (lambda: layers.LeakyReLU(negative_slope=None), r"`negative_slope`.*negative_slope=None"),
        (lambda: layers.PReLU(shared_axes=[0]), r"`shared_axes`.*shared_axes=\[0\]"),
        (lambda: layers.PReLU(shared_axes="x"), r"`shared_axes`.*shared_axes='x'"),
        (lambda: layers.ELU(alpha="big"), r"`alpha`.*alpha='big'"),
        (lambda: layers.Softmax(axis="last"), r"`axis`.*axis='last'"),
        (lambda: layers.Softmax(axis=[]), r"`axis`.*axis=\[\]"),
    ],
)
def test_constructor_errors(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()
