"""Max / average pooling (1-D to 3-D) and global pooling: argument checks, shapes,
configs and numbers against NumPy (parity with Keras in
tests/parity/test_conv_pool_embedding_parity.py)."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerax
from tests.harness import check_layer

POOLS = [f"{kind}Pooling{rank}D" for kind in ("Max", "Average") for rank in (1, 2, 3)]
GLOBALS = [f"Global{kind}Pooling{rank}D" for kind in ("Max", "Average") for rank in (1, 2, 3)]


@pytest.mark.parametrize(
    "cls, kwargs, pattern",
    [
        ("MaxPooling2D", {"pool_size": (2, 2, 2)}, r"`pool_size`.*\(2, 2, 2\)"),
        ("AveragePooling1D", {"pool_size": 0}, r"`pool_size`.*pool_size=0"),
        ("MaxPooling3D", {"pool_size": 2, "strides": (1, 1)}, r"`strides`.*\(1, 1\)"),
        ("AveragePooling2D", {"pool_size": 2, "strides": -1}, r"`strides`.*strides=-1"),
        ("MaxPooling1D", {"padding": "causal"}, r"padding='causal'"),
        ("AveragePooling2D", {"pool_size": 2, "padding": "full"}, r"padding='full'"),
        ("MaxPooling2D", {"data_format": "NCHW"}, r"data_format='NCHW'"),
        ("GlobalAveragePooling2D", {"data_format": "channels_middle"}, r"channels_middle"),
    ],
)
def test_bad_arguments(cls, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        getattr(kerax.layers, cls)(**kwargs)


def test_average_pooling_needs_pool_size():
    with pytest.raises(TypeError):
        kerax.layers.AveragePooling2D()


@pytest.mark.parametrize("cls", POOLS + GLOBALS)
def test_wrong_rank(cls):
    rank = int(cls[-2])
    kwargs = {"pool_size": 2} if "Average" in cls and "Global" not in cls else {}
    layer = getattr(kerax.layers, cls)(**kwargs, name="pool_here")
    shape = (4,) * (rank + 2)
    with pytest.raises(ValueError, match=r"pool_here.*\(None, 4, 4"):
        layer(kerax.Input(shape))


@pytest.mark.parametrize("cls", ["MaxPooling2D", "GlobalAveragePooling2D"])
def test_wrong_rank_eager(cls):
    layer = getattr(kerax.layers, cls)(name="eager_pool")
    with pytest.raises(ValueError, match=r"eager_pool.*ndim=4.*\(2, 5, 3\)"):
        layer(np.zeros((2, 5, 3), "float32"))


def test_valid_window_larger_than_input():
    with pytest.raises(ValueError, match=r"tiny_pool.*\(None, 3, 8, 1\)"):
        kerax.layers.MaxPooling2D(4, name="tiny_pool")(kerax.Input((3, 8, 1)))


def test_defaults():
    assert kerax.layers.MaxPooling1D().pool_size == (2,)
    assert kerax.layers.MaxPooling2D().pool_size == (2, 2)
    assert kerax.layers.MaxPooling3D().strides == (2, 2, 2)
    layer = kerax.layers.AveragePooling2D(3, strides=None)
    assert layer.strides == (3, 3) and layer.padding == "valid"
    assert layer.data_format == "channels_last"
    assert kerax.layers.GlobalMaxPooling2D().keepdims is False


@pytest.mark.parametrize(
    "cls, kwargs, shape, expected",
    [
        ("MaxPooling2D", {}, (32, 32, 3), (None, 16, 16, 3)),
        ("MaxPooling2D", {"pool_size": 3, "strides": 2}, (7, 8, 3), (None, 3, 3, 3)),
        (
            "AveragePooling2D",
            {"pool_size": 3, "strides": 2, "padding": "same"},
            (7, 8, 3),
            (None, 4, 4, 3),
        ),
        (
            "AveragePooling2D",
            {"pool_size": (2, 3), "data_format": "channels_first"},
            (3, 7, 8),
            (None, 3, 3, 2),
        ),
        ("MaxPooling1D", {"padding": "same"}, (7, 4), (None, 4, 4)),
        ("AveragePooling1D", {"pool_size": 3, "strides": 1}, (7, 4), (None, 5, 4)),
        ("MaxPooling3D", {"padding": "same"}, (3, 4, 5, 2), (None, 2, 2, 3, 2)),
        ("AveragePooling3D", {"pool_size": 2}, (None, None, 4, 2), (None, None, None, 2, 2)),
        ("GlobalMaxPooling1D", {}, (7, 4), (None, 4)),
        ("GlobalAveragePooling1D", {"data_format": "channels_first"}, (7, 4), (None, 7)),
        ("GlobalAveragePooling2D", {"keepdims": True}, (5, 6, 3), (None, 1, 1, 3)),
        (
            "GlobalMaxPooling2D",
            {"keepdims": True, "data_format": "channels_first"},
            (5, 6, 3),
            (None, 5, 1, 1),
        ),
        ("GlobalMaxPooling3D", {}, (2, 3, 4, 5), (None, 5)),
        ("GlobalAveragePooling3D", {"keepdims": True}, (2, 3, 4, 5), (None, 1, 1, 1, 5)),
    ],
)
def test_output_shape_matches_keras(cls, kwargs, shape, expected):
    ours = getattr(kerax.layers, cls)(**kwargs)(kerax.Input(shape)).shape
    theirs = getattr(keras.layers, cls)(**kwargs)(keras.Input(shape)).shape
    assert ours == expected
    assert ours == theirs


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("MaxPooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}),
        ("AveragePooling2D", {"pool_size": (2, 3), "data_format": "channels_first"}),
        ("MaxPooling3D", {}),
        ("GlobalAveragePooling1D", {"keepdims": True}),
        ("GlobalMaxPooling3D", {"data_format": "channels_first"}),
    ],
)
def test_config_matches_keras_and_round_trips(cls, kwargs):
    layer = getattr(kerax.layers, cls)(**kwargs)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    reference = getattr(keras.layers, cls)(**kwargs).get_config()
    for key in reference:
        if key not in ("name", "dtype", "trainable"):
            assert config[key] == reference[key], key
    assert layer.weights == []


def _reference_pool(x, pool, strides, padding, mode):
    """Pooling by explicit loops over a channels-last array: the average of a "same"
    window covers only its cells inside the input."""
    spatial = x.shape[1:-1]
    if padding == "valid":
        out_sizes = [(n - p) // s + 1 for n, p, s in zip(spatial, pool, strides)]
        starts = [[i * s for i in range(o)] for o, s in zip(out_sizes, strides)]
    else:
        out_sizes = [-(-n // s) for n, s in zip(spatial, strides)]
        pads = [
            max((o - 1) * s + p - n, 0) for o, s, p, n in zip(out_sizes, strides, pool, spatial)
        ]
        starts = [
            [i * s - pad // 2 for i in range(o)] for o, s, pad in zip(out_sizes, strides, pads)
        ]
    out = np.zeros((x.shape[0], *out_sizes, x.shape[-1]), x.dtype)
    for index in itertools.product(*[range(o) for o in out_sizes]):
        window = tuple(
            slice(max(st[i], 0), min(st[i] + p, n))
            for st, i, p, n in zip(starts, index, pool, spatial)
        )
        cells = x[(slice(None), *window, slice(None))]
        axes = tuple(range(1, x.ndim - 1))
        out[(slice(None), *index, slice(None))] = (
            cells.max(axis=axes) if mode == "max" else cells.mean(axis=axes)
        )
    return out


@pytest.mark.parametrize("mode", ["Max", "Average"])
@pytest.mark.parametrize(
    "rank, pool, strides, padding, size",
    [
        (1, 3, None, "valid", 8),
        (1, 3, 2, "same", 8),
        (1, 4, 1, "same", 5),
        (2, (2, 3), (1, 2), "same", 5),
        (2, 2, None, "valid", 5),
        (2, 3, 2, "same", 6),
        (3, 2, 1, "same", 3),
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_numbers_match_loops(mode, rank, pool, strides, padding, size, data_format):
    cls = getattr(kerax.layers, f"{mode}Pooling{rank}D")
    layer = cls(pool, strides=strides, padding=padding, data_format=data_format)
    x = np.random.default_rng(rank).normal(size=(2, *(size,) * rank, 3)).astype("float32")
    pool_t = (pool,) * rank if isinstance(pool, int) else pool
    strides_t = (
        pool_t if strides is None else (strides,) * rank if isinstance(strides, int) else strides
    )
    expected = _reference_pool(x, pool_t, strides_t, padding, mode.lower())
    if data_format == "channels_first":
        got = np.moveaxis(np.asarray(layer(np.moveaxis(x, -1, 1))), 1, -1)
    else:
        got = np.asarray(layer(x))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kind", ["Max", "Average"])
def test_gradients(kind, padding):
    """Both reductions differentiate w.r.t. the input (inside jit, as in training)."""
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 1)).astype("float32")
    layer = getattr(kerax.layers, f"{kind}Pooling2D")(2, padding=padding)
    grad = np.asarray(jax.jit(jax.grad(lambda v: jnp.sum(layer(v))))(x))[0, :, :, 0]

    def by_window(a):  # one row per 2x2 window
        return a.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)

    if kind == "Average":
        np.testing.assert_allclose(grad, np.full((4, 4), 0.25))
    else:
        windows = by_window(grad)
        np.testing.assert_array_equal(np.sort(windows, axis=1)[:, :3], 0.0)
        np.testing.assert_array_equal(windows.max(axis=1), 1.0)
        np.testing.assert_array_equal(windows.argmax(axis=1), by_window(x[0, :, :, 0]).argmax(1))


def test_max_pooling_of_integers():
    x = np.arange(2 * 4 * 1, dtype="int32").reshape(2, 4, 1) - 20
    out = np.asarray(kerax.layers.MaxPooling1D(3, strides=1, padding="same")(x))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out[:, :, 0], [[-19, -18, -17, -17], [-15, -14, -13, -13]])


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_numbers(keepdims, data_format):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5, 6)).astype("float32")
    axes = (1, 2, 3) if data_format == "channels_last" else (2, 3, 4)
    for kind, fn in (("Max", np.max), ("Average", np.mean)):
        layer = getattr(kerax.layers, f"Global{kind}Pooling3D")(
            data_format=data_format, keepdims=keepdims
        )
        np.testing.assert_allclose(
            np.asarray(layer(x)), fn(x, axis=axes, keepdims=keepdims), rtol=1e-6, atol=1e-6
        )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_1d_mask(data_format):
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    expected = np.stack([x[b][mask[b]].mean(axis=0) for b in range(2)])
    layer = kerax.layers.GlobalAveragePooling1D(data_format=data_format)
    inputs = x if data_format == "channels_last" else np.swapaxes(x, 1, 2)
    got = np.asarray(layer(inputs, mask=mask))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert layer.compute_mask(inputs, mask) is None


def test_global_average_1d_takes_the_upstream_mask():
    inputs = kerax.Input((4, 2))
    masked = kerax.layers.Masking(mask_value=0.0)(inputs)
    model = kerax.Model(inputs, kerax.layers.GlobalAveragePooling1D()(masked))
    x = np.array([[[1, 2], [0, 0], [3, 4], [0, 0]], [[2, 2], [4, 4], [6, 6], [8, 8]]], "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), [[2, 3], [5, 5]], rtol=1e-6)


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        ("MaxPooling2D", {"pool_size": 2, "padding": "same"}, (2, 5, 5, 2)),
        ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 2)),
        ("GlobalAveragePooling2D", {"data_format": "channels_first"}, (2, 3, 4, 4)),
    ],
)
def test_harness(cls, kwargs, shape):
    check_layer(getattr(kerax.layers, cls), kwargs, shape)
