"""Image preprocessing layers against Keras 3 (JAX backend).

Deterministic layers match Keras's outputs on the same inputs. Random layers are the
identity at inference, as in Keras; in training their transformations are checked two
ways: for a fixed transformation (drawn by Keras, or by kerax and handed to Keras)
both libraries give the same image, and the images kerax draws have the properties
of their family (a flip is the input or its mirror, a crop is a window of the input,
a brightness shift is one constant per image within the factor).
"""

from __future__ import annotations

from typing import Any

import jax
import keras
import numpy as np
import pytest

import kerax
from tests.harness import check_layer

L = kerax.layers
K = keras.layers
TOL = {"rtol": 1e-5, "atol": 1e-4}


def _images(shape: tuple[int, ...] = (2, 5, 6, 3), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


RANDOM = [
    ("RandomCrop", {"height": 3, "width": 3}),
    ("RandomFlip", {}),
    ("RandomRotation", {"factor": 0.2}),
    ("RandomZoom", {"height_factor": 0.2, "width_factor": (-0.1, 0.3)}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.1}),
    ("RandomContrast", {"factor": 0.3}),
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomGrayscale", {}),
    ("Solarization", {"addition_factor": 0.2, "threshold_factor": 0.5}),
]
DETERMINISTIC = [
    ("Rescaling", {"scale": 1 / 127.5, "offset": -1.0}),
    ("Resizing", {"height": 3, "width": 2}),
    ("CenterCrop", {"height": 2, "width": 3}),
    ("AutoContrast", {}),
]


@pytest.mark.parametrize("name,kwargs", DETERMINISTIC + RANDOM, ids=lambda v: str(v))
def test_harness(name: str, kwargs: dict[str, Any]):
    # The harness compares an eager call with predict: random layers are called in
    # inference mode there (their eager default is training, as in Keras).
    cls = getattr(L, name)
    random = getattr(cls, "random", False)
    check_layer(cls, kwargs, (2, 4, 4, 3), call_kwargs={"training": False} if random else None)


# ---------------------------------------------------------------- deterministic layers
@pytest.mark.parametrize(
    "kwargs",
    [
        {"height": 3, "width": 4},
        {"height": 7, "width": 9, "interpolation": "nearest"},
        {"height": 4, "width": 2, "interpolation": "bicubic", "antialias": True},
        {"height": 3, "width": 4, "crop_to_aspect_ratio": True},
        {"height": 4, "width": 2, "crop_to_aspect_ratio": True, "interpolation": "lanczos3"},
        {"height": 3, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 9.0},
        {"height": 6, "width": 2, "pad_to_aspect_ratio": True},
    ],
)
def test_resizing_matches_keras(kwargs: dict[str, Any]):
    x = _images()
    np.testing.assert_allclose(L.Resizing(**kwargs)(x), K.Resizing(**kwargs)(x), **TOL)


@pytest.mark.parametrize("size", [(3, 3), (4, 6), (7, 3), (8, 9)])
def test_center_crop_matches_keras(size: tuple[int, int]):
    # a window when the image is larger; crop to the aspect ratio and resize when not
    x = _images()
    np.testing.assert_allclose(L.CenterCrop(*size)(x), K.CenterCrop(*size)(x), **TOL)


def test_channels_first_matches_keras():
    x = _images().transpose(0, 3, 1, 2)
    for name, kwargs in [
        ("Resizing", {"height": 3, "width": 4}),
        ("CenterCrop", {"height": 3, "width": 2}),
    ]:
        got = getattr(L, name)(data_format="channels_first", **kwargs)(x)
        expected = getattr(K, name)(data_format="channels_first", **kwargs)(x)
        np.testing.assert_allclose(got, expected, **TOL)


def test_rescaling_and_autocontrast_match_keras():
    x = _images()
    for kwargs in [{"scale": 1 / 255}, {"scale": [0.5, 1.0, 2.0], "offset": [1.0, 0.0, -1.0]}]:
        np.testing.assert_allclose(L.Rescaling(**kwargs)(x), K.Rescaling(**kwargs)(x), **TOL)
    ints = x.astype("int32")  # integer images come out as floats, as in Keras
    assert L.Rescaling(0.5)(ints).dtype == np.float32
    np.testing.assert_allclose(L.AutoContrast()(x), K.AutoContrast()(x), **TOL)
    unit = x / 255
    got, expected = L.AutoContrast((0, 1))(unit), K.AutoContrast((0, 1))(unit)
    np.testing.assert_allclose(got, expected, **TOL)


# ---------------------------------------------------------------- random layers
@pytest.mark.parametrize("name,kwargs", RANDOM, ids=lambda v: str(v))
def test_random_layers_are_identities_at_inference(name: str, kwargs: dict[str, Any]):
    x = _images((2, 3, 3, 3))
    layer = getattr(L, name)(**kwargs)
    np.testing.assert_array_equal(layer(x, training=False), x)
    inputs = kerax.Input((3, 3, 3))
    model = kerax.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_random_crop_at_inference_takes_the_aspect_window():
    # Keras documents a crop to the target aspect ratio, resized (its smart_resize).
    x = _images()
    expected = keras.preprocessing.image.smart_resize(x, (3, 3))
    np.testing.assert_allclose(L.RandomCrop(3, 3)(x, training=False), expected, **TOL)


