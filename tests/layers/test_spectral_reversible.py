"""SpectralNormalization and ReversibleEmbedding against Keras 3: training calls and
their updates, a short fit, reverse projections, masks, configs and argument errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 3)).astype("float32")
Y = RNG.normal(size=(6, 4)).astype("float32")


def _twins(power_iterations=2):
    ref = keras.layers.SpectralNormalization(keras.layers.Dense(4), power_iterations)
    ours = kerax.layers.SpectralNormalization(kerax.layers.Dense(4), power_iterations)
    ref(X)
    ours(X)
    ours.set_weights(ref.get_weights())
    return ref, ours


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def test_spectral_training_calls_update_like_keras():
    ref, ours = _twins()
    _close(ours(X), ref(X))  # inference: the stored kernel, no update
    for _ in range(2):
        _close(ours(X, training=True), ref(X, training=True))
    # vector_u and the written-back kernel follow Keras's.
    for got, want in zip(ours.get_weights(), ref.get_weights(), strict=True):
        _close(got, want)
    w = ours.layer.kernel.numpy()
    assert np.linalg.svd(w, compute_uv=False)[0] == pytest.approx(1.0, abs=0.05)
    _close(ours(X), ref(X))


def test_spectral_fit_matches_keras():
    ref, ours = _twins(power_iterations=1)
    models = []
    for lib, layer in ((keras, ref), (kerax, ours)):
        inp = lib.Input((3,))
        model = lib.Model(inp, layer(inp))
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        models.append(model)
    h_ref = models[0].fit(X, Y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    h_ours = models[1].fit(X, Y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    _close(h_ours.history["loss"], h_ref.history["loss"], 1e-4)
    for got, want in zip(models[1].get_weights(), models[0].get_weights(), strict=True):
        _close(got, want, 1e-4)


def test_spectral_zero_kernel_is_left_alone_and_config_round_trips():
    layer = kerax.layers.SpectralNormalization(
        kerax.layers.Dense(2, kernel_initializer="zeros"), power_iterations=3
    )
    u0 = None
    layer(X)
    u0 = layer.vector_u.numpy()
    out = layer(X, training=True)
    assert np.all(np.isfinite(np.asarray(out)))
    np.testing.assert_array_equal(layer.vector_u.numpy(), u0)
    config = layer.get_config()
    assert config["power_iterations"] == 3
    again = kerax.layers.SpectralNormalization.from_config(config)
    assert again.power_iterations == 3 and type(again.layer) is kerax.layers.Dense
    theirs = keras.layers.SpectralNormalization.from_config(config)
    assert theirs.power_iterations == 3


def test_spectral_bad_arguments_are_named():
    with pytest.raises(ValueError, match="power_iterations"):
        kerax.layers.SpectralNormalization(kerax.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="'kernel' nor an 'embeddings'"):
        kerax.layers.SpectralNormalization(kerax.layers.LayerNormalization())(X)


# ------------------------------------------------------------------ ReversibleEmbedding

IDS = np.array([[1, 0, 3, 4], [6, 2, 0, 0]])
H = RNG.normal(size=(2, 4, 5)).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"tie_weights": False, "logit_soft_cap": 2.0}, {"reverse_dtype": "float16"}],
)
def test_reverse_projection_matches_keras(kwargs):
    ref = keras.layers.ReversibleEmbedding(7, 5, name="emb", **kwargs)
    ours = kerax.layers.ReversibleEmbedding(7, 5, name="emb", **kwargs)
    ref(IDS)
    ours(IDS)
    ours.set_weights([w * 10 for w in ref.get_weights()])
    ref.set_weights(ours.get_weights())
    _close(ours(IDS), ref(IDS))
    got, want = ours(H, reverse=True), ref(H, reverse=True)
    assert str(got.dtype) == str(want.dtype)
    _close(got, want, 1e-2 if "reverse_dtype" in kwargs else 1e-5)
    assert ours.get_config() == {
        k: v for k, v in ref.get_config().items() if k not in ("dtype", "quantization_config")
    } | {"dtype": ours.get_config()["dtype"]}


def test_language_model_head_in_a_graph_matches_keras_with_masks():
    def build(lib):
        ids = lib.Input((4,), dtype="int32")
        emb = lib.layers.ReversibleEmbedding(7, 5, mask_zero=True, name="emb")
        h = lib.layers.LSTM(5, return_sequences=True, name="rnn")(emb(ids))
        logits = emb(h, reverse=True)
        return lib.Model(ids, [logits, lib.layers.GlobalAveragePooling1D()(logits)])

    # The forward call's mask skips the padding in the LSTM; the reverse call emits no
    # mask, so the pooling averages over every step.
    ref, ours = build(keras), build(kerax)
    ours.set_weights(ref.get_weights())
    for got, want in zip(ours.predict(IDS, verbose=0), ref.predict(IDS, verbose=0)):
        _close(got, want)


def test_reverse_call_checks_its_input():
    layer = kerax.layers.ReversibleEmbedding(7, 5)
    layer(IDS)
    with pytest.raises(ValueError, match="output_dim=5"):
        layer(np.zeros((2, 3), "float32"), reverse=True)


def test_keras_file_round_trip_through_kerax_and_keras(tmp_path):
    ids = kerax.Input((4,), dtype="int32")
    emb = kerax.layers.ReversibleEmbedding(7, 5, tie_weights=False, logit_soft_cap=3.0)
    h = kerax.layers.SpectralNormalization(kerax.layers.Dense(5), power_iterations=2)(emb(ids))
    pooled = kerax.layers.AdaptiveAveragePooling1D(2)(emb(h, reverse=True))
    model = kerax.Model(ids, pooled)
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    expected = model.predict(IDS, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    back = kerax.saving.load_model(path)
    _close(back.predict(IDS, verbose=0), expected)
    theirs = keras.saving.load_model(path)
    _close(theirs.predict(IDS, verbose=0), expected)
