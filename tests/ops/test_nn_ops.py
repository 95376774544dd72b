"""kerax.ops.nn ops against keras.ops on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

from kerax import ops
from tests.ops._parity import check

# Keras warns that its ``rms_scaling`` flag is deprecated; the case still checks it.
pytestmark = pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")

_rng = np.random.default_rng(3)
X = _rng.normal(size=(2, 6)).astype(np.float32) * 2
IMG = _rng.normal(size=(2, 5, 6, 3)).astype(np.float32)
IMG_CF = np.moveaxis(IMG, -1, 1).copy()
SEQ = _rng.normal(size=(2, 7, 4)).astype(np.float32)
VOL = _rng.normal(size=(1, 5, 4, 6, 2)).astype(np.float32)
K2 = _rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
K2_GROUPED = _rng.normal(size=(3, 3, 1, 6)).astype(np.float32)
DW = _rng.normal(size=(3, 3, 3, 2)).astype(np.float32)
PW = _rng.normal(size=(1, 1, 6, 5)).astype(np.float32)
KT2 = _rng.normal(size=(3, 3, 4, 3)).astype(np.float32)  # (kh, kw, filters, in_channels)
KT1 = _rng.normal(size=(4, 5, 4)).astype(np.float32)
Q = _rng.normal(size=(2, 5, 4, 8)).astype(np.float32)
KV = _rng.normal(size=(2, 6, 2, 8)).astype(np.float32)
NCHW = _rng.normal(size=(2, 3, 6, 5)).astype(np.float32)

CASES = [
    # activations
    ("celu", (X,), {"alpha": 0.7}),
    ("glu", (X,), {}),
    ("hard_shrink", (X,), {"threshold": 0.8}),
    ("soft_shrink", (X,), {}),
    ("tanh_shrink", (X,), {}),
    ("hard_tanh", (X,), {}),
    ("hard_swish", (X,), {}),
    ("hard_silu", (X,), {}),
    ("hard_sigmoid", (X,), {}),
    ("sparse_plus", (X,), {}),
    ("sparse_sigmoid", (X,), {}),
    ("squareplus", (X,), {"b": 2}),
    ("threshold", (X, 0.3, -1.0), {}),
    ("sparsemax", (X,), {}),
    ("log_softmax", (X,), {"axis": 0}),
    # normalization, losses
    ("layer_normalization", (SEQ,), {}),
    ("layer_normalization", (SEQ, np.arange(4.0), np.ones(4)), {"epsilon": 1e-3}),
    ("layer_normalization", (SEQ, np.arange(28.0).reshape(7, 4)), {"axis": (1, 2)}),
    ("layer_normalization", (SEQ, np.arange(4.0)), {"rms_scaling": True}),
    ("rms_normalization", (SEQ,), {}),
    ("rms_normalization", (SEQ, np.arange(4.0)), {"epsilon": 1e-2}),
    ("normalize", (X,), {"epsilon": 1e-3}),
    ("normalize", (X,), {"order": 1, "axis": 0}),
    ("moments", (SEQ, (0, 1)), {"keepdims": True}),
    ("one_hot", (np.array([0, 3, 1]), 4), {"axis": 0}),
    ("multi_hot", (np.array([[0, 2], [1, 1]]), 4), {}),
    ("multi_hot", (np.array([0, 2]), 3), {}),
    ("psnr", (IMG, IMG * 0.9, 1.0), {}),
    # convolution, pooling
    ("conv", (IMG, K2), {"strides": 2, "padding": "same"}),
    ("conv", (IMG_CF, K2), {"data_format": "channels_first", "dilation_rate": 2}),
    ("conv", (IMG, K2_GROUPED), {}),
    ("depthwise_conv", (IMG, DW), {"padding": "same"}),
    ("depthwise_conv", (IMG_CF, DW), {"strides": (1, 2), "data_format": "channels_first"}),
    ("separable_conv", (IMG, DW, PW), {"padding": "same"}),
    ("conv_transpose", (IMG, KT2), {}),
    ("conv_transpose", (IMG, KT2), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (IMG, KT2), {"strides": 2, "padding": "valid", "output_padding": 1}),
    ("conv_transpose", (IMG, KT2), {"strides": 3, "padding": "same", "output_padding": 2}),
    ("conv_transpose", (IMG, KT2), {"dilation_rate": 2, "padding": "same"}),
    ("conv_transpose", (IMG_CF, KT2), {"strides": 2, "data_format": "channels_first"}),
    ("conv_transpose", (SEQ, KT1), {"strides": 2}),
    # (Keras 3.15 needs explicit strides for channels_first pooling on JAX.)
    ("max_pool", (IMG_CF, 2), {"strides": 2, "data_format": "channels_first"}),
    ("average_pool", (SEQ, 3), {"strides": 2, "padding": "same"}),
    ("adaptive_average_pool", (IMG, (2, 4)), {}),
    ("adaptive_max_pool", (IMG, 3), {}),
    ("adaptive_average_pool", (SEQ, 3), {}),
    ("adaptive_max_pool", (VOL, (2, 3, 4)), {}),
    ("adaptive_average_pool", (IMG_CF, (4, 4)), {"data_format": "channels_first"}),
    # rearrangements, attention
    ("depth_to_space", (np.tile(IMG, (1, 1, 1, 4))[..., :12], 2), {}),
    ("depth_to_space", (np.moveaxis(np.tile(IMG, 4), -1, 1), 2), {"data_format": "channels_first"}),
    ("space_to_depth", (IMG[:, :4], 2), {}),
    ("space_to_depth", (NCHW[:, :, :6, :4], 2), {"data_format": "channels_first"}),
    ("unfold", (NCHW, 2), {"stride": 2}),
    ("unfold", (NCHW, (3, 2)), {"dilation": (1, 2), "padding": 1}),
    ("dot_product_attention", (Q, KV, KV), {"is_causal": True}),
    ("polar", (np.abs(X), X), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_nn_ops_match_keras(name, args, kwargs):
    check(name, *args, rtol=1e-4, atol=1e-4, **kwargs)
    assert getattr(ops.nn, name) is getattr(ops, name)


def test_sparsemax_on_another_axis():
    # Keras 3.15's JAX sparsemax is off for axis != -1; check the projection directly.
    out = np.asarray(ops.sparsemax(X, axis=0))
    np.testing.assert_allclose(out.sum(0), np.ones(X.shape[1]), rtol=1e-6)
    np.testing.assert_allclose(out, np.asarray(ops.sparsemax(X.T)).T, rtol=1e-6)


def test_fold_matches_keras():
    cols = ops.unfold(NCHW, 3, padding=1, stride=2)
    check("fold", np.asarray(cols), (6, 5), 3, padding=1, stride=2, rtol=1e-5)
    check("fold", np.asarray(ops.unfold(NCHW, 2, dilation=2)), (6, 5), 2, dilation=2)


def test_ctc_loss_and_greedy_decode_match_keras():
    logits = _rng.normal(size=(2, 8, 5)).astype(np.float32)
    target = np.array([[1, 2, 2, 0], [3, 4, 0, 0]], np.int32)
    check("ctc_loss", target, logits, np.array([3, 2]), np.array([8, 6]), rtol=1e-4)
    check("ctc_loss", target, logits, np.array([3, 2]), np.array([8, 6]), mask_index=4)
    lengths = np.array([8, 5])
    check("ctc_decode", logits, lengths)
    check("ctc_decode", logits, lengths, merge_repeated=False, mask_index=2)
    with pytest.raises(NotImplementedError):
        ops.ctc_decode(logits, lengths, strategy="beam_search")


def test_attention_soft_cap():
    out = ops.dot_product_attention(Q, KV, KV, attn_logits_soft_cap=5.0)
    # Reference: the same attention with softly capped logits, heads repeated for GQA.
    k = np.repeat(KV, 2, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", Q, k) / np.sqrt(8)
    logits = logits / (1 + np.abs(logits) / 5.0)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    np.testing.assert_allclose(
        np.asarray(out), np.einsum("bnts,bsnh->btnh", probs, k), rtol=1e-4, atol=1e-5
    )
