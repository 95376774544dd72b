"""MixUp, CutMix, Pipeline, RandAugment and AugMix against Keras 3 (JAX backend).

MixUp and CutMix take images, or a dict of images and one-hot labels; for a fixed
transformation (drawn by Keras, or by kerax and handed to Keras) both libraries give the
same images and labels, and the mixings kerax draws have their family's properties.
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


def _images(shape: tuple[int, ...] = (4, 6, 5, 3), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def _labels(batch: int = 4, classes: int = 3) -> np.ndarray:
    return np.eye(classes, dtype="float32")[np.arange(batch) % classes]


def _plain(drawn: dict[str, Any]) -> dict[str, Any]:
    return {k: np.asarray(v) for k, v in drawn.items()}


def test_harness_on_a_pipeline_of_both_layers():
    layers = [L.MixUp(), L.CutMix(factor=0.5)]
    check_layer(
        L.Pipeline, {"layers": layers}, (2, 5, 5, 3), call_kwargs={"training": False}, train=False
    )


# ---------------------------------------------------------------- against Keras
@pytest.mark.parametrize(
    "name,kwargs,data_format",
    [
        ("MixUp", {"alpha": 0.5}, "channels_last"),
        ("CutMix", {"factor": (0.3, 0.8)}, "channels_last"),
        ("CutMix", {}, "channels_first"),
    ],
    ids=lambda v: str(v),
)
def test_a_keras_transformation_gives_keras_images_and_labels(name, kwargs, data_format):
    x, y = _images(), _labels()
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2)
    ours = getattr(L, name)(**kwargs, data_format=data_format)
    theirs = getattr(K, name)(**kwargs, data_format=data_format)
    drawn = theirs.get_random_transformation(x, training=True)
    np.testing.assert_allclose(
        ours.transform_images(x, _plain(drawn)), theirs.transform_images(x, drawn), **TOL
    )
    np.testing.assert_allclose(
        ours.transform_labels(y, _plain(drawn)), theirs.transform_labels(y, drawn), **TOL
    )


def test_a_kerax_transformation_gives_keras_images_and_labels():
    x, y = _images(), _labels()
    for name in ("MixUp", "CutMix"):
        ours, theirs = getattr(L, name)(), getattr(K, name)()
        drawn = ours.get_random_transformation({"images": x, "labels": y}, seed=jax.random.key(1))
        got = ours.transform_images(x, drawn)
        np.testing.assert_allclose(got, theirs.transform_images(x, _plain(drawn)), **TOL)
        got = ours.transform_labels(y, drawn)
        np.testing.assert_allclose(got, theirs.transform_labels(y, _plain(drawn)), **TOL)


# ---------------------------------------------------------------- dict calls
def test_dict_calls_mix_labels_as_the_images_were_mixed():
    # image i is the constant 10 * i and its label is class i: a mixed image's values
    # must come from the images its label names, in the label's proportions (MixUp)
    batch = 4
    x = np.broadcast_to(10.0 * np.arange(batch, dtype="float32")[:, None, None, None], (4, 6, 5, 3))
    y = np.eye(batch, dtype="float32")
    mixed = L.MixUp(alpha=1.0)({"images": x, "labels": y})
    images, labels = np.asarray(mixed["images"]), np.asarray(mixed["labels"])
    np.testing.assert_allclose(images, images[:, :1, :1, :1] + 0 * images, rtol=1e-6)
    np.testing.assert_allclose(labels @ (10.0 * np.arange(batch)), images[:, 0, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(labels >= 0) and not np.allclose(labels, y)

    cut = L.CutMix()({"images": x, "labels": y})
    images, labels = np.asarray(cut["images"]), np.asarray(cut["labels"])
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-6)
    for i in range(batch):
        sources = set(np.unique(images[i]) / 10.0)
        named = set(np.nonzero(labels[i] > 1e-6)[0].astype(float)) | {float(i)}
        assert sources <= named, (sources, named)
    assert not np.array_equal(images, x)

    # one image: nothing to mix with; inference: unchanged
    one = L.CutMix()({"images": x[0], "labels": y[0]})
    np.testing.assert_array_equal(one["images"], x[0])
    np.testing.assert_array_equal(one["labels"], y[0])
    kept = L.MixUp()({"images": x, "labels": y}, training=False)
    np.testing.assert_array_equal(kept["images"], x)
    np.testing.assert_array_equal(kept["labels"], y)


def test_drawn_mixings_follow_their_distributions():
    x = np.zeros((4000, 6, 5, 1), np.float32)
    drawn = L.MixUp(alpha=0.4).get_random_transformation(x, seed=jax.random.key(0))
    weights = np.asarray(drawn["mix_weight"])
    np.testing.assert_array_equal(np.sort(drawn["permutation_order"]), np.arange(4000))
    # Beta(0.4, 0.4) against NumPy's sampler: the deciles agree
    reference = np.random.default_rng(0).beta(0.4, 0.4, 200_000)
    deciles = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(
        np.quantile(weights, deciles), np.quantile(reference, deciles), atol=0.04
    )
    # CutMix: the label weight is one minus the box's share of the image
    drawn = L.CutMix().get_random_transformation(x, seed=jax.random.key(1))
    masks, weight = np.asarray(drawn["batch_masks"]), np.asarray(drawn["mix_weight"]).ravel()
    assert np.all((weight >= 0) & (weight <= 1)) and weight.std() > 0.1
    share = masks[..., 0].mean(axis=(1, 2))
    assert np.all(np.abs((1 - weight) - share) < 0.5)  # pixel boxes vs exact areas
    assert np.corrcoef(1 - weight, share)[0, 1] > 0.9


# ---------------------------------------------------------------- in a model
def _mixing_model() -> kerax.Model:
    inputs = kerax.Input((2, 2, 1))
    x = L.Flatten()(L.MixUp(alpha=1.0)(inputs))
    ones = kerax.initializers.Constant(np.arange(1.0, 5.0, dtype=np.float32)[:, None])
    model = kerax.Model(inputs, L.Dense(1, kernel_initializer=ones)(x))
    model.compile(optimizer=kerax.optimizers.SGD(0.0), loss="mse")
    return model


def test_fit_mixes_anew_each_step_reproducibly_and_predict_does_not_mix():
    x = np.arange(16.0, dtype=np.float32).reshape(4, 2, 2, 1)
    y = np.zeros((4, 1), np.float32)
    histories = []
    for _ in range(2):
        kerax.utils.set_random_seed(7)
        model = _mixing_model()
        history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
        histories.append(history.history["loss"])
    # the weights do not move (SGD(0)): only the draws differ between the steps
    assert histories[0] == histories[1] and len(set(histories[0])) == 3
    plain = np.sum(x.reshape(4, 4) * np.arange(1.0, 5.0), axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), plain, rtol=1e-6)
    assert all(abs(loss - np.mean(plain**2)) > 1e-3 for loss in histories[0])


def test_pipeline_applies_its_layers_in_order_as_keras_does():
    x = _images((2, 8, 6, 3))

    def steps(lib: Any) -> list[Any]:
        return [
            lib.layers.Rescaling(1 / 255),
            lib.layers.Resizing(5, 4),
            lib.layers.CenterCrop(3, 3),
        ]

    ours, theirs = L.Pipeline(steps(kerax)), K.Pipeline(steps(keras))
    np.testing.assert_allclose(ours(x), theirs(x), **TOL)
    # called directly it runs in training mode, as Keras's does; in predict it does not
    flip = L.Pipeline([L.RandomFlip("horizontal")])
    batch = _images((16, 3, 3, 1))
    flipped = np.asarray(flip(batch))
    assert not np.array_equal(flipped, batch)
    assert all(
        np.array_equal(f, b) or np.array_equal(f, b[:, ::-1]) for f, b in zip(flipped, batch)
    )
    np.testing.assert_array_equal(flip(batch, training=False), batch)
    inputs = kerax.Input((3, 3, 1))
    np.testing.assert_array_equal(
        kerax.Model(inputs, flip(inputs)).predict(batch, verbose=0), batch
    )
    # configs load both ways
    back = K.Pipeline.from_config(ours.get_config())
    np.testing.assert_allclose(back(x), theirs(x), **TOL)
    clone = L.Pipeline.from_config(theirs.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == [
        "Rescaling",
        "Resizing",
        "CenterCrop",
    ]
    np.testing.assert_allclose(clone(x), theirs(x), **TOL)
    # a Keras model holding a Pipeline loads (its build shape comes as a JSON list)
    inputs = keras.Input((8, 6, 3))
    keras_model = keras.Model(inputs, K.Pipeline([*steps(keras), K.RandomFlip()])(inputs))
    loaded = kerax.models.model_from_json(keras_model.to_json())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))


def test_pipeline_passes_a_mask_on_as_keras_does():
    def build(lib: Any) -> Any:
        inputs = lib.Input((5,), dtype="int32")
        x = lib.layers.Embedding(6, 4, mask_zero=True)(inputs)
        x = lib.layers.Pipeline([lib.layers.Dense(3)])(x)
        return lib.Model(inputs, lib.layers.LSTM(2)(x))

    theirs, ours = build(keras), build(kerax)
    ours.set_weights(theirs.get_weights())
    tokens = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 1, 0]], "int32")
    np.testing.assert_allclose(
        ours.predict(tokens, verbose=0), theirs.predict(tokens, verbose=0), **TOL
    )


# ---------------------------------------------------------------- RandAugment, AugMix
def _tree(drawn: Any) -> Any:
    """Keras's transformation with arrays as NumPy (and its shape entries left out)."""
    if isinstance(drawn, dict):
        return {k: _tree(v) for k, v in drawn.items() if k != "input_shape"}
    if isinstance(drawn, list):
        return [_tree(v) for v in drawn]
    return drawn if drawn is None or isinstance(drawn, str) else np.asarray(drawn)


