"""Attention and EinsumDense against Keras 3 (JAX backend): same weights, same numbers.

Each test builds one model in both libraries, copies Keras's weights into kerax with
``set_weights`` and compares ``predict``; MultiHeadAttention and EinsumDense models
also take one SGD(0.1) step on the mean squared error, and the updated weights are
compared.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

TOL = {"rtol": 1e-5, "atol": 1e-5}
TOKENS = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 2, 0], [3, 0, 0, 0, 0]], "int32")


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, list | tuple) else [np.asarray(out)]


def _compare(build, data, *, targets=None):
    reference, model = build(keras), build(kerax)
    weights = reference.get_weights()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
    rng = np.random.default_rng(7)
    weights = [rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in weights]
    reference.set_weights(weights)
    model.set_weights(reference.get_weights())
    expected = _as_list(reference.predict(data, verbose=0))
    got = _as_list(model.predict(data, verbose=0))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, **TOL)
    if targets is not None:
        reference.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.compile(optimizer=kerax.optimizers.SGD(0.1), loss="mse")
        expected_loss = reference.train_on_batch(data, targets)
        loss = model.train_on_batch(data, targets)
        np.testing.assert_allclose(np.asarray(loss), np.asarray(expected_loss), **TOL)
        for g, e in zip(model.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_allclose(g, e, **TOL)


@pytest.mark.parametrize("mode", ["plain", "attention_mask", "causal", "scores", "key"])
def test_mha(mode):
    q, v = _data((3, 4, 6), 1), _data((3, 5, 3), 2)
    amask = np.random.default_rng(3).random((3, 4, 5)) > 0.3
    amask[:, :, 0] = True

    def build(lib):
        query, value = lib.Input((4, 6)), lib.Input((5, 3))
        inputs, kwargs, extra = [query, value], {}, {}
        if mode == "attention_mask":
            mask_in = lib.Input((4, 5), dtype="bool")
            inputs.append(mask_in)
            kwargs["attention_mask"] = mask_in
        elif mode == "causal":
            kwargs["use_causal_mask"] = True
        elif mode == "scores":
            kwargs["return_attention_scores"] = True
            extra["value_dim"] = 4
        elif mode == "key":
            key = lib.Input((5, 2))
            inputs.append(key)
            kwargs["key"] = key
        layer = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, **extra)
        return lib.Model(inputs, layer(query, value, **kwargs))

    data = [q, v]
    if mode == "attention_mask":
        data.append(amask)
    elif mode == "key":
        data.append(_data((3, 5, 2), 4))
    targets = None if mode == "scores" else _data((3, 4, 6), 5)
    _compare(build, data, targets=targets)


@pytest.mark.parametrize("causal", [False, True])
def test_mha_with_embedding_masks(causal):
    def build(lib):
        tokens = lib.Input((5,), dtype="int32")
        x = lib.layers.Embedding(8, 6, mask_zero=True)(tokens)
        y = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.0)(
            x, x, use_causal_mask=causal
        )
        pooled = lib.layers.GlobalAveragePooling1D()(y)  # uses the propagated query mask
        return lib.Model(tokens, [y, pooled])

    _compare(build, TOKENS)


def test_mha_attention_axes():
    def build(lib):
        x = lib.Input((3, 2, 4))
        layer = lib.layers.MultiHeadAttention(
            num_heads=2, key_dim=2, attention_axes=(1, 2), output_shape=5
        )
        return lib.Model(x, layer(x, x))

    _compare(build, _data((2, 3, 2, 4)), targets=_data((2, 3, 2, 5), 1))


@pytest.mark.parametrize(
    "equation, output_shape, bias_axes, shape",
    [
        ("ab,bc->ac", 4, "c", (3,)),
        ("abc,cde->abde", (None, 2, 3), "de", (5, 6)),
        ("...b,bc->...c", 4, None, (5, 6)),
        ("ab...,bc->ac...", 4, "c", (6, 2)),
    ],
)
def test_einsum_dense(equation, output_shape, bias_axes, shape):
    def build(lib):
        x = lib.Input(shape)
        layer = lib.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
        return lib.Model(x, layer(x))

    reference = build(keras)
    out_shape = (3, *reference.output_shape[1:])
    out_shape = tuple(shape[0] if d is None else d for d in out_shape)
    _compare(build, _data((3, *shape)), targets=_data(out_shape, 1))


@pytest.mark.parametrize("layer", ["dot", "dot_scaled", "concat", "additive", "additive_raw"])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_layers(layer, causal):
    def build(lib):
        t, s = lib.Input((5,), dtype="int32"), lib.Input((4,), dtype="int32")
        embed = lib.layers.Embedding(8, 6, mask_zero=True)
        cls = lib.layers.AdditiveAttention if layer.startswith("additive") else lib.layers.Attention
        kwargs = {
            "dot": {},
            "dot_scaled": {"use_scale": True},
            "concat": {"use_scale": True, "score_mode": "concat"},
            "additive": {},
            "additive_raw": {"use_scale": False},
        }[layer]
        out, scores = cls(**kwargs)(
            [embed(t), embed(s)], use_causal_mask=causal, return_attention_scores=True
        )
        return lib.Model([t, s], [out, scores])

    sources = np.array([[1, 2, 0, 0], [3, 4, 5, 6], [7, 0, 0, 0]], "int32")
    _compare(build, [TOKENS, sources])
