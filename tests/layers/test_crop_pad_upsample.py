"""Cropping, ZeroPadding and UpSampling layers: harness, values, errors."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax import layers
from tests.harness import check_layer

CF = "channels_first"


@pytest.mark.parametrize(
    "cls, kwargs, shape, expected",
    [
        (layers.Cropping1D, {}, (2, 5, 3), (None, 3, 3)),
        (layers.Cropping1D, {"cropping": (0, 2)}, (2, 5, 3), (None, 3, 3)),
        (layers.Cropping2D, {"cropping": ((1, 0), (0, 2))}, (2, 4, 5, 3), (None, 3, 3, 3)),
        (layers.Cropping2D, {"cropping": 1, "data_format": CF}, (2, 3, 4, 5), (None, 3, 2, 3)),
        (layers.Cropping3D, {}, (2, 3, 4, 5, 2), (None, 1, 2, 3, 2)),
        (
            layers.Cropping3D,
            {"cropping": (1, 0, 2), "data_format": CF},
            (2, 2, 3, 4, 5),
            (None, 2, 1, 4, 1),
        ),
        (layers.ZeroPadding1D, {}, (2, 3, 2), (None, 5, 2)),
        (layers.ZeroPadding1D, {"padding": (2, 0), "data_format": CF}, (2, 3, 2), (None, 3, 4)),
        (layers.ZeroPadding2D, {"padding": ((1, 0), (0, 2))}, (2, 3, 3, 2), (None, 4, 5, 2)),
        (layers.ZeroPadding2D, {"data_format": CF}, (2, 2, 3, 3), (None, 2, 5, 5)),
        (layers.ZeroPadding3D, {"padding": 1}, (2, 2, 2, 2, 1), (None, 4, 4, 4, 1)),
        (
            layers.ZeroPadding3D,
            {"padding": ((0, 1), (2, 0), (1, 1)), "data_format": CF},
            (2, 1, 2, 2, 2),
            (None, 1, 3, 4, 4),
        ),
        (layers.UpSampling1D, {"size": 3}, (2, 3, 2), (None, 9, 2)),
        (layers.UpSampling2D, {}, (2, 3, 2, 2), (None, 6, 4, 2)),
        (layers.UpSampling2D, {"size": (1, 3), "data_format": CF}, (2, 2, 3, 2), (None, 2, 3, 6)),
        (layers.UpSampling2D, {"interpolation": "bilinear"}, (2, 3, 2, 2), (None, 6, 4, 2)),
        (layers.UpSampling3D, {"size": (1, 2, 3)}, (2, 2, 2, 2, 1), (None, 2, 4, 6, 1)),
        (layers.UpSampling3D, {"data_format": CF}, (2, 1, 2, 1, 2), (None, 1, 4, 2, 4)),
    ],
)
def test_harness(cls, kwargs, shape, expected):
    check_layer(cls, kwargs, shape, expected_output_shape=expected)


def test_values():
    x = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    np.testing.assert_array_equal(
        np.asarray(layers.Cropping2D(((1, 2), (0, 1)))(x)), x[:, 1:2, 0:4, :]
    )
    np.testing.assert_array_equal(
        np.asarray(layers.ZeroPadding2D(((1, 0), (0, 2)))(x)),
        np.pad(x, ((0, 0), (1, 0), (0, 2), (0, 0))),
    )
    np.testing.assert_array_equal(
        np.asarray(layers.UpSampling2D((2, 3))(x)), x.repeat(2, axis=1).repeat(3, axis=2)
    )
    y = np.transpose(x, (0, 3, 1, 2))
    np.testing.assert_array_equal(
        np.asarray(layers.UpSampling2D((2, 3), data_format=CF)(y)),
        y.repeat(2, axis=2).repeat(3, axis=3),
    )
    seq = x[:, :, :, 0]
    np.testing.assert_array_equal(np.asarray(layers.Cropping1D((1, 0))(seq)), seq[:, 1:])
    np.testing.assert_array_equal(np.asarray(layers.UpSampling1D(2)(seq)), seq.repeat(2, 1))


def test_unknown_spatial_sizes():
    out = layers.Cropping2D(1)(kerax.Input((None, None, 3)))
    assert out.shape == (None, None, None, 3)
    out = layers.UpSampling2D(2)(kerax.Input((None, 4, 3)))
    assert out.shape == (None, None, 8, 3)


def test_cropping_too_much():
    layer = layers.Cropping2D(((2, 2), (0, 0)))
    with pytest.raises(ValueError, match="cropping"):
        layer(kerax.Input((4, 5, 3)))
    assert not layer.built
    with pytest.raises(ValueError, match="cropping"):
        layers.Cropping1D((2, 1))(kerax.Input((3, 2)))


@pytest.mark.parametrize(
    "cls, kwargs, arg",
    [
        (layers.Cropping1D, {"cropping": (1, 2, 3)}, "cropping"),
        (layers.Cropping1D, {"cropping": -1}, "cropping"),
        (layers.Cropping2D, {"cropping": ((1, 1),)}, "cropping"),
        (layers.Cropping2D, {"cropping": ((1, -1), (0, 0))}, "cropping"),
        (layers.Cropping3D, {"cropping": "a"}, "cropping"),
        (layers.Cropping2D, {"data_format": "nhwc"}, "data_format"),
        (layers.ZeroPadding1D, {"padding": 1.5}, "padding"),
        (layers.ZeroPadding2D, {"padding": (1, 2, 3)}, "padding"),
        (layers.ZeroPadding3D, {"padding": ((1, 1), (1, 1), (1, "x"))}, "padding"),
        (layers.ZeroPadding3D, {"data_format": "x"}, "data_format"),
        (layers.UpSampling1D, {"size": 0}, "size"),
        (layers.UpSampling2D, {"size": (2, 0)}, "size"),
        (layers.UpSampling2D, {"interpolation": "area"}, "interpolation"),
        (layers.UpSampling3D, {"size": (2, 2)}, "size"),
        (layers.UpSampling3D, {"data_format": "ncdhw"}, "data_format"),
    ],
)
def test_constructor_errors(cls, kwargs, arg):
    with pytest.raises(ValueError, match=f"`{arg}`.*{arg}=") as err:
        cls(**kwargs)
    assert repr(next(iter(kwargs.values()))) in str(err.value)