def test_policies_build_their_augmentations_as_keras_does():
    for ours, theirs in [
        (
            L.RandAugment(factor=0.6, value_range=(0, 1)),
            K.RandAugment(factor=0.6, value_range=(0, 1)),
        ),
        (L.AugMix(interpolation="nearest"), K.AugMix(interpolation="nearest")),
        (L.AugMix(all_ops=False), K.AugMix(all_ops=False)),
    ]:
        names = getattr(theirs, "_AUGMENT_LAYERS", None) or theirs._augment_layers
        assert list(ours._augment_layers) == list(names)
        for name in names:
            mine, keras_layer = getattr(ours, name).get_config(), getattr(theirs, name).get_config()
            for config in (mine, keras_layer):
                for key in ("name", "dtype", "seed"):
                    config.pop(key, None)
            assert mine == keras_layer, name


def test_rand_augment_applies_its_picks_in_order_as_keras_does():
    # one image: Keras 3.15 equalizes a batch with a pooled histogram (kerax per image)
    x = _images((1, 6, 5, 3))
    ours, theirs = L.RandAugment(factor=0.6), K.RandAugment(factor=0.6)
    names = theirs._AUGMENT_LAYERS
    apply = jax.jit(ours.transform_images)

    def by_keras(drawn: dict[str, Any]) -> np.ndarray:
        # Keras's own augmentation layers, in the picked order
        images = x
        for index in np.asarray(drawn["layer_idxes"]):
            name = names[index]
            images = getattr(theirs, name).transform_images(images, drawn["transforms"][name])
        return np.asarray(images)

    for picks in [(0, 4), (7, 1), (5, 8)]:
        drawn = theirs.get_random_transformation(x, training=True)
        drawn["layer_idxes"] = np.array(picks, np.int32)
        np.testing.assert_allclose(apply(x, _tree(drawn)), by_keras(drawn), **TOL)
    # a transformation kerax draws (Keras's own transform_images, which runs all eleven
    # augmentations per pick, costs seconds; its picks select as by_keras does)
    drawn = ours.get_random_transformation(x, seed=jax.random.key(3))
    np.testing.assert_allclose(apply(x, drawn), by_keras(_tree(drawn)), **TOL)


