"""Losses against Keras 3 (the oracle): values, reductions, sample weights, configs."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import kerax

RTOL = ATOL = 1e-6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]
B, C = 8, 5


def _rng(seed=0):
    return np.random.default_rng(seed)


def _probs(rng, shape):
    x = rng.random(shape).astype("float32") + 0.05
    return x / x.sum(-1, keepdims=True)


def _one_hot(rng, n=B, c=C):
    return np.eye(c, dtype="float32")[rng.integers(0, c, n)]


def _cases():
    """(class name, kwargs, y_true, y_pred) for every loss, on random inputs."""
    rng = _rng(1)
    reg_true = rng.normal(size=(B, 3)).astype("float32")
    reg_pred = rng.normal(size=(B, 3)).astype("float32")
    pos_true = rng.random((B, 3)).astype("float32") * 3
    pos_pred = rng.random((B, 3)).astype("float32") * 3 + 0.1
    bin_true = rng.integers(0, 2, (B, 3)).astype("float32")
    bin_prob = rng.random((B, 3)).astype("float32")
    logits = rng.normal(size=(B, C)).astype("float32") * 2
    labels = rng.integers(0, C, B)
    return [
        ("MeanSquaredError", {}, reg_true, reg_pred),
        ("MeanAbsoluteError", {}, reg_true, reg_pred),
        ("MeanAbsolutePercentageError", {}, reg_true, reg_pred),
        ("MeanSquaredLogarithmicError", {}, pos_true, pos_pred),
        ("Huber", {}, reg_true, reg_pred * 2),
        ("Huber", {"delta": 0.3}, reg_true, reg_pred * 2),
        ("LogCosh", {}, reg_true, reg_pred),
        ("CosineSimilarity", {}, reg_true, reg_pred),
        ("CosineSimilarity", {"axis": 0}, reg_true, reg_pred),
        ("KLDivergence", {}, _probs(rng, (B, C)), _probs(rng, (B, C))),
        ("Poisson", {}, pos_true, pos_pred),
        ("Hinge", {}, bin_true, reg_pred),
        ("Hinge", {}, 2 * bin_true - 1, reg_pred),
        ("SquaredHinge", {}, bin_true, reg_pred),
        ("CategoricalHinge", {}, _one_hot(rng), logits),
        ("BinaryCrossentropy", {}, bin_true, bin_prob),
        ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, bin_true, reg_pred),
        ("BinaryFocalCrossentropy", {}, bin_true, bin_prob),
        (
            "BinaryFocalCrossentropy",
            {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": True},
            bin_true,
            reg_pred,
        ),
        ("BinaryFocalCrossentropy", {"label_smoothing": 0.2}, bin_true, bin_prob),
        ("CategoricalCrossentropy", {}, _one_hot(rng), _probs(rng, (B, C))),
        (
            "CategoricalCrossentropy",
            {"from_logits": True, "label_smoothing": 0.2},
            _one_hot(rng),
            logits,
        ),
        ("CategoricalFocalCrossentropy", {}, _one_hot(rng), _probs(rng, (B, C))),
        (
            "CategoricalFocalCrossentropy",
            {"alpha": 0.5, "gamma": 1.0, "from_logits": True, "label_smoothing": 0.1},
            _one_hot(rng),
            logits,
        ),
        ("SparseCategoricalCrossentropy", {}, labels, _probs(rng, (B, C))),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, labels[:, None], logits),
        ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2}, labels, logits),
        # Rank adjustment: (B,) labels against a (B, 1) output.
        ("MeanSquaredError", {}, reg_true[:, 0], reg_pred[:, :1]),
        ("BinaryCrossentropy", {}, bin_true[:, 0], bin_prob[:, :1]),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", range(len(CASES)))
def test_loss_matches_keras(case):
    name, kwargs, y_true, y_pred = CASES[case]
    weights = _rng(2).random(B).astype("float32")
    for reduction in REDUCTIONS:
        ours = getattr(kerax.losses, name)(reduction=reduction, **kwargs)
        theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        # Per-example weights only fit losses that keep the batch axis.
        per_example = kwargs.get("axis", -1) != 0
        for sw in (None, weights, weights[:, None]) if per_example else (None,):
            got = np.asarray(ours(y_true, y_pred, sample_weight=sw))
            want = np.asarray(theirs(y_true, y_pred, sample_weight=sw))
            np.testing.assert_allclose(
                got, want, rtol=RTOL, atol=ATOL, err_msg=f"{name} {kwargs} {reduction} {sw}"
            )


FUNCTIONS = [
    ("mean_squared_error", {}),
    ("mean_absolute_error", {}),
    ("mean_absolute_percentage_error", {}),
    ("mean_squared_logarithmic_error", {}),
    ("huber", {"delta": 0.5}),
    ("log_cosh", {}),
    ("cosine_similarity", {"axis": -1}),
    ("kl_divergence", {}),
    ("poisson", {}),
    ("hinge", {}),
    ("squared_hinge", {}),
    ("categorical_hinge", {}),
    ("binary_crossentropy", {"from_logits": True}),
    ("binary_focal_crossentropy", {"gamma": 3.0}),
    ("categorical_crossentropy", {"label_smoothing": 0.1}),
    ("categorical_focal_crossentropy", {}),
]


@pytest.mark.parametrize("fn,kwargs", FUNCTIONS)
def test_function_forms_match_keras(fn, kwargs):
    rng = _rng(3)
    y_true = _probs(rng, (B, C))
    y_pred = _probs(rng, (B, C))
    got = getattr(kerax.losses, fn)(y_true, y_pred, **kwargs)
    want = getattr(keras.losses, fn)(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL)


def test_sparse_function_form_with_ignore_class():
    rng = _rng(4)
    labels = rng.integers(0, C, B)
    logits = rng.normal(size=(B, C)).astype("float32")
    got = kerax.losses.sparse_categorical_crossentropy(labels, logits, True, ignore_class=1)
    want = keras.losses.sparse_categorical_crossentropy(labels, logits, True, ignore_class=1)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL)


def test_aliases_resolve_to_keras_formulas():
    rng = _rng(5)
    y_true = rng.random((B, 3)).astype("float32") + 0.1
    y_pred = rng.random((B, 3)).astype("float32") + 0.1
    pairs = {
        "mse": "mse",
        "mae": "mae",
        "mape": "mape",
        "msle": "msle",
        "kld": "kld",
        "huber": "huber",
        "log_cosh": "log_cosh",
        "logcosh": "log_cosh",
        "poisson": "poisson",
        "bce": "bce",
        "cosine_similarity": "cosine_similarity",
        "kl_divergence": "kl_divergence",
        "MeanSquaredError": "MeanSquaredError",
    }
    for ours, theirs in pairs.items():
        loss = kerax.losses.get(ours)
        assert isinstance(loss, kerax.losses.Loss)
        ref = keras.losses.get(theirs)
        np.testing.assert_allclose(
            np.asarray(loss(y_true, y_pred)),
            np.asarray(keras.ops.mean(ref(y_true, y_pred))),
            rtol=RTOL,
            atol=ATOL,
            err_msg=ours,
        )
    assert kerax.losses.get("mse").name == "mse"
    assert kerax.losses.get("Huber").name == "huber_loss"


def test_callable_and_instances_are_accepted():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred) ** 2

    loss = kerax.losses.get(my_loss)
    assert loss.name == "my_loss"
    np.testing.assert_allclose(float(loss(np.ones(4), np.zeros(4))), 1.0)
    inst = kerax.losses.Huber(delta=2.0)
    assert kerax.losses.get(inst) is inst
    assert isinstance(kerax.losses.get(kerax.losses.Poisson), kerax.losses.Poisson)


def test_unknown_names_list_close_matches():
    with pytest.raises(ValueError, match="mean_squared_error"):
        kerax.losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="binary_crossentropy"):
        kerax.losses.get("binary_crossentropi")
    with pytest.raises(ValueError, match="Unknown loss"):
        kerax.losses.get("zzz")
    with pytest.raises(ValueError, match="reduction"):
        kerax.losses.MeanSquaredError(reduction="average")


def test_configs_round_trip():
    losses = [
        kerax.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, name="b"),
        kerax.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.0),
        kerax.losses.CategoricalCrossentropy(label_smoothing=0.2, reduction="sum"),
        kerax.losses.CategoricalFocalCrossentropy(alpha=0.1, from_logits=True),
        kerax.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        kerax.losses.Huber(delta=0.5, reduction="none"),
        kerax.losses.CosineSimilarity(axis=0),
        kerax.losses.MeanSquaredError(reduction="mean"),
        kerax.losses.LogCosh(),
        kerax.losses.KLDivergence(),
    ]
    rng = _rng(6)
    y_true = _one_hot(rng)
    y_pred = _probs(rng, (B, C))
    for loss in losses:
        config = loss.get_config()
        clone = type(loss).from_config(config)
        assert clone.get_config() == config
        again = kerax.losses.deserialize(kerax.losses.serialize(loss))
        assert again.get_config() == config
        labels = np.argmax(y_true, -1) if "Sparse" in type(loss).__name__ else y_true
        np.testing.assert_allclose(
            np.asarray(clone(labels, y_pred)), np.asarray(loss(labels, y_pred)), rtol=0, atol=0
        )
    # Keras's configs (a subset of ours for these) build our classes.
    for name in ("BinaryCrossentropy", "CategoricalCrossentropy", "Huber", "MeanAbsoluteError"):
        config = getattr(keras.losses, name)(reduction="sum").get_config()
        config.pop("dtype", None)
        assert getattr(kerax.losses, name).from_config(config).reduction == "sum"


def test_positional_arguments_follow_keras():
    assert kerax.losses.MeanSquaredError("sum").reduction == "sum"
    bce = kerax.losses.BinaryCrossentropy(True, 0.1)
    assert bce.fn_kwargs["from_logits"] is True and bce.fn_kwargs["label_smoothing"] == 0.1
    assert kerax.losses.Huber(2.0).fn_kwargs["delta"] == 2.0


def test_call_is_jittable():
    loss = kerax.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)
    rng = _rng(7)
    labels = rng.integers(0, C, B)
    logits = rng.normal(size=(B, C)).astype("float32")
    sw = rng.random(B).astype("float32")
    got = jax.jit(loss.__call__)(labels, logits, sw)
    want = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)(
        labels, logits, sample_weight=sw
    )
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- compile's "crossentropy"
def _crossentropy_case(kind: str):
    """(output units, activation, targets) for one of the three shape cases."""
    rng = _rng(7)
    if kind == "binary":  # one unit: binary crossentropy
        return 1, "sigmoid", rng.integers(0, 2, (B, 1)).astype("float32")
    if kind == "sparse":  # integer labels without a class axis: sparse categorical
        return C, "softmax", rng.integers(0, C, (B,)).astype("int32")
    if kind == "sparse_column":  # labels with a unit last axis against C units: sparse
        return C, "softmax", rng.integers(0, C, (B, 1)).astype("int32")
    return C, "softmax", _one_hot(rng)  # one-hot targets: categorical


@pytest.mark.parametrize(
    "kind, name",
    [
        ("binary", "crossentropy"),
        ("sparse", "ce"),
        ("categorical", "CrossEntropy"),
        ("sparse_column", "CE"),
    ],
)
def test_crossentropy_name_picks_keras_loss_from_the_shapes(kind, name):
    from keras.src.trainers.compile_utils import get_loss as keras_get_loss

    from kerax.training.compile_utils import ShapeCrossentropy

    units, activation, y = _crossentropy_case(kind)

    def build(lib):
        x = lib.Input(shape=(4,))
        return lib.Model(x, lib.layers.Dense(units, activation=activation)(x))

    ours, theirs = build(kerax), build(keras)
    rng = _rng(3)
    weights = [rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = rng.normal(size=(B, 4)).astype("float32")

    # The same choice as Keras's: compare the chosen loss function's name.
    pred = theirs.predict(x, verbose=0)
    theirs_choice = keras_get_loss(name, y, pred).fn.__name__
    ours_choice = ShapeCrossentropy(name).chosen(y, pred)
    assert ours_choice.name == name
    expected = {
        "binary": "binary_crossentropy",
        "sparse": "sparse_categorical_crossentropy",
        "sparse_column": "sparse_categorical_crossentropy",
        "categorical": "categorical_crossentropy",
    }
    assert theirs_choice == expected[kind]
    assert type(ours_choice).__name__.lower() == theirs_choice.replace("_", "")

    ours.compile(optimizer="sgd", loss=name)
    theirs.compile(optimizer="sgd", loss=name)
    assert ours.evaluate(x, y, verbose=0) == pytest.approx(theirs.evaluate(x, y, verbose=0), 1e-5)
    ours.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_crossentropy_is_a_compile_name_only():
    """As in Keras, ``losses.get`` does not know it; ``compile`` does."""
    with pytest.raises(ValueError, match="Unknown loss"):
        kerax.losses.get("crossentropy")
    x = kerax.Input(shape=(3,))
    model = kerax.Model(x, kerax.layers.Dense(2, activation="softmax")(x))
    model.compile(optimizer="sgd", loss="crossentropy", metrics=["accuracy"])
    history = model.fit(np.ones((4, 3), "float32"), np.array([0, 1, 1, 0]), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert type(model._metrics.entries[1][2]).__name__ == "SparseCategoricalAccuracy"


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_over_an_axis_of_one_matches_keras_and_its_gradient(from_logits):
    # The VAE examples' ``binary_crossentropy(x[..., None], x_hat[..., None])``: kerax
    # computes it on the squeezed arrays (XLA is slow on a trailing axis of 1).

    rng = np.random.default_rng(3)
    y = (rng.random((4, 5, 1)) > 0.5).astype("float32")
    p = rng.random((4, 5, 1)).astype("float32") * 0.98 + 0.01
    ours = kerax.losses.binary_crossentropy(y, p, from_logits=from_logits)
    theirs = keras.losses.binary_crossentropy(y, p, from_logits=from_logits)
    assert ours.shape == (4, 5)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6, atol=1e-7)

    def total(q):
        return kerax.losses.binary_crossentropy(y, q, from_logits=from_logits).sum()

    def by_hand(q):  # the mean over the axis of one, written out
        return (
            jax.numpy.mean(
                kerax.losses.binary_crossentropy(y[..., 0], q[..., 0], from_logits=from_logits)
            )
            * 20
        )

    np.testing.assert_allclose(jax.grad(total)(p), jax.grad(by_hand)(p), rtol=1e-6)
