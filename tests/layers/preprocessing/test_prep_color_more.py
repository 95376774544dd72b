"""Histogram, random colour and random filter image layers against Keras 3 (JAX backend).

Equalization and CLAHE are deterministic and match Keras's outputs. The random layers
are the identity at inference; in training, a transformation drawn by Keras and handed
to kerax gives Keras's image, a factor fixed to one value gives Keras's output end to
end, and the draws kerax makes lie in the ranges their arguments allow. In ``fit`` the
draws change every step and ``set_random_seed`` makes them reproducible.
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
CLAHE = "ContrastLimitedAdaptiveHistogramEqualization"


def _images(shape: tuple[int, ...] = (3, 5, 6, 3), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def _compiled(fn: Any, *args: Any) -> np.ndarray:
    """``fn(*args)`` compiled as a whole (eagerly, the ops dispatch one by one)."""
    return np.asarray(jax.jit(fn)(*args))


RANDOM = [
    ("RandomColorDegeneration", {"factor": 0.6}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "contrast_factor": 0.3, "hue_factor": 0.2}),
    ("RandomHue", {"factor": 0.7}),
    ("RandomSaturation", {"factor": (0.2, 0.9)}),
    ("RandomInvert", {"factor": 0.7}),
    ("RandomPosterization", {"factor": (2, 7)}),
    ("RandomSharpness", {"factor": 0.8}),
    ("RandomGaussianBlur", {"factor": 0.8, "kernel_size": (3, 5), "sigma": (0.2, 0.9)}),
]
DETERMINISTIC = [
    ("Equalization", {}),
    (CLAHE, {"tile_grid_size": (2, 2)}),
]


@pytest.mark.parametrize("name,kwargs", [*DETERMINISTIC[:1], RANDOM[2]], ids=lambda v: str(v))
def test_harness(name: str, kwargs: dict[str, Any]):
    cls = getattr(L, name)
    call_kwargs = {"training": False} if cls.random else None
    check_layer(cls, kwargs, (2, 4, 4, 3), call_kwargs=call_kwargs)


# ---------------------------------------------------------------- deterministic layers
def _histogram_images(scale: float = 1.0) -> np.ndarray:
    x = _images((2, 7, 9, 3))
    x[1] = np.round(x[1] * 0.3 / 40) * 40  # a darker image with few levels
    x[0, ..., 2] = 17.0  # one constant channel
    return x * scale


@pytest.mark.parametrize(
    "kwargs,scale",
    [({"bins": 16}, 1.0), ({"value_range": (0, 1), "bins": 32}, 1 / 255)],
    ids=["bins16", "unit"],
)
def test_equalization_matches_keras_image_by_image(kwargs: dict[str, Any], scale: float):
    # Keras 3.15 pools a batch's histograms (see the layer's docstring); one image alone
    # is equalized by itself in both libraries.
    x = _histogram_images(scale)
    theirs = K.Equalization(**kwargs)
    expected = np.stack([theirs(image) for image in x])
    np.testing.assert_allclose(L.Equalization(**kwargs)(x), expected, **TOL)
    first = L.Equalization(**kwargs, data_format="channels_first")
    got = first(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(got, expected.transpose(0, 3, 1, 2), **TOL)


def test_equalization_with_256_bins_and_in_a_model():
    x = _histogram_images()
    np.testing.assert_allclose(L.Equalization()(x[1]), K.Equalization()(x[1]), **TOL)
    inputs = kerax.Input((7, 9, 3))
    model = kerax.Model(inputs, L.Equalization(bins=8)(inputs))  # applied at inference too
    expected = np.stack([K.Equalization(bins=8)(image) for image in x])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, **TOL)


@pytest.mark.parametrize(
    "kwargs,scale",
    [
        ({"tile_grid_size": (2, 3)}, 1.0),
        ({"tile_grid_size": (3, 2), "clip_limit": 0.5, "value_range": (0, 1)}, 1 / 255),
        ({"tile_grid_size": (2, 2), "clip_limit": 0}, 1.0),
    ],
    ids=["default_clip", "unit", "no_clip"],
)
def test_clahe_matches_keras(kwargs: dict[str, Any], scale: float):
    x = _histogram_images(scale)
    theirs = K.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    expected = _compiled(theirs, x)
    ours = L.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    np.testing.assert_allclose(ours(x), expected, **TOL)
    if kwargs.get("clip_limit") == 0:  # the layouts, on one configuration
        np.testing.assert_allclose(ours(x[1]), expected[1], **TOL)  # one image
        first = L.ContrastLimitedAdaptiveHistogramEqualization(
            **kwargs, data_format="channels_first"
        )
        got = first(x.transpose(0, 3, 1, 2))
        np.testing.assert_allclose(got, expected.transpose(0, 3, 1, 2), **TOL)


# ---------------------------------------------------------------- random layers
@pytest.mark.parametrize("name,kwargs", RANDOM, ids=lambda v: str(v))
def test_random_layers_are_identities_at_inference(name: str, kwargs: dict[str, Any]):
    x = _images((2, 3, 3, 3))
    layer = getattr(L, name)(**kwargs)
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert layer.get_random_transformation(x, training=False) is None
    inputs = kerax.Input((3, 3, 3))
    model = kerax.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("unit", [False, True], ids=["0-255", "0-1"])
def test_a_transformation_drawn_by_keras_gives_keras_images(unit: bool):
    x = _images()
    value_range = {"value_range": (0, 1)} if unit else {}
    x = x / 255 if unit else x
    for name, kwargs in RANDOM:
        if name == "RandomColorJitter":  # Keras draws its stages inside transform_images
            continue
        ours = getattr(L, name)(**kwargs, **value_range)
        theirs = getattr(K, name)(**kwargs, **value_range)
        drawn = theirs.get_random_transformation(x, training=True)
        transformation = {k: np.asarray(v) for k, v in drawn.items()}
        expected = _compiled(theirs.transform_images, x, drawn)
        got = _compiled(ours.transform_images, x, transformation)
        np.testing.assert_allclose(got, expected, err_msg=name, **TOL)
        if not unit:  # the channels-first layout, once
            first = getattr(L, name)(**kwargs, data_format="channels_first")
            got = _compiled(first.transform_images, x.transpose(0, 3, 1, 2), transformation)
            np.testing.assert_allclose(got, expected.transpose(0, 3, 1, 2), err_msg=name, **TOL)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("RandomColorDegeneration", {"factor": (0.5, 0.5)}),
        ("RandomSaturation", {"factor": (0.7, 0.7)}),
        ("RandomSharpness", {"factor": (0.9, 0.9)}),
        ("RandomPosterization", {"factor": (3, 3)}),
        ("RandomInvert", {"factor": (1.0, 1.0)}),
        ("RandomGaussianBlur", {"factor": (1.0, 1.0), "sigma": (0.6, 0.6), "kernel_size": 5}),
        (
            "RandomColorJitter",
            {"brightness_factor": (0.1, 0.1), "contrast_factor": (-0.3, 0.3)},
        ),
        ("RandomColorJitter", {"saturation_factor": (0.3, 0.3), "value_range": (0, 1)}),
    ],
    ids=lambda v: str(v),
)
def test_a_fixed_factor_gives_keras_outputs(name: str, kwargs: dict[str, Any]):
    x = _images()
    x = x / 255 if kwargs.get("value_range") == (0, 1) else x
    np.testing.assert_allclose(getattr(L, name)(**kwargs)(x), getattr(K, name)(**kwargs)(x), **TOL)
    one = getattr(L, name)(**kwargs)(x[0])
    np.testing.assert_allclose(one, getattr(K, name)(**kwargs)(x[0]), **TOL)


def test_color_jitter_chains_the_keras_stages_with_its_draws():
    x = _images()
    kwargs = {"brightness_factor": 0.3, "contrast_factor": 0.4, "saturation_factor": 0.6}
    layer = L.RandomColorJitter(hue_factor=0.5, **kwargs)
    drawn = layer.get_random_transformation(x, seed=jax.random.key(4))
    expected = x
    for stage, cls, factor in [
        ("brightness", K.RandomBrightness, 0.3),
        ("contrast", K.RandomContrast, 0.4),
        ("saturation", K.RandomSaturation, 0.6),
        ("hue", K.RandomHue, 0.5),
    ]:
        transformation = {k: np.asarray(v) for k, v in drawn[stage].items()}
        expected = cls(factor).transform_images(expected, transformation)
    np.testing.assert_allclose(layer.transform_images(x, drawn), expected, **TOL)
    assert not np.allclose(expected, x)


def test_drawn_transformations_lie_in_their_ranges():
    x, key = _images((512, 2, 2, 3)), jax.random.key(0)

    def draw(layer: Any) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in layer.get_random_transformation(x, seed=key).items()}

    hue = draw(L.RandomHue((0.2, 0.6)))["factor"]
    assert (
        np.all((np.abs(hue) >= 0.1) & (np.abs(hue) <= 0.3)) and (hue > 0).any() and (hue < 0).any()
    )
    degeneration = draw(L.RandomColorDegeneration(0.4))["factor"]
    assert degeneration.shape == (512, 1, 1, 1) and np.all(np.abs(degeneration) <= 0.4)
    assert (degeneration < 0).any()  # Keras's rule: a number f draws in [-f, f]
    saturation = draw(L.RandomSaturation((0.2, 0.5)))["factor"]
    np.testing.assert_array_less(0.2 / 0.8 - 1e-5, saturation)
    np.testing.assert_array_less(saturation, 1.0 + 1e-5)
    bits = 8 - draw(L.RandomPosterization((2, 5)))["shift_factor"].astype(int)
    assert set(bits) == {2, 3, 4}  # Keras's integer draw excludes the high end
    sharpness = draw(L.RandomSharpness((0.3, 0.7)))["factor"]
    assert np.all((sharpness >= 0.3) & (sharpness <= 0.7))
    blur = draw(L.RandomGaussianBlur(0.5, sigma=(0.2, 0.4)))
    assert blur["blur_factor"].shape == (2,) and np.all(blur["blur_factor"] >= 0.2)
    assert 0.2 < blur["should_apply_blur"].mean() < 0.3  # probability ~ U(0, 0.5): 1/4 on average
    # an inverted image is value_range[1] - x, the others are kept; about half each
    inverted = np.asarray(L.RandomInvert(value_range=(0, 255))(x, training=True))
    flipped = [np.array_equal(i, 255 - a) for i, a in zip(inverted, x)]
    kept = [np.array_equal(i, a) for i, a in zip(inverted, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and 0.4 < np.mean(flipped) < 0.6
    # a posterized pixel keeps only its high bits
    posterized = np.asarray(L.RandomPosterization((3, 3))(x, training=True))
    np.testing.assert_array_equal(posterized, (x.astype(np.uint8) >> 5) << 5)


# ---------------------------------------------------------------- in fit
def _augmenting_model() -> kerax.Model:
    inputs = kerax.Input((2, 2, 3))
    x = L.RandomColorJitter(value_range=(0, 1), brightness_factor=0.4, hue_factor=0.5)(inputs)
    x = L.RandomSharpness(0.9, value_range=(0, 1))(L.RandomInvert(0.5, value_range=(0, 1))(x))
    model = kerax.Model(inputs, L.Dense(1, kernel_initializer="ones")(L.Flatten()(x)))
    model.compile(optimizer=kerax.optimizers.SGD(0.0), loss="mse")
    return model


def test_fit_draws_each_step_reproducibly_and_inference_is_the_identity():
    x = _images((2, 2, 2, 3)) / 255
    y = np.zeros((2, 1), np.float32)
    losses = []
    for _ in range(2):
        kerax.utils.set_random_seed(5)
        history = _augmenting_model().fit(x, y, batch_size=2, epochs=3, verbose=0)
        losses.append(history.history["loss"])
    assert losses[0] == losses[1]  # the same seed draws the same numbers
    assert len(set(losses[0])) == 3  # the weights do not move: only the draws differ
    kerax.utils.set_random_seed(6)
    assert (
        _augmenting_model().fit(x, y, batch_size=2, epochs=3, verbose=0).history["loss"]
        != losses[0]
    )
    plain = x.reshape(2, -1).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_augmenting_model().predict(x, verbose=0), plain, rtol=1e-5)


# ---------------------------------------------------------------- configs and errors
@pytest.mark.parametrize("name,kwargs", DETERMINISTIC + RANDOM, ids=lambda v: str(v))
def test_configs_match_keras_both_ways(name: str, kwargs: dict[str, Any]):
    def plain(config: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in config.items() if k not in ("name", "dtype")}

    ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    clone = getattr(L, name).from_config(theirs.get_config())
    assert plain(clone.get_config()) == plain(theirs.get_config())


@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda: L.Equalization(bins=0), "bins"),
        (lambda: L.Equalization(value_range=3), "value_range"),
        (lambda: L.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2,)), "tile"),
        (lambda: L.ContrastLimitedAdaptiveHistogramEqualization(clip_limit="x"), "clip_limit"),
        (lambda: L.RandomHue(1.5), "factor"),
        (lambda: L.RandomSaturation((0.1, 0.2, 0.3)), "factor"),
        (lambda: L.RandomPosterization(9), "factor"),
        (lambda: L.RandomPosterization(2.5), "factor"),
        (lambda: L.RandomGaussianBlur(kernel_size=4), "kernel_size"),
        (lambda: L.RandomGaussianBlur(sigma=2.0), "sigma"),
        (lambda: L.RandomColorJitter(hue_factor=2.0), "hue_factor"),
        (lambda: L.RandomInvert()(np.zeros((2, 3), np.float32)), "rank"),
        (lambda: L.RandomHue(0.1)({"images": _images()}), "dict"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, needle):
    with pytest.raises(ValueError, match=needle):
        make()