@pytest.mark.parametrize(
    "fill_mode,interpolation",
    [
        ("reflect", "bilinear"),
        ("wrap", "bilinear"),
        ("constant", "bilinear"),
        ("nearest", "bilinear"),
        ("reflect", "nearest"),
    ],
)
def test_affine_layers_match_keras_for_a_fixed_transformation(fill_mode, interpolation):
    x = _images()
    sampling = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 7.0}
    pairs = [
        ("RandomRotation", {"factor": 0.3}),
        ("RandomZoom", {"height_factor": (-0.3, 0.4), "width_factor": (0.2, 0.5)}),
        ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.4}),
    ]
    for name, kwargs in pairs:
        ours, theirs = (
            getattr(L, name)(**kwargs, **sampling),
            getattr(K, name)(**kwargs, **sampling),
        )
        drawn = theirs.get_random_transformation(x, training=True)
        transformation = {k: np.asarray(v) for k, v in drawn.items() if k != "input_shape"}
        got = ours.transform_images(x, transformation)
        np.testing.assert_allclose(got, theirs.transform_images(x, drawn), **TOL)
    # and a rotation kerax draws, handed to Keras
    ours = L.RandomRotation(0.3, **sampling)
    drawn = ours.get_random_transformation(x, seed=jax.random.key(3))
    theirs = K.RandomRotation(0.3, **sampling)
    expected = theirs.transform_images(x, {"rotation_matrix": np.asarray(drawn["rotation_matrix"])})
    np.testing.assert_allclose(ours.transform_images(x, drawn), expected, **TOL)


def test_colour_and_flip_layers_match_keras_for_a_fixed_transformation():
    x = _images()
    for name, kwargs in [
        ("RandomFlip", {}),
        ("RandomFlip", {"mode": "horizontal"}),
        ("RandomContrast", {"factor": (0.2, 0.5)}),
        ("RandomBrightness", {"factor": 0.4}),
        ("Solarization", {"addition_factor": 0.3, "threshold_factor": 0.6}),
    ]:
        ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
        drawn = theirs.get_random_transformation(x, training=True)
        transformation = {k: np.asarray(v) for k, v in drawn.items() if k != "input_shape"}
        got = ours.transform_images(x, transformation)
        np.testing.assert_allclose(got, theirs.transform_images(x, drawn), **TOL)
    apply = np.array([True, False]).reshape(2, 1, 1, 1)
    got = L.RandomGrayscale().transform_images(x, {"should_apply": apply})
    np.testing.assert_allclose(got, K.RandomGrayscale().transform_images(x, apply), **TOL)


def test_drawn_transformations_have_their_family_properties():
    x = _images((16, 5, 6, 3))
    flipped = np.asarray(L.RandomFlip("horizontal")(x, training=True))
    mirror = x[:, :, ::-1]
    same = [np.array_equal(f, a) for f, a in zip(flipped, x)]
    mirrored = [np.array_equal(f, m) for f, m in zip(flipped, mirror)]
    assert all(s or m for s, m in zip(same, mirrored)) and any(mirrored) and any(same)
    # both flips come from one draw: kept or turned by 180 degrees
    turned = np.asarray(L.RandomFlip()(x, training=True))
    assert all(np.array_equal(t, a) or np.array_equal(t, a[::-1, ::-1]) for t, a in zip(turned, x))
    # a zero rotation is the identity
    np.testing.assert_allclose(L.RandomRotation(0.0)(x, training=True), x, atol=1e-3)
    # a crop is one window of the input, at the same place for the whole batch
    crop = np.asarray(L.RandomCrop(3, 4)(x, training=True))
    windows = [
        (i, j)
        for i in range(3)
        for j in range(3)
        if np.array_equal(crop, x[:, i : i + 3, j : j + 4])
    ]
    assert len(windows) == 1
    # brightness: one offset per image, within factor * 255 (no clipping in the middle)
    mid = np.full((16, 2, 2, 3), 127.0, np.float32)
    shifted = np.asarray(L.RandomBrightness(0.2)(mid, training=True)) - mid
    assert np.all(np.abs(shifted) <= 0.2 * 255 + 1e-3)
    assert (
        np.allclose(shifted, shifted[:, :1, :1, :1]) and len(np.unique(shifted[:, 0, 0, 0])) == 16
    )
    # rotation angles lie in the factor's range
    angles = L.RandomRotation((0.1, 0.2)).get_random_transformation(x, seed=jax.random.key(0))
    assert np.all((angles["angle"] >= 36.0) & (angles["angle"] <= 72.0))


