"""STFTSpectrogram, MelSpectrogram and the STFT initializer against Keras (on JAX), on
random audio."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest

import kerax

L = kerax.layers
TOL = {"rtol": 1e-4, "atol": 1e-4}
RNG = np.random.default_rng(0)
STEREO = RNG.normal(size=(2, 40, 2)).astype("float32")
MONO = RNG.normal(size=(2, 200)).astype("float32")


def _config(layer) -> dict:
    """The layer's own arguments (kerax writes the dtype policy by name)."""
    return {k: v for k, v in layer.get_config().items() if k not in ("dtype", "name")}


@pytest.mark.parametrize(
    "side,window,scaling,periodic",
    [
        ("real", "hann", "density", False),
        ("imag", "hamming", "spectrum", True),
        ("real", "blackman", None, False),
        ("imag", "bartlett", "density", True),
        ("real", None, "density", False),
        ("imag", "boxcar", "spectrum", False),
    ],
)
def test_stft_initializer_matches_keras(side, window, scaling, periodic):
    got = kerax.initializers.STFT(side, window, scaling, periodic)((12, 1, 9))
    expected = keras.initializers.STFT(side, window, scaling, periodic)((12, 1, 9))
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-6, atol=1e-6)


def test_stft_initializer_names_config_and_errors():
    assert kerax.initializers.STFTInitializer is kerax.initializers.STFT
    assert kerax.initializers.stft is kerax.initializers.STFT
    init = kerax.initializers.get({"class_name": "STFT", "config": {"side": "imag"}})
    assert isinstance(init, kerax.initializers.STFT) and init.side == "imag"
    assert isinstance(kerax.initializers.get("stft"), kerax.initializers.STFT)
    values = np.hanning(8)
    custom = kerax.initializers.STFT("real", values, None)((8, 1, 5))
    reference = keras.initializers.STFT("real", values, None)((8, 1, 5))
    np.testing.assert_allclose(np.asarray(custom), np.asarray(reference), atol=1e-6)
    assert kerax.initializers.STFT(window="hamming").get_config() == (
        keras.initializers.STFT(window="hamming").get_config()
    )
    with pytest.raises(ValueError, match="side"):
        kerax.initializers.STFT("both")
    with pytest.raises(ValueError, match="scaling"):
        kerax.initializers.STFT(scaling="l2")
    with pytest.raises(ValueError, match="frame_length"):
        kerax.initializers.STFT(window=np.ones(3))((8, 1, 5))


STFT_CASES = [
    {"mode": "log", "frame_length": 16, "frame_step": 8},
    {"mode": "psd", "frame_length": 12, "fft_length": 16, "padding": "same", "periodic": True},
    {"mode": "stft", "frame_length": 10, "frame_step": 3, "scaling": "spectrum"},
    {"mode": "angle", "frame_length": 8, "expand_dims": True, "window": "hamming"},
    {
        "mode": "magnitude",
        "frame_length": 8,
        "window": None,
        "expand_dims": True,
        "data_format": "channels_first",
    },
]


@pytest.mark.parametrize("kwargs", STFT_CASES, ids=lambda k: k["mode"])
def test_stft_spectrogram_matches_keras(kwargs):
    x = STEREO.transpose(0, 2, 1) if kwargs.get("data_format") == "channels_first" else STEREO
    layer, reference = L.STFTSpectrogram(**kwargs), keras.layers.STFTSpectrogram(**kwargs)
    got, expected = np.asarray(layer(x)), np.asarray(reference(x))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, **TOL)
    assert _config(layer) == _config(reference)
    symbolic = L.STFTSpectrogram(**kwargs)(kerax.Input(x.shape[1:]))
    assert tuple(symbolic.shape) == (None, *expected.shape[1:])


def test_stft_spectrogram_kernels_train_and_validate():
    x = kerax.Input((40, 2))
    spec = L.STFTSpectrogram(mode="magnitude", frame_length=8, frame_step=4)
    model = kerax.Model(x, L.Dense(1)(L.Flatten()(spec(x))))
    model.compile("sgd", "mse")
    before = np.asarray(spec.real_kernel)
    model.fit(STEREO, np.ones((2, 1), "float32"), epochs=1, verbose=0)
    assert not np.allclose(np.asarray(spec.real_kernel), before)  # the kernels are trained
    frozen = L.STFTSpectrogram(mode="real", frame_length=8, trainable=False)
    frozen(STEREO)
    assert [w.name for w in frozen.weights] == ["real_kernel"] and not frozen.trainable_weights
    with pytest.raises(ValueError, match="frame_step"):
        L.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="fft_length"):
        L.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="mode"):
        L.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="padding"):
        L.STFTSpectrogram(padding="causal")
    with pytest.raises(TypeError, match="float"):
        L.STFTSpectrogram(frame_length=8)(STEREO.astype("int32"))


MEL_CASES = [
    {
        "fft_length": 64,
        "sequence_stride": 16,
        "num_mel_bins": 10,
        "sampling_rate": 8000,
        "top_db": 10.0,
        "ref_power": 2.0,
    },
    {
        "fft_length": 64,
        "sequence_stride": 20,
        "sequence_length": 48,
        "num_mel_bins": 8,
        "sampling_rate": 8000,
        "window": "hamming",
        "power_to_db": False,
        "mag_exp": 1.0,
        "min_freq": 100.0,
        "max_freq": 3000.0,
    },
]


@functools.cache
def _keras_mel(case: int) -> np.ndarray:
    return np.asarray(keras.layers.MelSpectrogram(**MEL_CASES[case])(MONO))


def _close_in_scale(got, expected) -> None:
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(np.asarray(got) / scale, expected / scale, **TOL)


@pytest.mark.parametrize("case", [0, 1], ids=["db", "power"])
def test_mel_spectrogram_matches_keras(case):
    layer = L.MelSpectrogram(**MEL_CASES[case])
    expected = _keras_mel(case)
    got = np.asarray(layer(MONO))
    assert got.shape == expected.shape
    _close_in_scale(got, expected)
    assert _config(layer) == _config(keras.layers.MelSpectrogram(**MEL_CASES[case]))


def test_mel_spectrogram_in_a_model_and_unbatched():
    x = kerax.Input((200,))
    model = kerax.Model(x, L.MelSpectrogram(**MEL_CASES[0])(x))
    assert tuple(model.output.shape) == (None, 10, 13)
    _close_in_scale(model.predict(MONO, verbose=0), _keras_mel(0))
    # Without decibels no value depends on the batch: one signal gives its own row.
    _close_in_scale(L.MelSpectrogram(**MEL_CASES[1])(MONO[0]), _keras_mel(1)[0])
    with pytest.raises(ValueError, match="known number of samples"):
        L.MelSpectrogram(**MEL_CASES[0])(kerax.Input((None,)))
    with pytest.raises(ValueError, match="sequence_length"):
        L.MelSpectrogram(fft_length=16, sequence_length=32)
