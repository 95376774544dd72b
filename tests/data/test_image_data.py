"""Image helpers and the directory dataset builders, against ``keras.utils`` (which reads
images with Pillow too) and Keras's resize on its JAX backend (``keras.ops.image``)."""

from __future__ import annotations

import os
import wave

import keras
import numpy as np
import pytest
from keras.src.utils.dataset_utils import index_directory as keras_index

import kerax
from kerax.utils import (
    array_to_img,
    audio_dataset_from_directory,
    image_dataset_from_directory,
    img_to_array,
    load_img,
    save_img,
    text_dataset_from_directory,
)
from kerax.utils.image_dataset import ALLOWLIST_FORMATS

RNG = np.random.default_rng(0)
SIZES = [(5, 7), (6, 6), (4, 9), (8, 5), (7, 7)]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    for c, cls in enumerate(["cats", "dogs"]):
        (root / cls).mkdir()
        for i, (h, w) in enumerate(SIZES[c : c + 4]):
            pixels = RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)
            keras.utils.save_img(root / cls / f"{i}.png", pixels, scale=False)
    (root / "dogs" / "notes.md").write_text("not an image")
    (root / ".hidden").mkdir()
    return root


def test_image_file_helpers_match_keras(image_dir, tmp_path):
    path = str(image_dir / "cats" / "1.png")
    for kwargs in (
        {},
        {"color_mode": "grayscale"},
        {"color_mode": "rgba", "target_size": (4, 3)},
        {"target_size": (3, 5), "interpolation": "bilinear", "keep_aspect_ratio": True},
    ):
        ours = img_to_array(load_img(path, **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(path, **kwargs))
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    x = RNG.normal(size=(4, 5, 3))
    for kwargs in ({}, {"scale": False}, {"data_format": "channels_first"}):
        arr = x.transpose(2, 0, 1) if kwargs.get("data_format") else x
        arr = np.abs(arr) * 50 if "scale" in kwargs else arr
        np.testing.assert_array_equal(
            np.asarray(array_to_img(arr, **kwargs)),
            np.asarray(keras.utils.array_to_img(arr, **kwargs)),
        )
    save_img(tmp_path / "a.png", x)
    keras.utils.save_img(tmp_path / "b.png", x)
    np.testing.assert_array_equal(
        np.asarray(load_img(tmp_path / "a.png")), np.asarray(load_img(tmp_path / "b.png"))
    )
    np.testing.assert_array_equal(
        img_to_array(load_img(path), data_format="channels_first"),
        keras.utils.img_to_array(keras.utils.load_img(path), data_format="channels_first"),
    )


def test_smart_resize_matches_keras():
    x = RNG.normal(size=(2, 6, 9, 3)).astype("float32")
    for interpolation, size in (("bilinear", (4, 4)), ("bicubic", (8, 11)), ("lanczos3", (4, 4))):
        np.testing.assert_allclose(
            kerax.preprocessing.image.smart_resize(x, size, interpolation),
            keras.preprocessing.image.smart_resize(x, size, interpolation),
            rtol=1e-5,
            atol=1e-5,
        )


def keras_image(path, size, **kwargs):
    """What Keras's builder computes for one file, on Keras's JAX backend."""
    img = keras.utils.img_to_array(keras.utils.load_img(path))
    return np.asarray(keras.ops.image.resize(img, size, antialias=False, **kwargs))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"interpolation": "nearest", "crop_to_aspect_ratio": True},
        {"pad_to_aspect_ratio": True},
    ],
)
def test_image_dataset_images_and_order(image_dir, kwargs):
    ds = image_dataset_from_directory(
        image_dir, image_size=(6, 4), batch_size=3, seed=7, verbose=False, **kwargs
    )
    paths, labels, names = keras_index(
        str(image_dir), "inferred", ALLOWLIST_FORMATS, shuffle=True, seed=7, verbose=False
    )
    assert ds.class_names == names == ["cats", "dogs"]
    assert sorted(ds.file_paths) == sorted(paths) and ds.file_paths == paths
    assert len(ds) == 3
    images, got_labels = (np.concatenate(part) for part in zip(*ds))
    assert images.shape == (8, 6, 4, 3) and images.dtype == np.float32
    assert got_labels.dtype == np.int32
    by_path = dict(zip(paths, labels))
    expected = {p: keras_image(p, (6, 4), **kwargs) for p in paths}
    # The examples are reshuffled every pass; match each image to its file.
    for image, label in zip(images, got_labels):
        match = [p for p in paths if np.allclose(expected[p], image, atol=1e-4)]
        assert len(match) == 1 and by_path[match[0]] == label


