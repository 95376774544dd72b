"""New ops on symbolic tensors: recorded as graph nodes, lowered, and equal to the
same ops on arrays."""

from __future__ import annotations

import numpy as np

import kerax
from kerax import ops
from kerax.layers import Input

_rng = np.random.default_rng(5)


def _predict(inputs, outputs, data):
    model = kerax.Model(inputs, outputs)
    return model, model.predict(data, verbose=0)


def test_math_ops_in_a_model():
    x = Input(shape=(16,))
    real, imag = ops.rfft(x)
    assert real.shape == (None, 9)
    back = ops.irfft((real, imag))
    spec_re, spec_im = ops.stft(x, 8, 4, 8)
    assert spec_re.shape == (None, 5, 5)
    restored = ops.istft((spec_re, spec_im), 8, 4, 8, length=16)
    f_re, f_im = ops.fft((x, x * 0.5))
    values, indices = ops.top_k(x, 3)
    outs = [back, restored, f_re + f_im, values, ops.cast(indices, "float32"), ops.logsumexp(x, 1)]
    data = _rng.normal(size=(3, 16)).astype(np.float32)
    _, got = _predict(x, outs, data)
    eager = ops.fft((data, data * 0.5))
    expected = [
        data,
        data,
        eager[0] + eager[1],
        ops.top_k(data, 3)[0],
        ops.top_k(data, 3)[1],
        ops.logsumexp(data, 1),
    ]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-4, atol=1e-5)


def test_nn_and_numpy_ops_in_a_model():
    kernel = _rng.normal(size=(3, 3, 4, 2)).astype(np.float32)
    x = Input(shape=(4, 6, 2))
    up = ops.conv_transpose(x, kernel, strides=2, padding="same")
    assert up.shape == (None, 8, 12, 4)
    pooled = ops.adaptive_average_pool(up, (2, 3))
    shuffled = ops.depth_to_space(ops.tile(x, (1, 1, 1, 2)), 2)
    normed = ops.layer_normalization(ops.glu(x), axis=(1, 2))
    patches = ops.rearrange(x, "b (h p) (w q) c -> b (h w) (p q c)", p=2, q=3)
    assert patches.shape == (None, 4, 12)
    parts = ops.unstack(ops.sparsemax(x), axis=-1)
    outs = [pooled, shuffled, normed, parts[0] + parts[1], ops.nanmean(x, axis=(1, 2)), patches]
    data = _rng.normal(size=(2, 4, 6, 2)).astype(np.float32)
    _, got = _predict(x, outs, data)
    eager_up = ops.conv_transpose(data, kernel, strides=2, padding="same")
    expected = [
        ops.adaptive_average_pool(eager_up, (2, 3)),
        ops.depth_to_space(np.tile(data, (1, 1, 1, 2)), 2),
        ops.layer_normalization(ops.glu(data), axis=(1, 2)),
        np.ones((2, 4, 6)),
        np.nanmean(data, axis=(1, 2)),
        ops.rearrange(data, "b (h p) (w q) c -> b (h w) (p q c)", p=2, q=3),
    ]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-4, atol=1e-5)


def test_image_ops_in_a_model_round_trip_json():
    x = Input(shape=(6, 7, 3))
    cropped = ops.image.crop_images(x, 1, 2, target_height=4, target_width=4)
    padded = ops.image.pad_images(cropped, 1, 0, target_height=6, target_width=5)
    patches = ops.image.extract_patches(padded, 2)
    hsv = ops.image.rgb_to_hsv(x)
    warped = ops.image.affine_transform(x, [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    gray = ops.image.rgb_to_grayscale(ops.image.hsv_to_rgb(hsv))
    assert patches.shape == (None, 3, 2, 12)
    data = _rng.uniform(size=(2, 6, 7, 3)).astype(np.float32)
    model, got = _predict(x, [patches, gray, warped], data)
    cropped = ops.image.crop_images(data, 1, 2, target_height=4, target_width=4)
    expected = [
        ops.image.extract_patches(
            ops.image.pad_images(cropped, 1, 0, target_height=6, target_width=5), 2
        ),
        ops.image.rgb_to_grayscale(data),
        np.pad(data[:, :, 1:], ((0, 0), (0, 0), (0, 1), (0, 0))),
    ]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-4, atol=1e-5)
    rebuilt = kerax.models.model_from_json(model.to_json())
    for g, r in zip(got, rebuilt.predict(data, verbose=0), strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-6)


def test_symbolic_fft_round_trips_json():
    x = Input(shape=(8,))
    y = ops.fft2(ops.rfft(x))
    model = kerax.Model(x, list(y))
    rebuilt = kerax.models.model_from_json(model.to_json())
    data = _rng.normal(size=(2, 8)).astype(np.float32)
    for a, b in zip(model.predict(data, verbose=0), rebuilt.predict(data, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_shape_queries_on_symbolic_tensors():
    x = Input(shape=(3, 4), dtype="int32")
    assert ops.ndim(x) == 3
    assert ops.dtype(x) == "int32"
    assert ops.is_tensor(x)
    assert ops.shape(x) == (None, 3, 4)
