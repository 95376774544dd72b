"""Cropping, ZeroPadding and UpSampling layers against Keras 3 (JAX backend).

All configurations of one test run through a single model per library (one compile
each): the outputs are compared to 1e-5.
"""

from __future__ import annotations

import keras
import numpy as np

import kerax

CF = "channels_first"


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _compare(build, data):
    expected = keras_out = build(keras).predict(data, verbose=0)
    got = build(kerax).predict(data, verbose=0)
    assert len(got) == len(keras_out)
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=1e-5, atol=1e-5)


def test_1d():
    def build(lib):
        x = lib.Input((6, 3))
        L = lib.layers
        outs = [
            L.Cropping1D()(x),
            L.Cropping1D((0, 2))(x),
            L.ZeroPadding1D()(x),
            L.ZeroPadding1D((2, 1), data_format=CF)(x),
            L.UpSampling1D(3)(x),
        ]
        return lib.Model(x, outs)

    _compare(build, _data((2, 6, 3)))


def test_2d():
    def build(lib):
        x = lib.Input((4, 5, 3))
        L = lib.layers
        outs = [
            L.Cropping2D(((1, 0), (2, 1)))(x),
            L.Cropping2D(1, data_format=CF)(x),
            L.ZeroPadding2D(((1, 2), (0, 1)))(x),
            L.ZeroPadding2D(2, data_format=CF)(x),
            L.UpSampling2D((2, 3))(x),
            L.UpSampling2D(2, data_format=CF)(x),
            L.UpSampling2D((2, 3), interpolation="bilinear")(x),
            L.UpSampling2D((3, 2), data_format=CF, interpolation="bilinear")(x),
            L.UpSampling2D(2, interpolation="bicubic")(x),
        ]
        return lib.Model(x, outs)

    _compare(build, _data((2, 4, 5, 3)))


def test_3d():
    def build(lib):
        x = lib.Input((3, 4, 5, 2))
        L = lib.layers
        outs = [
            L.Cropping3D()(x),
            L.Cropping3D(((0, 1), (2, 0), (0, 1)), data_format=CF)(x),
            L.ZeroPadding3D()(x),
            L.ZeroPadding3D((1, 0, 2), data_format=CF)(x),
            L.UpSampling3D((1, 2, 3))(x),
            L.UpSampling3D(2, data_format=CF)(x),
        ]
        return lib.Model(x, outs)

    _compare(build, _data((2, 3, 4, 5, 2)))


def test_configs_match_keras():
    pairs = [
        (keras.layers.Cropping1D((1, 2)), kerax.layers.Cropping1D((1, 2))),
        (keras.layers.Cropping2D(1), kerax.layers.Cropping2D(1)),
        (keras.layers.Cropping3D(), kerax.layers.Cropping3D()),
        (keras.layers.ZeroPadding1D(2), kerax.layers.ZeroPadding1D(2)),
        (keras.layers.ZeroPadding2D((1, 2)), kerax.layers.ZeroPadding2D((1, 2))),
        (keras.layers.ZeroPadding3D(1), kerax.layers.ZeroPadding3D(1)),
        (keras.layers.UpSampling1D(3), kerax.layers.UpSampling1D(3)),
        (
            keras.layers.UpSampling2D(2, interpolation="bilinear"),
            kerax.layers.UpSampling2D(2, interpolation="bilinear"),
        ),
        (keras.layers.UpSampling3D(2), kerax.layers.UpSampling3D(2)),
    ]
    for ref, ours in pairs:
        expected = {k: v for k, v in ref.get_config().items() if k not in ("name", "dtype")}
        got = {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")}
        assert got == expected, type(ours).__name__
