"""kerax.ops on arrays, on Variables, and on symbolic tensors (recorded as graph nodes)."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax import ops
from kerax.layers import Dense, Input, Lambda


def test_ops_on_arrays_match_numpy():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(np.asarray(ops.sum(x, axis=1)), x.sum(1))
    np.testing.assert_allclose(np.asarray(ops.matmul(x, x.T)), x @ x.T)
    np.testing.assert_allclose(np.asarray(ops.relu(x - 2)), np.maximum(x - 2, 0))
    np.testing.assert_allclose(
        np.asarray(ops.softmax(x)), np.exp(x) / np.exp(x).sum(-1, keepdims=True), rtol=1e-6
    )


def test_ops_accept_variables():
    dense = Dense(2, kernel_initializer="ones")
    dense(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(np.asarray(ops.matmul(np.ones((1, 3)), dense.kernel)), [[3.0, 3.0]])


def test_symbolic_ops_and_operators_build_a_graph():
    x = Input(shape=(4,))
    y = ops.relu(x) * 2 + x[:, :1] - 1.0
    assert y.shape == (None, 4)
    z = ops.concatenate([y, -x], axis=-1)
    assert z.shape == (None, 8)
    model = kerax.Model(x, [z, ops.mean(x, axis=-1, keepdims=True)])
    data = np.array([[-1.0, 0.0, 1.0, 2.0]], np.float32)
    out, mean = model.predict(data, verbose=0)
    expected = np.maximum(data, 0) * 2 + data[:, :1] - 1.0
    np.testing.assert_allclose(out, np.concatenate([expected, -data], -1), rtol=1e-6)
    np.testing.assert_allclose(mean, data.mean(-1, keepdims=True))


def test_equality_stays_identity():
    x = Input(shape=(2,))
    assert (x == x) is True
    assert (x == Input(shape=(2,))) is False


def test_lambda_layer():
    x = Input(shape=(3,))
    y = Lambda(lambda t, k: t * k, arguments={"k": 3.0})(x)
    model = kerax.Model(x, y)
    np.testing.assert_allclose(
        model.predict(np.ones((2, 3), np.float32), verbose=0), np.full((2, 3), 3.0)
    )
    with pytest.raises(ValueError, match="must be callable"):
        Lambda(3)


def test_more_ops_match_keras_ops():
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6)).astype(np.float32)
    y = rng.normal(size=(2, 6)).astype(np.float32)
    img = rng.normal(size=(1, 6, 6, 2)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)
    cases = [
        ("arctan2", (x, y), {}),
        ("logaddexp", (x, y), {}),
        ("roll", (x, 2), {"axis": 1}),
        ("divide_no_nan", (x, np.where(y > 0, y, 0).astype(np.float32)), {}),
        ("normalize", (x,), {}),
        ("max_pool", (img, (2, 2)), {"strides": (2, 2)}),
        ("average_pool", (img, (2, 2)), {"strides": (1, 1), "padding": "same"}),
        ("conv", (img, kernel), {"padding": "same"}),
        ("binary_crossentropy", (np.clip(np.abs(y), 0, 1), 1 / (1 + np.exp(-x))), {}),
        ("erf", (x,), {}),
        ("rsqrt", (np.abs(x) + 1,), {}),
    ]
    for name, args, kwargs in cases:
        ours = np.asarray(getattr(ops, name)(*args, **kwargs))
        theirs = np.asarray(getattr(keras.ops, name)(*args, **kwargs))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=name)
    values, indices = ops.top_k(x, 2)
    kv, ki = keras.ops.top_k(x, 2)
    np.testing.assert_allclose(np.asarray(values), np.asarray(kv))
    np.testing.assert_array_equal(np.asarray(indices), np.asarray(ki))


def test_linalg_nn_and_control_flow_ops_match_keras_ops():
    import keras

    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3)).astype(np.float32)
    spd = (a @ a.T + 3 * np.eye(3)).astype(np.float32)
    logits = rng.normal(size=(4, 5)).astype(np.float32)
    labels = np.eye(5, dtype=np.float32)[[0, 2, 4, 1]]
    img = rng.normal(size=(1, 4, 4, 2)).astype(np.float32)
    q = rng.normal(size=(2, 3, 2, 4)).astype(np.float32)
    pairs = [
        (ops.norm(a), keras.ops.norm(a)),
        (ops.inv(spd), keras.ops.inv(spd)),
        (ops.det(spd), keras.ops.det(spd)),
        (ops.solve(spd, a), keras.ops.solve(spd, a)),
        (ops.cholesky(spd), keras.ops.cholesky(spd)),
        (
            ops.categorical_crossentropy(labels, logits, from_logits=True),
            keras.ops.categorical_crossentropy(labels, logits, from_logits=True),
        ),
        (
            ops.sparse_categorical_crossentropy(np.array([0, 2, 4, 1]), logits, from_logits=True),
            keras.ops.sparse_categorical_crossentropy(
                np.array([0, 2, 4, 1]), logits, from_logits=True
            ),
        ),
        (
            ops.multi_hot(np.array([[0, 2], [1, 1]]), 4),
            keras.ops.multi_hot(np.array([[0, 2], [1, 1]]), 4),
        ),
        (ops.resize(img, (8, 8)), keras.ops.image.resize(img, (8, 8))),
        (ops.dot_product_attention(q, q, q), keras.ops.dot_product_attention(q, q, q)),
        (
            ops.fori_loop(0, 4, lambda i, v: v + i, 0.0),
            keras.ops.fori_loop(0, 4, lambda i, v: v + i, 0.0),
        ),
        (ops.while_loop(lambda v: v < 10, lambda v: v * 2, 1), 16),
        (ops.cond(True, lambda: 1.0, lambda: 2.0), 1.0),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-5)


def test_keras_sub_namespaces():
    x = np.eye(2, dtype=np.float32) * 2
    np.testing.assert_allclose(np.asarray(ops.linalg.inv(x)), np.eye(2) / 2)
    np.testing.assert_allclose(np.asarray(ops.numpy.sum(x)), 4.0)
    np.testing.assert_allclose(np.asarray(ops.nn.relu(-x)), np.zeros((2, 2)))
    assert ops.image.resize(np.ones((1, 2, 2, 1), np.float32), (4, 4)).shape == (1, 4, 4, 1)


def test_namespaces_are_modules_and_star_import_keeps_stdlib_names():
    import math as stdlib_math

    assert ops.math.fft is ops.fft and ops.image.crop_images is not None
    from kerax.ops.numpy import nanmean  # the namespaces are importable modules

    assert nanmean is ops.nanmean
    scope: dict = {}
    exec("import math\nfrom kerax.ops import *", scope)
    assert scope["math"] is stdlib_math and "relu" in scope and "crop_images" not in scope