def test_aug_mix_applies_keras_chains_as_keras_does_and_its_own_picks_alike():
    x = _images((1, 6, 5, 3))
    ours, theirs = L.AugMix(), K.AugMix()
    drawn = theirs.get_random_transformation(x, training=True)
    got = ours.transform_images(x, _tree(drawn))
    np.testing.assert_allclose(got, theirs.transform_images(x, drawn), **TOL)
    # kerax's own form (a traced pick and a key per slot) equals the chains spelled out
    drawn = ours.get_random_transformation(x, seed=jax.random.key(5))
    picks, keys = np.asarray(drawn["layer_idxes"]), drawn["slot_keys"]
    names = ours._augment_layers
    chains = [
        [
            {
                "layer_name": names[p],
                "transformation": getattr(ours, names[p]).get_random_transformation(
                    x, seed=keys[c, d]
                ),
            }
            for d, p in enumerate(row)
            if p < len(names)
        ]
        for c, row in enumerate(picks)
    ]
    spelled = {**drawn, "chain_transforms": chains}
    np.testing.assert_allclose(
        jax.jit(ours.transform_images)(x, drawn), ours.transform_images(x, spelled), **TOL
    )


def test_policies_draw_within_their_ranges_and_augment_in_a_jitted_step():
    x = _images((2, 6, 5, 3))
    drawn = L.RandAugment(num_ops=40).get_random_transformation(x, seed=jax.random.key(0))
    assert set(np.asarray(drawn["layer_idxes"]).tolist()) <= set(range(11))
    assert len(set(np.asarray(drawn["layer_idxes"]).tolist())) > 6
    mix = L.AugMix(num_chains=4, chain_depth=30, all_ops=False, alpha=0.5)
    drawn = mix.get_random_transformation(x, seed=jax.random.key(1))
    weights, picks = np.asarray(drawn["chain_mixing_weights"]), np.asarray(drawn["layer_idxes"])
    assert weights.shape == (4,) and np.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-5)
    assert 0.0 <= float(drawn["weight_sample"]) <= 1.0
    assert picks.shape == (4, 30) and set(picks.ravel().tolist()) == set(range(8))  # 7 ops, none

    inputs = kerax.Input((6, 5, 3))
    augment = L.AugMix(value_range=(20, 200), num_chains=2, chain_depth=2, all_ops=False)
    model = kerax.Model(inputs, augment(inputs))
    lowered, variables = model.lowered, model.get_variables()

    @jax.jit
    def train_apply(key: jax.Array) -> jax.Array:
        return lowered.apply(variables, x, training=True, rng=key)[0]

    first, second = np.asarray(train_apply(jax.random.key(0))), train_apply(jax.random.key(1))
    assert first.min() >= 20 and first.max() <= 200 and not np.allclose(first, second)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


