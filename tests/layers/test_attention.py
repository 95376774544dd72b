"""Attention layers: the harness on each form of call, weights, masks, errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer

MHA = layers.MultiHeadAttention


@pytest.mark.parametrize(
    "kwargs, shapes, call_kwargs, expected",
    [
        ({"num_heads": 2, "key_dim": 3}, (2, 4, 6), {}, (None, 4, 6)),
        ({"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 5, 3)], {}, (None, 4, 6)),
        (
            {"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": 5},
            [(2, 4, 6), (2, 5, 3), (2, 5, 2)],
            {"use_causal_mask": True},
            (None, 4, 5),
        ),
        (
            {"num_heads": 2, "key_dim": 3, "use_bias": False},
            [(2, 4, 6), (2, 5, 3)],
            {},
            (None, 4, 6),
        ),
        (
            {"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)},
            (2, 3, 2, 4),
            {},
            (None, 3, 2, 4),
        ),
        ({"num_heads": 1, "key_dim": 2, "dropout": 0.5}, (2, 3, 4), {}, (None, 3, 4)),
    ],
)
def test_mha_harness(kwargs, shapes, call_kwargs, expected):
    check_layer(MHA, kwargs, shapes, call_kwargs=call_kwargs, expected_output_shape=expected)


@pytest.mark.parametrize(
    "cls, kwargs, shapes, call_kwargs, expected",
    [
        (layers.Attention, {}, [(2, 4, 3), (2, 5, 3)], {}, (None, 4, 3)),
        (
            layers.Attention,
            {"use_scale": True, "score_mode": "concat"},
            [(2, 4, 3), (2, 5, 2), (2, 5, 3)],
            {},
            (None, 4, 2),
        ),
        (
            layers.Attention,
            {"dropout": 0.3},
            [(2, 4, 3), (2, 4, 3)],
            {"use_causal_mask": True},
            (None, 4, 3),
        ),
        (layers.AdditiveAttention, {}, [(2, 4, 3), (2, 5, 3)], {}, (None, 4, 3)),
        (
            layers.AdditiveAttention,
            {"use_scale": False},
            [(2, 4, 3), (2, 5, 3)],
            {"use_causal_mask": True},
            (None, 4, 3),
        ),
    ],
)
def test_attention_harness(cls, kwargs, shapes, call_kwargs, expected):
    check_layer(cls, kwargs, shapes, call_kwargs=call_kwargs, expected_output_shape=expected)


# The harness compares `compute_output_shape` (which, as in Keras, gives the attention
# output alone) with the symbolic call, so the two-output form is checked here.
@pytest.mark.parametrize(
    "layer, shapes, expected",
    [
        (lambda: MHA(num_heads=2, key_dim=3), [(2, 4, 6), (2, 5, 3)], [(2, 4, 6), (2, 2, 4, 5)]),
        (
            lambda: layers.Attention(score_mode="concat"),
            [(2, 4, 3), (2, 5, 3)],
            [(2, 4, 3), (2, 4, 5)],
        ),
        (lambda: layers.AdditiveAttention(), [(2, 4, 3), (2, 5, 3)], [(2, 4, 3), (2, 4, 5)]),
    ],
)
def test_return_attention_scores(layer, shapes, expected):
    layer = layer()
    inputs = [kerax.Input(s[1:]) for s in shapes]
    out = layer(inputs, return_attention_scores=True)
    assert isinstance(out, tuple) and [o.shape for o in out] == [(None, *e[1:]) for e in expected]
    model = kerax.Model(inputs, out)
    rng = np.random.default_rng(0)
    data = [rng.normal(size=s).astype("float32") for s in shapes]
    predicted = model.predict(data, verbose=0)
    eager = layer(data, return_attention_scores=True)
    plain = layer(data)
    assert [p.shape for p in predicted] == expected
    for p, e in zip(predicted, eager):
        np.testing.assert_allclose(p, np.asarray(e), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predicted[0], np.asarray(plain), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predicted[1].sum(-1), 1.0, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    loss = model.train_on_batch(data, [np.zeros(e, "float32") for e in expected])
    assert np.all(np.isfinite(loss))


def test_mha_weights_follow_keras_layout():
    layer = MHA(num_heads=2, key_dim=3, value_dim=4)
    layer(kerax.Input((4, 6)), kerax.Input((5, 3)), kerax.Input((5, 2)))
    shapes = [tuple(w.shape) for w in layer.weights]
    assert shapes == [(6, 2, 3), (2, 3), (2, 2, 3), (2, 3), (3, 2, 4), (2, 4), (2, 4, 6), (6,)]
    names = [layer.query_dense.name, layer.key_dense.name, layer.value_dense.name]
    assert names + [layer.output_dense.name] == ["query", "key", "value", "attention_output"]


def test_mha_eager_call_forms_agree():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 4, 6)).astype("float32")
    v = rng.normal(size=(2, 5, 3)).astype("float32")
    layer = MHA(num_heads=2, key_dim=3)
    a = np.asarray(layer(q, v))
    b = np.asarray(layer([q, v]))
    c = np.asarray(layer(query=q, value=v, key=v))
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a, c, rtol=1e-6)
    out, scores = layer(q, v, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out), a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(scores).sum(-1), 1.0, rtol=1e-5)


def test_mha_masks_from_embedding_and_output_mask():
    tokens = kerax.Input((5,), dtype="int32")
    embedded = layers.Embedding(7, 4, mask_zero=True)(tokens)
    attended = MHA(num_heads=2, key_dim=2)(embedded, embedded)
    pooled = layers.GlobalAveragePooling1D()(attended)
    model = kerax.Model(tokens, [attended, pooled])
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], "int32")
    seq, pooled_out = model.predict(x, verbose=0)
    # The padded keys get no weight: changing the embeddings behind padding changes nothing.
    x2 = x.copy()
    x2[0, 3:] = 0
    np.testing.assert_allclose(model.predict(x2, verbose=0)[0], seq, rtol=1e-6)
    # The output carries the query's mask: the pooling averages the real steps only.
    np.testing.assert_allclose(pooled_out[0], seq[0, :3].mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled_out[1], seq[1, :2].mean(0), rtol=1e-5, atol=1e-6)


def test_mha_causal_mask_blocks_the_future():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 4, 3)).astype("float32")
    layer = MHA(num_heads=1, key_dim=2)
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    scores = np.asarray(scores)[0, 0]
    assert np.all(np.triu(scores, 1) == 0)
    y = x.copy()
    y[0, -1] += 5.0  # changing the last step leaves earlier outputs alone
    a, b = (
        np.asarray(layer(x, x, use_causal_mask=True)),
        np.asarray(layer(y, y, use_causal_mask=True)),
    )
    np.testing.assert_allclose(a[0, :3], b[0, :3], rtol=1e-5, atol=1e-6)


def test_mha_failed_call_leaves_layer_unbuilt():
    layer = MHA(num_heads=2, key_dim=3)
    with pytest.raises(ValueError, match="value_shape"):
        layer(kerax.Input((4, 6)), kerax.Input((5, 3)), kerax.Input((6, 3)))
    assert not layer.built and layer.weights == []
    out = layer(kerax.Input((4, 6)), kerax.Input((5, 3)))
    assert out.shape == (None, 4, 6)
    assert len(layer.weights) == 8


def test_attention_masks():
    q = np.ones((1, 3, 2), "float32")
    v = np.arange(8, dtype="float32").reshape(1, 4, 2)
    layer = layers.Attention()
    out, scores = layer(
        [q, v],
        mask=[np.array([[True, True, False]]), np.array([[True, False, True, False]])],
        return_attention_scores=True,
    )
    scores = np.asarray(scores)
    assert np.all(scores[..., [1, 3]] < 1e-6)
    np.testing.assert_array_equal(np.asarray(out)[0, 2], 0.0)


@pytest.mark.parametrize(
    "cls, kwargs, arg",
    [
        (MHA, {"num_heads": 0, "key_dim": 2}, "num_heads"),
        (MHA, {"num_heads": 2, "key_dim": 1.5}, "key_dim"),
        (MHA, {"num_heads": 2, "key_dim": 2, "value_dim": -1}, "value_dim"),
        (MHA, {"num_heads": 2, "key_dim": 2, "dropout": 1.5}, "dropout"),
        (MHA, {"num_heads": 2, "key_dim": 2, "output_shape": "x"}, "output_shape"),
        (MHA, {"num_heads": 2, "key_dim": 2, "attention_axes": "x"}, "attention_axes"),
        (layers.Attention, {"score_mode": "cosine"}, "score_mode"),
        (layers.Attention, {"dropout": -0.1}, "dropout"),
        (layers.AdditiveAttention, {"dropout": 2}, "dropout"),
    ],
)
def test_constructor_errors(cls, kwargs, arg):
    with pytest.raises(ValueError, match=f"`{arg}`.*{arg}="):
        cls(**kwargs)


def test_attention_needs_a_list():
    with pytest.raises(ValueError, match="list"):
        layers.Attention()(kerax.Input((3, 2)))
