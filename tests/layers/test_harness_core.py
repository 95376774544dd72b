"""The shared harness on the core layers."""

from __future__ import annotations

import pytest

from kerax import layers
from tests.harness import check_layer


@pytest.mark.parametrize(
    "cls, kwargs, shape, expected",
    [
        (layers.Dense, {"units": 4, "activation": "relu"}, (2, 3), (None, 4)),
        (layers.Dense, {"units": 2, "use_bias": False}, (2, 5, 3), (None, 5, 2)),
        (layers.Activation, {"activation": "tanh"}, (2, 3), (None, 3)),
        (layers.Identity, {}, (2, 3), (None, 3)),
        (layers.Dropout, {"rate": 0.5}, (2, 3), (None, 3)),
        (layers.BatchNormalization, {}, (4, 3), (None, 3)),
        (layers.Flatten, {}, (2, 3, 4), (None, 12)),
        (layers.Reshape, {"target_shape": (2, 6)}, (2, 12), (None, 2, 6)),
        (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (None, 4, 3)),
        (layers.RepeatVector, {"n": 3}, (2, 4), (None, 3, 4)),
        (layers.Masking, {}, (2, 3, 4), (None, 3, 4)),
    ],
)
def test_core_layers(cls, kwargs, shape, expected):
    check_layer(cls, kwargs, shape, expected_output_shape=expected)


@pytest.mark.parametrize("cls", [layers.Add, layers.Concatenate])
def test_merging_layers(cls):
    check_layer(cls, {}, [(2, 3), (2, 3)])