# ---------------------------------------------------------------- errors and configs
@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda: L.MixUp()({"images": _images(), "bounding_boxes": {}}), "bounding boxes"),
        (lambda: L.CutMix()({"labels": _labels()}), "images"),
        (lambda: L.MixUp().transform_labels(np.arange(4.0), {"mix_weight": 1}), "one-hot"),
        (lambda: L.MixUp(alpha=0.0), "alpha"),
        (lambda: L.CutMix(factor=1.5), "factor"),
        (lambda: L.Pipeline(L.Dense(2)), "list"),
        (lambda: L.Pipeline.from_config({"name": "p"}), "layers"),
        (lambda: L.RandAugment(num_ops=-1), "num_ops"),
        (lambda: L.RandAugment(interpolation="bicubic"), "interpolation"),
        (lambda: L.AugMix(alpha=0), "alpha"),
        (lambda: L.AugMix(factor=1.2), "factor"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, needle):
    with pytest.raises(ValueError, match=needle):
        make()


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("MixUp", {}),
        ("MixUp", {"alpha": 0.7}),
        ("CutMix", {}),
        ("CutMix", {"factor": (0.2, 0.6)}),
        ("RandAugment", {"value_range": (0, 1), "num_ops": 3, "factor": 0.2}),
        ("AugMix", {"num_chains": 2, "all_ops": False, "interpolation": "nearest"}),
    ],
    ids=lambda v: str(v),
)
def test_configs_match_keras_both_ways(name: str, kwargs: dict[str, Any]):
    def plain(config: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in config.items() if k not in ("name", "dtype")}

    ours, theirs = getattr(L, name)(**kwargs), getattr(K, name)(**kwargs)
    assert plain(ours.get_config()) == plain(theirs.get_config())
    clone = getattr(L, name).from_config(theirs.get_config())
    assert plain(clone.get_config()) == plain(theirs.get_config())
    back = getattr(K, name).from_config(ours.get_config())
    assert plain(back.get_config()) == plain(theirs.get_config())