def test_image_dataset_label_modes_split_and_no_shuffle(image_dir):
    common = dict(image_size=(5, 5), verbose=False, shuffle=False)
    base = image_dataset_from_directory(image_dir, batch_size=None, **common)
    ints = np.array([y for _, y in base])
    assert ints.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    cat = image_dataset_from_directory(image_dir, label_mode="categorical", **common)
    np.testing.assert_array_equal(next(iter(cat))[1], keras.utils.to_categorical(ints, 2))
    binary = image_dataset_from_directory(image_dir, label_mode="binary", **common)
    np.testing.assert_array_equal(next(iter(binary))[1], ints[:, None].astype("float32"))
    only = image_dataset_from_directory(image_dir, label_mode=None, **common)
    assert next(iter(only)).shape == (8, 5, 5, 3)
    train, val = image_dataset_from_directory(
        image_dir, validation_split=0.25, subset="both", seed=3, verbose=False, image_size=(5, 5)
    )
    assert len(train.file_paths) == 6 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    given = [3, 1, 4, 1, 5, 9, 2, 6]
    listed = image_dataset_from_directory(image_dir, labels=given, batch_size=8, **common)
    paths, labels, names = keras_index(
        str(image_dir), given, ALLOWLIST_FORMATS, shuffle=False, verbose=False
    )
    assert listed.file_paths == paths and listed.class_names == names
    np.testing.assert_array_equal(next(iter(listed))[1], labels)
    grey = image_dataset_from_directory(image_dir, color_mode="grayscale", **common)
    assert next(iter(grey))[0].shape == (8, 5, 5, 1)
    with pytest.raises(ValueError, match="seed"):
        image_dataset_from_directory(image_dir, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="class_names"):
        image_dataset_from_directory(image_dir, class_names=["cats", "cows"])
    with pytest.raises(ValueError, match="interpolation"):
        image_dataset_from_directory(image_dir, interpolation="area")


def test_fit_on_image_dataset_matches_arrays(image_dir):
    ds = image_dataset_from_directory(
        image_dir, image_size=(4, 4), batch_size=3, shuffle=False, verbose=False
    )
    x = np.concatenate([b[0] for b in ds])
    y = np.concatenate([b[1] for b in ds])

    def model():
        inputs = kerax.Input((4, 4, 3))
        flat = kerax.layers.Flatten()(inputs)
        m = kerax.Model(inputs, kerax.layers.Dense(2, activation="softmax")(flat))
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return m

    ref = model()
    start = ref.get_weights()
    ref.fit(x / 255, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    ours = model()
    ours.set_weights(start)
    ours.fit(ds.map(lambda images, labels: (images / 255, labels)), epochs=2, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_text_dataset(tmp_path):
    texts = {"neg": ["bad film", "awful"], "pos": ["great", "loved it", "fine fine"]}
    for cls, items in texts.items():
        (tmp_path / cls).mkdir()
        for i, t in enumerate(items):
            (tmp_path / cls / f"{i}.txt").write_text(t)
    ds = text_dataset_from_directory(tmp_path, batch_size=2, seed=1, max_length=4, verbose=False)
    paths, labels, names = keras_index(
        str(tmp_path), "inferred", (".txt",), shuffle=True, seed=1, verbose=False
    )
    assert ds.file_paths == paths and ds.class_names == names
    got = [(str(t), int(y)) for xb, yb in ds for t, y in zip(xb, yb)]
    expected = [(open(p).read()[:4], int(y)) for p, y in zip(paths, labels)]
    assert sorted(got) == sorted(expected)


def test_audio_dataset(tmp_path):
    clips = {}
    for cls, lengths in (("no", [5, 3]), ("yes", [4])):
        (tmp_path / cls).mkdir()
        for i, n in enumerate(lengths):
            samples = RNG.integers(-32768, 32767, (n, 2), dtype=np.int16)
            path = tmp_path / cls / f"{i}.wav"
            with wave.open(str(path), "wb") as f:
                f.setnchannels(2)
                f.setsampwidth(2)
                f.setframerate(8000)
                f.writeframes(samples.tobytes())
            clips[str(path)] = samples.astype("float32") / 32768
    ds = audio_dataset_from_directory(tmp_path, batch_size=3, shuffle=False, verbose=False)
    audio, labels = next(iter(ds))
    assert audio.shape == (3, 5, 2) and labels.tolist() == [0, 0, 1]
    for row, path in zip(audio, ds.file_paths):
        clip = clips[path]
        np.testing.assert_array_equal(row[: len(clip)], clip)
        assert not row[len(clip) :].any()
    fixed = audio_dataset_from_directory(
        tmp_path, batch_size=3, shuffle=False, verbose=False, output_sequence_length=4
    )
    assert next(iter(fixed))[0].shape == (3, 4, 2)
    with pytest.raises(ValueError, match="8000 Hz"):
        list(audio_dataset_from_directory(tmp_path, sampling_rate=16000, verbose=False))
    with pytest.raises(ValueError, match="ragged"):
        audio_dataset_from_directory(tmp_path, ragged=True)
    assert os.path.basename(ds.file_paths[0]) == "0.wav"
