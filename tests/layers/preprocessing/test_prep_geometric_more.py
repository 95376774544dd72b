"""RandomShear, RandomPerspective, RandomElasticTransform and RandomErasing against
Keras 3 (JAX backend).

As for the other random image layers: identities at inference; for a fixed
transformation (drawn by Keras, or drawn by kerax and handed to Keras) both libraries
give the same images; the transformations kerax draws have their family's properties.
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
TOL = {"rtol": 1e-5, "atol": 1e-3}

RANDOM = [
    ("RandomShear", {"x_factor": 0.3, "y_factor": (0.1, 0.2)}),
    ("RandomPerspective", {"scale": 0.4}),
    ("RandomElasticTransform", {"scale": 0.5}),
    ("RandomErasing", {"fill_value": 3.0}),
]


def _images(shape: tuple[int, ...] = (3, 8, 7, 3), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def _plain(drawn: dict[str, Any]) -> dict[str, Any]:
    return {k: np.asarray(v) for k, v in drawn.items() if k != "input_shape"}


def test_harness_on_a_pipeline_of_the_four_layers():
    # symbolic call, config round trip, predict, a training step: one model for all
    layers = [getattr(L, name)(**kwargs) for name, kwargs in RANDOM]
    # (the jitted training apply is checked below, with different keys)
    check_layer(
        L.Pipeline, {"layers": layers}, (2, 5, 5, 3), call_kwargs={"training": False}, train=False
    )


def test_identities_at_inference():
    x = _images()
    for name, kwargs in RANDOM:
        layer = getattr(L, name)(**kwargs)
        np.testing.assert_array_equal(layer(x, training=False), x)
        np.testing.assert_array_equal(layer(x[0], training=False), x[0])


# ---------------------------------------------------------------- against Keras
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("RandomShear", {"x_factor": 0.4, "y_factor": (0.1, 0.3)}),
        ("RandomShear", {"x_factor": 0.3, "fill_mode": "constant", "fill_value": 9.0}),
        ("RandomPerspective", {"factor": (0.5, 1.0), "scale": 0.6, "fill_value": 4.0}),
        ("RandomErasing", {}),
        ("RandomErasing", {"fill_value": 7.0, "scale": (0.2, 0.6), "value_range": (0, 100)}),
    ],
    ids=lambda v: str(v),
)
def test_a_keras_transformation_gives_keras_images(name, kwargs):
    x = _images()
    ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
    drawn = theirs.get_random_transformation(x, training=True)
    got = ours.transform_images(x, _plain(drawn))
    np.testing.assert_allclose(got, theirs.transform_images(x, drawn), **TOL)


def test_channels_first_transformations_match_keras():
    x = _images().transpose(0, 3, 1, 2)
    for name, kwargs in [
        ("RandomShear", {"y_factor": 0.5, "fill_mode": "wrap", "interpolation": "nearest"}),
        ("RandomPerspective", {"scale": 0.6, "interpolation": "nearest"}),
        ("RandomErasing", {"fill_value": 5.0}),
    ]:
        ours = getattr(L, name)(**kwargs, data_format="channels_first")
        theirs = getattr(K, name)(**kwargs, data_format="channels_first")
        drawn = theirs.get_random_transformation(x, training=True)
        got = ours.transform_images(x, _plain(drawn))
        np.testing.assert_allclose(got, theirs.transform_images(x, drawn), **TOL)


def _elastic_case(kwargs: dict[str, Any], x: np.ndarray, distortion: float) -> None:
    # Keras's transformation names a seed that its warp draws the noise from; kerax's
    # holds the JAX key with the same data.
    ours, theirs = L.RandomElasticTransform(**kwargs), K.RandomElasticTransform(**kwargs)
    apply = np.array([True, False, True])
    theirs_t = {"apply_transform": apply, "distortion_factor": distortion, "seed": 11}
    ours_t = {
        "apply_transform": apply,
        "distortion_factor": np.float32(distortion),
        "seed": jax.random.wrap_key_data(np.array([11, 0], np.uint32)),
    }
    expected = np.asarray(theirs.transform_images(x, theirs_t))
    got = np.asarray(ours.transform_images(x, ours_t))
    np.testing.assert_allclose(got, expected, **TOL)
    if kwargs.get("interpolation") != "nearest":  # sub-pixel shifts: nearest keeps pixels
        assert not np.allclose(expected[0], x[0])
    np.testing.assert_allclose(got[1], np.clip(x[1], *ours.value_range))


def test_elastic_transform_matches_keras_for_a_fixed_seed():
    x = _images()
    # sigma = 0.05 * s * 7: Gaussian windows of 3 and 1 pixels
    _elastic_case({}, x, 1.0)
    _elastic_case({"fill_mode": "mirror", "value_range": (0, 200)}, x, 0.9)
    kwargs = {"fill_mode": "constant", "fill_value": 20.0, "interpolation": "nearest"}
    _elastic_case({**kwargs, "data_format": "channels_first"}, x.transpose(0, 3, 1, 2), 0.7)


def test_a_kerax_transformation_gives_keras_images():
    x = _images()
    for name, kwargs in [
        ("RandomShear", {"x_factor": 0.4, "y_factor": 0.2}),
        ("RandomPerspective", {"scale": 0.5}),
        ("RandomErasing", {}),
    ]:
        ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
        drawn = ours.get_random_transformation(x, seed=jax.random.key(4))
        got = ours.transform_images(x, drawn)
        np.testing.assert_allclose(got, theirs.transform_images(x, _plain(drawn)), **TOL)


# ---------------------------------------------------------------- drawn properties
def test_drawn_transformations_have_their_family_properties():
    x = _images((64, 6, 6, 1))
    key = jax.random.key(0)
    shear = L.RandomShear(x_factor=(0.1, 0.3), y_factor=0.2).get_random_transformation(x, seed=key)
    sx, sy = np.asarray(shear["shear_factor"]).T
    # both factors flip sign together, for about half of the images
    flipped = sx < 0
    assert np.all((np.abs(sx) >= 0.1 - 1e-6) & (np.abs(sx) <= 0.3 + 1e-6))
    assert np.all(np.abs(sy) <= 0.2 + 1e-6) and 16 < flipped.sum() < 48
    # perspective: corners move by at most scale / 2 of their coordinates
    drawn = L.RandomPerspective(scale=0.4).get_random_transformation(x, seed=key)
    start, end = np.asarray(drawn["start_points"]), np.asarray(drawn["end_points"])
    assert np.all(np.abs(end - start) <= 0.2 * start + 1e-5)
    assert 0.2 < np.asarray(drawn["apply_perspective"]).mean() < 0.8  # p drawn in [0, 1]
    never = L.RandomPerspective(factor=0.0).get_random_transformation(x, seed=key)
    assert not np.any(never["apply_perspective"])
    # elastic: one distortion per batch, in `scale`; none drawn when scale is 0
    drawn = L.RandomElasticTransform(scale=(0.2, 0.4)).get_random_transformation(x, seed=key)
    assert 0.2 <= float(drawn["distortion_factor"]) <= 0.4
    np.testing.assert_array_equal(L.RandomElasticTransform(scale=0.0)(x, training=True), x)
    # erasing: one box per image, filled with the value, for some of the images
    erased = np.asarray(L.RandomErasing(fill_value=-1.0, value_range=(-1, 255))(x, training=True))
    for image, before in zip(erased, x):
        rows, cols = np.nonzero(image[..., 0] == -1.0)
        if rows.size:
            box = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
            assert np.all(box == -1.0) and rows.size < 36
        np.testing.assert_array_equal(image[image != -1.0], before[image != -1.0])
    assert 0 < (erased == -1.0).any(axis=(1, 2, 3)).sum() < 64


def test_noise_filled_erasing_keeps_to_the_value_range():
    x = np.full((64, 6, 6, 1), 0.5, np.float32)
    layer = L.RandomErasing(value_range=(0, 1))
    erased = np.asarray(layer.transform_images(x, layer.get_random_transformation(x)))
    changed = erased != 0.5
    assert changed.any() and erased.min() >= 0.0 and erased.max() <= 1.0
    assert len(np.unique(erased[changed])) > 10  # noise, not a constant


def test_unbatched_images_take_the_batch_path():
    x = _images()
    for layer in [L.RandomShear(0.4, fill_mode="constant"), L.RandomPerspective(scale=0.5)]:
        drawn = layer.get_random_transformation(x, seed=jax.random.key(2))
        batch = np.asarray(layer.transform_images(x, drawn))
        one = {k: np.asarray(v)[:1] for k, v in drawn.items()}
        np.testing.assert_allclose(layer.transform_images(x[0], one), batch[0], **TOL)


def test_every_layer_augments_in_a_jitted_training_apply():
    inputs = kerax.Input((6, 6, 3))
    x = inputs
    for name, kwargs in RANDOM:
        x = getattr(L, name)(**kwargs)(x)
    model = kerax.Model(inputs, x)
    lowered, variables = model.lowered, model.get_variables()
    data = _images((2, 6, 6, 3))

    @jax.jit
    def train_apply(key: jax.Array) -> jax.Array:
        return lowered.apply(variables, data, training=True, rng=key)[0]

    first, second = np.asarray(train_apply(jax.random.key(0))), train_apply(jax.random.key(1))
    assert np.all(np.isfinite(first)) and not np.allclose(first, second)
    np.testing.assert_array_equal(np.asarray(train_apply(jax.random.key(0))), first)
    np.testing.assert_array_equal(model.predict(data, verbose=0), data)


# ---------------------------------------------------------------- errors and configs
@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda: L.RandomShear(x_factor=1.5), "x_factor"),
        (lambda: L.RandomShear(y_factor=(-1.5, 0.2)), "y_factor"),
        (lambda: L.RandomShear(y_factor=-0.2), "y_factor"),
        (lambda: L.RandomShear(fill_mode="mirror"), "fill_mode"),
        (lambda: L.RandomPerspective(scale=2.0), "scale"),
        (lambda: L.RandomPerspective(interpolation="bicubic"), "interpolation"),
        (lambda: L.RandomElasticTransform(scale=1.5), "scale"),
        (lambda: L.RandomElasticTransform(fill_mode="edge"), "fill_mode"),
        (lambda: L.RandomErasing(factor=(0.2, 0.5, 0.9)), "factor"),
        (lambda: L.RandomErasing(fill_value=(1, 2)), "fill_value"),
        (lambda: L.RandomErasing()({"images": _images()}), "dict"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, needle):
    with pytest.raises(ValueError, match=needle):
        make()


@pytest.mark.parametrize(
    "name,kwargs",
    [
        *RANDOM,
        ("RandomShear", {"x_factor": (0.2, 0.1), "fill_mode": "constant", "fill_value": 2.0}),
        ("RandomErasing", {"factor": (0.2, 0.5), "fill_value": [1.0, 2.0, 3.0]}),
        ("RandomElasticTransform", {"factor": 0.3, "fill_mode": "mirror"}),
    ],
    ids=lambda v: str(v),
)
def test_configs_match_keras_both_ways(name: str, kwargs: dict[str, Any]):
    def plain(config: dict[str, Any]) -> dict[str, Any]:
        config = {k: v for k, v in config.items() if k not in ("name", "dtype")}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}

    ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    clone = getattr(L, name).from_config(theirs.get_config())
    assert plain(clone.get_config()) == plain(theirs.get_config())
    if name != "RandomShear":  # Keras's RandomShear refuses its own (-f, f) configs
        back = getattr(K, name).from_config(ours.get_config())
        assert plain(back.get_config()) == plain(theirs.get_config())