def test_unbatched_and_channels_first_images():
    x = _images()
    layer = L.RandomRotation(0.3, fill_mode="constant")
    drawn = layer.get_random_transformation(x, seed=jax.random.key(1))
    batch = np.asarray(layer.transform_images(x, drawn))
    one = {"rotation_matrix": drawn["rotation_matrix"][:1]}
    np.testing.assert_allclose(layer.transform_images(x[0], one), batch[0], **TOL)
    first = L.RandomRotation(0.3, fill_mode="constant", data_format="channels_first")
    got = first.transform_images(x.transpose(0, 3, 1, 2), drawn)
    np.testing.assert_allclose(got, batch.transpose(0, 3, 1, 2), **TOL)


# ---------------------------------------------------------------- in fit
def _augmenting_model() -> kerax.Model:
    inputs = kerax.Input((2, 2, 1))
    x = L.RandomBrightness(0.5, value_range=(-100, 100))(inputs)
    x = L.Flatten()(L.RandomFlip("horizontal")(x))
    ones = kerax.initializers.Constant(np.arange(1.0, 5.0, dtype=np.float32)[:, None])
    model = kerax.Model(inputs, L.Dense(1, kernel_initializer=ones)(x))
    model.compile(optimizer=kerax.optimizers.SGD(0.0), loss="mse")
    return model


def test_fit_draws_new_numbers_each_step_and_inference_is_the_identity():
    model = _augmenting_model()
    x = np.arange(8.0, dtype=np.float32).reshape(2, 2, 2, 1)
    y = np.zeros((2, 1), np.float32)
    steps = [float(model.train_on_batch(x, y)) for _ in range(3)]
    assert len(set(steps)) == 3  # the weights do not move: only the draws differ
    history = model.fit(x, y, batch_size=1, epochs=3, shuffle=False, verbose=0)
    assert len(set(history.history["loss"])) == 3
    plain = np.sum(x.reshape(2, 4) * np.arange(1.0, 5.0), axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), plain, rtol=1e-6)
    expected_loss = float(np.mean(plain**2))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected_loss, rtol=1e-6)
    assert all(abs(s - expected_loss) > 1e-3 for s in steps)


def test_eager_calls_default_to_training_as_in_keras():
    x = _images((16, 3, 3, 1))
    assert not np.array_equal(L.RandomFlip()(x), x)
    assert not np.array_equal(K.RandomFlip()(x), x)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda: L.RandomRotation(0.1, fill_mode="bogus"), "fill_mode"),
        (lambda: L.RandomZoom(0.1, interpolation="bicubic"), "interpolation"),
        (lambda: L.RandomZoom(-1.5), "height_factor"),
        (lambda: L.RandomContrast(1.5), "factor"),
        (lambda: L.Resizing(3, 3, interpolation="area"), "interpolation"),
        (lambda: L.Resizing(3, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "aspect"),
        (lambda: L.CenterCrop(0, 3), "height"),
        (lambda: L.RandomFlip(mode="diagonal"), "mode"),
        (lambda: L.RandomFlip(data_format="channels_middle"), "data_format"),
        (lambda: L.RandomFlip()(np.zeros((2, 3), np.float32)), "rank"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, needle):
    with pytest.raises(ValueError, match=needle):
        make()


def test_every_random_layer_augments_in_a_jitted_training_apply():
    inputs = kerax.Input((5, 6, 3))
    x = inputs
    for name, kwargs in RANDOM:
        if name != "RandomCrop":
            x = getattr(L, name)(**kwargs)(x)
    x = L.RandomCrop(3, 4)(x)
    model = kerax.Model(inputs, x)
    lowered, variables = model.lowered, model.get_variables()
    data = _images()

    @jax.jit
    def train_apply(key: jax.Array) -> jax.Array:
        return lowered.apply(variables, data, training=True, rng=key)[0]

    first, second = (
        np.asarray(train_apply(jax.random.key(0))),
        np.asarray(train_apply(jax.random.key(1))),
    )
    assert first.shape == second.shape == (2, 3, 4, 3)
    assert np.all(np.isfinite(first)) and not np.allclose(first, second)
    inference = lowered.apply(variables, data, training=False)[0]
    np.testing.assert_allclose(
        inference, keras.preprocessing.image.smart_resize(data, (3, 4)), **TOL
    )
    with pytest.raises(ValueError, match="dict"):
        L.RandomFlip()({"images": data})


@pytest.mark.parametrize("name,kwargs", DETERMINISTIC + RANDOM, ids=lambda v: str(v))
def test_configs_match_keras_both_ways(name: str, kwargs: dict[str, Any]):
    def plain(config: dict[str, Any]) -> dict[str, Any]:
        # names count differently; Keras draws a default RandomCrop seed
        return {k: v for k, v in config.items() if k not in ("name", "dtype", "seed")}

    ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    clone = getattr(L, name).from_config(theirs.get_config())
    assert plain(clone.get_config()) == plain(theirs.get_config())
