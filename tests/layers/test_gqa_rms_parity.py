"""GroupQueryAttention and RMSNormalization against Keras: masks, causal attention,
attention scores, and RMSNormalization's axes, epsilon and dtypes (the weight layout
and plain outputs are in test_weight_order.py)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from tests.harness import copy_keras_weights

RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 3, 4)).astype("float32")
V = RNG.normal(size=(2, 5, 4)).astype("float32")
ATTENTION_MASK = RNG.random((2, 3, 5)) > 0.3
ATTENTION_MASK[..., 0] = True  # no fully masked row
VALUE_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)

CALLS = [
    ("plain", {}),
    ("causal", {"use_causal_mask": True}),
    ("attention_mask", {"attention_mask": ATTENTION_MASK}),
    ("value_mask", {"value_mask": VALUE_MASK}),
    ("scores", {"return_attention_scores": True}),
    ("scores_masked", {"return_attention_scores": True, "attention_mask": ATTENTION_MASK}),
    ("scores_causal", {"return_attention_scores": True, "use_causal_mask": True}),
]


@pytest.fixture(scope="module")
def pair():
    kwargs = {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2}
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    ours = kerax.layers.GroupQueryAttention(**kwargs)
    theirs(Q, V)
    ours(Q, V)
    copy_keras_weights(theirs, ours)
    return theirs, ours


@pytest.mark.parametrize("kwargs", [c[1] for c in CALLS], ids=[c[0] for c in CALLS])
def test_group_query_attention_matches_keras(pair, kwargs):
    theirs, ours = pair
    expected, got = theirs(Q, V, **kwargs), ours(Q, V, **kwargs)
    if kwargs.get("return_attention_scores"):
        np.testing.assert_allclose(np.asarray(got[1]), np.asarray(expected[1]), atol=1e-5)
        expected, got = expected[0], got[0]
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_group_query_attention_config_matches_keras(pair):
    theirs, ours = pair
    config, expected = ours.get_config(), theirs.get_config()
    for key in (
        "head_dim",
        "num_query_heads",
        "num_key_value_heads",
        "dropout",
        "use_bias",
        "use_gate",
        "sliding_window",
        "seed",
    ):
        assert config[key] == expected[key], key
    again = kerax.layers.GroupQueryAttention.from_config(config)
    assert again.num_key_value_heads == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_query_heads": 3, "num_key_value_heads": 2}, "multiple"),
        ({"num_query_heads": 4, "num_key_value_heads": 2, "use_gate": True}, "use_gate"),
        ({"num_query_heads": 4, "num_key_value_heads": 2, "sliding_window": 2}, "sliding_window"),
    ],
)
def test_group_query_attention_refuses_what_it_does_not_support(kwargs, match):
    with pytest.raises((ValueError, NotImplementedError), match=match):
        kerax.layers.GroupQueryAttention(head_dim=2, **kwargs)


@pytest.mark.parametrize(
    "kwargs, dtype",
    [({}, "float32"), ({"axis": [1, 2], "epsilon": 0.5}, "float32"), ({}, "bfloat16")],
    ids=["default", "axis_epsilon", "bfloat16"],
)
def test_rms_normalization_matches_keras(kwargs, dtype):
    x = (RNG.normal(size=(2, 3, 4)) * 3).astype("float32")
    theirs = keras.layers.RMSNormalization(dtype=dtype, **kwargs)
    ours = kerax.layers.RMSNormalization(dtype=dtype, **kwargs)
    theirs(x)
    ours(x)
    copy_keras_weights(theirs, ours)
    expected, got = np.asarray(theirs(x), "float32"), np.asarray(ours(x), "float32")
    tol = 2e-2 if dtype == "bfloat16" else 1e-5
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    assert ours.get_config()["axis"] == theirs.get_config()["axis"]
    assert ours.get_config()["epsilon"] == theirs.get_config()["epsilon"]
