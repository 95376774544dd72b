"""kerax.ops.image ops against keras.ops.image on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest

from kerax import ops
from tests.ops._parity import check

_rng = np.random.default_rng(4)
IMGS = _rng.uniform(size=(2, 6, 7, 3)).astype(np.float32)
IMG = IMGS[0]
IMGS_CF = np.moveaxis(IMGS, -1, 1).copy()
VOLS = _rng.uniform(size=(2, 4, 6, 5, 2)).astype(np.float32)
SHIFT = np.array([1.0, 0.0, 1.5, 0.0, 1.0, -0.5, 0.0, 0.0], np.float32)
ROTATE = np.array([0.9, -0.3, 1.0, 0.3, 0.9, -0.5, 0.0, 0.0], np.float32)
START = np.array([[0, 0], [6, 0], [6, 5], [0, 5]], np.float32)
END = np.array([[1, 0], [6, 1], [5, 5], [0, 4]], np.float32)

CASES = [
    ("resize", (IMGS, (4, 9)), {"interpolation": "nearest"}),
    ("resize", (IMG, (8, 5)), {"crop_to_aspect_ratio": True}),
    ("resize", (IMGS, (8, 5)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("resize", (IMGS, (3, 9)), {"pad_to_aspect_ratio": True}),
    ("resize", (IMGS_CF, (4, 4)), {"antialias": True, "data_format": "channels_first"}),
    ("affine_transform", (IMGS, np.stack([SHIFT, SHIFT])), {}),
    ("affine_transform", (IMGS, np.stack([SHIFT, ROTATE])), {"interpolation": "nearest"}),
    ("affine_transform", (IMG, ROTATE), {"fill_mode": "reflect"}),
    (
        "affine_transform",
        (IMGS_CF, np.stack([ROTATE, SHIFT])),
        {"fill_mode": "wrap", "data_format": "channels_first"},
    ),
    ("affine_transform", (IMGS, np.stack([ROTATE] * 2)), {"fill_value": 0.3}),
    ("perspective_transform", (IMGS, np.stack([START] * 2), np.stack([END, START])), {}),
    ("perspective_transform", (IMG, START, END), {"interpolation": "nearest", "fill_value": 1.0}),
    (
        "map_coordinates",
        (IMG[..., 0], np.stack(np.meshgrid(np.linspace(-1, 6, 4), np.linspace(0, 7, 5)))),
        {"order": 1, "fill_mode": "nearest"},
    ),
    ("pad_images", (IMGS, 1, 2), {"target_height": 9, "target_width": 10}),
    (
        "pad_images",
        (IMG,),
        {"bottom_padding": 2, "right_padding": 1, "top_padding": 0, "left_padding": 3},
    ),
    ("pad_images", (IMGS_CF, 1, 0, 2, 3), {"data_format": "channels_first"}),
    ("crop_images", (IMGS, 1, 2), {"target_height": 3, "target_width": 4}),
    (
        "crop_images",
        (IMG,),
        {"bottom_cropping": 2, "right_cropping": 1, "top_cropping": 1, "left_cropping": 0},
    ),
    ("crop_images", (IMGS_CF, 1, 0, 2, 3), {"data_format": "channels_first"}),
    ("extract_patches", (IMGS, 2), {}),
    ("extract_patches", (IMG, (3, 2)), {"strides": 1, "padding": "same"}),
    ("extract_patches", (IMGS, (2, 2)), {"strides": 1, "dilation_rate": 2}),
    ("extract_patches", (IMGS_CF, (2, 3)), {"data_format": "channels_first"}),
    ("extract_patches", (VOLS, (2, 3, 2)), {}),
    ("extract_patches_3d", (VOLS[0], 2), {"strides": (1, 2, 2)}),
    ("rgb_to_grayscale", (IMGS,), {}),
    ("rgb_to_grayscale", (IMGS_CF,), {"data_format": "channels_first"}),
    ("rgb_to_grayscale", ((IMGS * 255).astype(np.uint8),), {}),
    ("rgb_to_hsv", (IMGS,), {}),
    (
        "rgb_to_hsv",
        (np.array([[[0.2, 0.2, 0.2], [1, 0, 0], [0, 1, 0], [0, 0, 1]]], np.float32),),
        {},
    ),
    ("hsv_to_rgb", (IMGS,), {}),
    ("hsv_to_rgb", (IMGS_CF,), {"data_format": "channels_first"}),
    ("gaussian_blur", (IMGS, (3, 5), (1.0, 2.0)), {"data_format": "channels_last"}),
    ("gaussian_blur", (IMGS_CF,), {"data_format": "channels_first"}),
    ("sobel_edges", (IMGS,), {}),
    ("sobel_edges", (IMGS_CF,), {"data_format": "channels_first"}),
    ("ssim", (IMGS, np.clip(IMGS + 0.1 * IMGS[::-1], 0, 1)), {"filter_size": 3}),
    ("ssim", (IMG, IMG * 0.8), {"filter_size": 5, "max_val": 2.0}),
    (
        "scale_and_translate",
        (IMGS, (2, 9, 5, 3), np.array([1.5, 0.7]), np.array([0.5, -1.0]), (1, 2), "bilinear"),
        {},
    ),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_image_ops_match_keras(name, args, kwargs):
    check(name, *args, namespace="image", rtol=1e-4, atol=1e-4, **kwargs)


def test_image_op_errors():
    with pytest.raises(ValueError, match="exactly two"):
        ops.image.pad_images(IMGS, 1, 2, 3)
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.affine_transform(IMGS, SHIFT, interpolation="bicubic")
    with pytest.raises(ValueError, match="rank"):
        ops.image.resize(IMGS[None], (2, 2))


def test_one_transform_applies_to_the_whole_batch():
    one = ops.image.affine_transform(IMGS, ROTATE)
    each = ops.image.affine_transform(IMGS, np.stack([ROTATE] * 2))
    np.testing.assert_allclose(np.asarray(one), np.asarray(each))
    one = ops.image.perspective_transform(IMGS, START, END)
    each = ops.image.perspective_transform(IMGS, np.stack([START] * 2), np.stack([END] * 2))
    np.testing.assert_allclose(np.asarray(one), np.asarray(each))


def test_affine_transform_projective_terms():
    # With c0, c1 != 0 the transform divides by k = c0 x + c1 y + 1 (Keras's documented
    # semantics): a pure projective stretch of a constant image stays constant inside.
    flat = np.ones((1, 6, 7, 1), np.float32)
    out = ops.image.affine_transform(flat, [1, 0, 0, 0, 1, 0, 0.01, 0.0], fill_mode="nearest")
    np.testing.assert_allclose(np.asarray(out), flat, atol=1e-6)
