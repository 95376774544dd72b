"""The segmentation, sequence, metric-learning and noise-robust losses, and the
orthogonal regularizer, against Keras 3: values, reductions, sample weights, configs,
saving, and one compiled fit."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RTOL, ATOL = 1e-5, 1e-5
REDUCTIONS = ["sum_over_batch_size", "sum", "mean_with_sample_weight", None]


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _cases():
    rng = np.random.default_rng(3)
    masks = rng.integers(0, 2, (4, 3, 3, 1)).astype("float32")
    probs = rng.random((4, 3, 3, 1)).astype("float32")
    class_probs = rng.random((6, 4)).astype("float32") + 0.05
    class_probs /= class_probs.sum(-1, keepdims=True)
    ctc_labels = np.array([[1, 2, 0], [3, 3, 1], [2, 0, 0], [1, 0, 0]], "float32")
    ctc_logits = rng.normal(size=(4, 7, 5)).astype("float32")
    # Label 3 appears once: that embedding has no positive and drops out of the mean.
    circle_labels = np.array([0, 1, 0, 2, 1, 2, 3, 0], "float32")
    emb = _unit(rng.normal(size=(8, 5))).astype("float32")
    return [
        ("Dice", {}, masks, probs),
        ("Dice", {"axis": (1, 2, 3)}, masks, probs),
        ("Tversky", {}, masks, probs),
        ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2)}, masks, probs),
        ("CTC", {}, ctc_labels, ctc_logits),
        ("Circle", {}, circle_labels, emb),
        ("Circle", {"gamma": 8.0, "margin": 0.25, "remove_diagonal": False}, circle_labels, emb),
        ("CategoricalGeneralizedCrossEntropy", {}, np.array([0, 3, 1, 2, 2, 0]), class_probs),
        ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, np.arange(6) % 4, class_probs),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{sorted(c[1])}")
def test_values_reductions_and_weights_match_keras(case):
    name, kwargs, y_true, y_pred = case
    weight = np.linspace(0.2, 1.5, len(y_true)).astype("float32")
    # The reductions are shared code: the slow eager losses try the raw values and a
    # weighted mean (where Circle's mask matters).
    pairs = [(r, sw) for r in REDUCTIONS for sw in (None, weight)]
    if name in ("CTC", "Circle"):
        pairs = [(None, None), ("sum_over_batch_size", weight)]
    for reduction, sw in pairs:
        ours = getattr(kerax.losses, name)(reduction=reduction, **kwargs)
        ref = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        np.testing.assert_allclose(
            np.asarray(ours(y_true, y_pred, sample_weight=sw)),
            np.asarray(ref(y_true, y_pred, sample_weight=sw)),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"{name} {kwargs} reduction={reduction} weighted={sw is not None}",
        )


@pytest.mark.parametrize(
    "fn, kwargs, case",
    [
        ("dice", {"axis": (1, 2, 3)}, 0),
        ("tversky", {"alpha": 0.2, "beta": 0.8}, 2),
        ("ctc", {}, 4),
        ("circle", {"gamma": 10.0, "margin": 0.3}, 5),
        ("categorical_generalized_cross_entropy", {"q": 0.3}, 7),
    ],
)
def test_functions_match_keras(fn, kwargs, case):
    _, _, y_true, y_pred = CASES[case]
    np.testing.assert_allclose(
        np.asarray(getattr(kerax.losses, fn)(y_true, y_pred, **kwargs)),
        np.asarray(getattr(keras.losses, fn)(y_true, y_pred, **kwargs)),
        rtol=RTOL,
        atol=ATOL,
    )


def test_circle_reference_embeddings_match_keras():
    _, _, labels, emb = CASES[5]
    refs, ref_labels = emb[::-1].copy(), labels[::-1].copy()
    kw = {"ref_labels": ref_labels, "ref_embeddings": refs, "gamma": 20.0}
    np.testing.assert_allclose(
        np.asarray(kerax.losses.circle(labels, emb, **kw)),
        np.asarray(keras.losses.circle(labels, emb, **kw)),
        rtol=RTOL,
        atol=ATOL,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{sorted(c[1])}")
def test_config_matches_keras_and_round_trips(case):
    name, kwargs, _, _ = case
    ours = getattr(kerax.losses, name)(**kwargs)
    ref = getattr(keras.losses, name)(**kwargs)
    assert ours.get_config() == ref.get_config()
    again = kerax.losses.deserialize(kerax.losses.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()


@pytest.mark.parametrize(
    "name, cls",
    [
        ("ctc", "CTC"),
        ("circle", "Circle"),
        ("dice", "Dice"),
        ("tversky", "Tversky"),
        ("categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"),
    ],
)
def test_resolved_by_name(name, cls):
    assert type(kerax.losses.get(name)) is getattr(kerax.losses, cls)
    assert type(kerax.losses.get(cls)) is getattr(kerax.losses, cls)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="q"):
        kerax.losses.CategoricalGeneralizedCrossEntropy(q=1.0)
    with pytest.raises(ValueError, match="y_true"):
        kerax.losses.ctc(np.zeros((2, 3, 1)), np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="y_pred"):
        kerax.losses.ctc(np.zeros((2, 3)), np.zeros((2, 4)))


def test_compile_fit_with_gce_loss_and_save_reload(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.integers(0, 3, 16)
    weights = [rng.normal(size=(3, 3)).astype("float32") * 0.5, np.zeros(3, "float32")]

    def build(lib):
        inp = lib.Input((3,))
        model = lib.Model(inp, lib.layers.Dense(3, activation="softmax")(inp))
        model.set_weights(weights)
        model.compile(
            optimizer=lib.optimizers.SGD(0.5),
            loss=lib.losses.CategoricalGeneralizedCrossEntropy(q=0.7),
        )
        return model

    ours, ref = build(kerax), build(keras)
    h1 = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    h2 = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(h1, h2, rtol=1e-4, atol=1e-5)
    assert h1[1] < h1[0]
    path = str(tmp_path / "gce.keras")
    ours.save(path)
    back = kerax.saving.load_model(path)
    loss = back._loss.losses[0]
    assert type(loss) is kerax.losses.CategoricalGeneralizedCrossEntropy, loss
    assert loss.q == 0.7
    np.testing.assert_allclose(back.evaluate(x, y, verbose=0), ours.evaluate(x, y, verbose=0))
    # Keras reads the file too, and finds its own loss class with the same q.
    theirs = keras.saving.load_model(path)
    assert type(theirs.loss) is keras.losses.CategoricalGeneralizedCrossEntropy
    assert theirs.loss.q == 0.7


# ------------------------------------------------------------- OrthogonalRegularizer


@pytest.mark.parametrize("kwargs", [{}, {"factor": 0.3, "mode": "columns"}, {"factor": 2}])
def test_orthogonal_regularizer_matches_keras(kwargs):
    w = np.random.default_rng(5).normal(size=(4, 6)).astype("float32")
    ours = kerax.regularizers.OrthogonalRegularizer(**kwargs)
    ref = keras.regularizers.OrthogonalRegularizer(**kwargs)
    # A backend tensor, as a weight is: Keras's NumPy path normalizes columns wrongly.
    expected = float(ref(keras.ops.convert_to_tensor(w)))
    np.testing.assert_allclose(float(ours(w)), expected, rtol=1e-5)
    # Keras stores the factor as a float32 tensor, so its config rounds it.
    mine, theirs = ours.get_config(), ref.get_config()
    assert mine.keys() == theirs.keys() and mine["mode"] == theirs["mode"]
    assert mine["factor"] == pytest.approx(theirs["factor"], rel=1e-6)
    again = kerax.regularizers.deserialize(kerax.regularizers.serialize(ours))
    assert again.get_config() == ours.get_config()
    assert kerax.regularizers.orthogonal_regularizer is kerax.regularizers.OrthogonalRegularizer


def test_orthogonal_regularizer_rejects_bad_input():
    reg = kerax.regularizers.get("orthogonal_regularizer")
    assert isinstance(reg, kerax.regularizers.OrthogonalRegularizer)
    with pytest.raises(ValueError, match="rank-2"):
        reg(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="mode"):
        kerax.regularizers.OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match="factor"):
        kerax.regularizers.OrthogonalRegularizer(factor=-1.0)
