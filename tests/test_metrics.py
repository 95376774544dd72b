"""Metrics against Keras 3 (the oracle): several weighted updates, jit, configs, names,
and compile/evaluate parity."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest

import kerax

RTOL = ATOL = 1e-5
B, C = 16, 4
STEPS = 3


def _rng(seed=0):
    return np.random.default_rng(seed)


def _probs(rng, shape):
    x = rng.random(shape).astype("float32") + 0.01
    return x / x.sum(-1, keepdims=True)


def _batches(kind, seed):
    """STEPS batches of (y_true, y_pred) of a kind of data."""
    rng = _rng(seed)
    out = []
    for _ in range(STEPS):
        if kind == "binary":
            y_true = rng.integers(0, 2, (B, 1)).astype("float32")
            y_pred = rng.random((B, 1)).astype("float32")
            y_pred[:2] = [[0.0], [1.0]]  # bucket edges
            y_pred[2] = 0.5
        elif kind == "multilabel":
            y_true = rng.integers(0, 2, (B, C)).astype("float32")
            y_pred = rng.random((B, C)).astype("float32")
        elif kind == "logits":
            y_true = rng.integers(0, 2, (B, 1)).astype("float32")
            y_pred = rng.normal(size=(B, 1)).astype("float32") * 2
        elif kind == "onehot":
            y_true = np.eye(C, dtype="float32")[rng.integers(0, C, B)]
            y_pred = _probs(rng, (B, C))
        elif kind == "sparse":
            y_true = rng.integers(0, C, (B,))
            y_pred = _probs(rng, (B, C))
        elif kind == "sparse_col":
            y_true = rng.integers(0, C, (B, 1))
            y_pred = _probs(rng, (B, C))
        elif kind == "classes":
            y_true = rng.integers(0, C, (B,))
            y_pred = rng.integers(0, C, (B,))
        elif kind == "regression":
            y_true = rng.normal(size=(B, 3)).astype("float32")
            y_pred = (y_true + rng.normal(size=(B, 3)) * 0.5).astype("float32")
        elif kind == "positive":
            y_true = rng.random((B, 3)).astype("float32") * 2 + 0.05
            y_pred = rng.random((B, 3)).astype("float32") * 2 + 0.05
        elif kind == "exact":
            y_true = rng.integers(0, 3, (B, 1)).astype("float32")
            y_pred = rng.integers(0, 3, (B, 1)).astype("float32")
        out.append((y_true, y_pred))
    return out


def _weights(seed, integer=False):
    rng = _rng(seed + 100)
    if integer:
        return [rng.integers(0, 3, B).astype("float32") for _ in range(STEPS)]
    return [rng.random(B).astype("float32") for _ in range(STEPS)]


# (class name, kwargs, data kind, integer weights only)
CASES = [
    ("Accuracy", {}, "exact", False),
    ("BinaryAccuracy", {}, "binary", False),
    ("BinaryAccuracy", {"threshold": 0.3}, "multilabel", False),
    ("CategoricalAccuracy", {}, "onehot", False),
    ("SparseCategoricalAccuracy", {}, "sparse", False),
    ("SparseCategoricalAccuracy", {}, "sparse_col", False),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot", False),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse", False),
    ("AUC", {}, "binary", False),
    ("AUC", {"curve": "PR"}, "binary", False),
    ("AUC", {"num_thresholds": 7, "summation_method": "minoring"}, "binary", False),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, "multilabel", False),
    ("AUC", {"thresholds": [0.1, 0.35, 0.5, 0.8]}, "binary", False),
    ("AUC", {"from_logits": True}, "logits", False),
    ("AUC", {"multi_label": True, "num_labels": C}, "multilabel", False),
    ("AUC", {"multi_label": True, "num_labels": C, "curve": "PR"}, "multilabel", False),
    ("AUC", {"label_weights": [0.1, 0.5, 1.0, 2.0]}, "multilabel", False),
    ("Precision", {}, "binary", False),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, "binary", False),
    ("Precision", {"top_k": 2}, "multilabel", False),
    ("Precision", {"class_id": 1}, "multilabel", False),
    ("Recall", {}, "binary", False),
    ("Recall", {"thresholds": [0.3, 0.6]}, "multilabel", False),
    ("Recall", {"top_k": 1, "class_id": 2}, "multilabel", False),
    ("TruePositives", {}, "binary", False),
    ("FalsePositives", {"thresholds": [0.2, 0.7]}, "binary", False),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", False),
    ("PrecisionAtRecall", {"recall": 0.5}, "binary", False),
    ("F1Score", {}, "onehot", False),
    ("F1Score", {"average": "micro", "threshold": 0.3}, "multilabel", False),
    ("F1Score", {"average": "macro"}, "onehot", False),
    ("F1Score", {"average": "weighted", "threshold": 0.5}, "multilabel", False),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.4}, "multilabel", False),
    ("MeanIoU", {"num_classes": C, "ignore_class": 0}, "classes", True),
    ("MeanIoU", {"num_classes": C}, "classes", False),  # float weights truncated
    ("IoU", {"num_classes": C, "target_class_ids": [0, 2]}, "classes", True),
    ("OneHotMeanIoU", {"num_classes": C}, "onehot", True),
    ("BinaryIoU", {"threshold": 0.4}, "binary", True),
    ("MeanSquaredError", {}, "regression", False),
    ("RootMeanSquaredError", {}, "regression", False),
    ("MeanAbsoluteError", {}, "regression", False),
    ("MeanAbsolutePercentageError", {}, "regression", False),
    ("MeanSquaredLogarithmicError", {}, "positive", False),
    ("CosineSimilarity", {}, "regression", False),
    ("LogCoshError", {}, "regression", False),
    ("R2Score", {}, "regression", False),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression", False),
    ("R2Score", {"num_regressors": 2}, "regression", False),
    ("Hinge", {}, "multilabel", False),
    ("CategoricalHinge", {}, "onehot", False),
    ("KLDivergence", {}, "onehot", False),
    ("Poisson", {}, "positive", False),
    ("BinaryCrossentropy", {}, "multilabel", False),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits", False),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "onehot", False),
    ("SparseCategoricalCrossentropy", {}, "sparse", False),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse", False),
]


def _ours(name, kwargs, y_pred_shape):
    metric = getattr(kerax.metrics, name)(**kwargs)
    metric.build(None, y_pred_shape)
    return metric


@pytest.mark.parametrize("case", range(len(CASES)))
def test_metric_matches_keras(case):
    """Three updates through a jitted ``update``: the first unweighted, then weighted."""
    name, kwargs, kind, integer_weights = CASES[case]
    batches = _batches(kind, seed=case)
    weights = [None, *_weights(case, integer=integer_weights)[1:]]
    ours = _ours(name, kwargs, batches[0][1].shape)
    theirs = getattr(keras.metrics, name)(**kwargs)
    update = jax.jit(ours.update)
    state = ours.init()
    for step, ((y_true, y_pred), sw) in enumerate(zip(batches, weights)):
        state = update(state, y_true, y_pred, sw)
        theirs.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(
            np.asarray(ours.result(state)),
            np.asarray(theirs.result()),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"{name} {kwargs} step {step}",
        )


def test_mean_and_sum_match_keras():
    rng = _rng(9)
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(kerax.metrics, name)(), getattr(keras.metrics, name)()
        state = ours.init()
        for _ in range(STEPS):
            values = rng.normal(size=(B, 3)).astype("float32")
            sw = rng.random(B).astype("float32")
            state = jax.jit(ours.update_values)(state, values, sw)
            theirs.update_state(values, sample_weight=sw)
        np.testing.assert_allclose(
            float(ours.result(state)), float(theirs.result()), rtol=RTOL, atol=ATOL
        )


def test_padding_rows_with_zero_weight_change_nothing():
    """What compile does: a padded batch with its 0/1 mask equals the real rows."""
    rng = _rng(10)
    y_true = rng.integers(0, 2, (B, 1)).astype("float32")
    y_pred = rng.random((B, 1)).astype("float32")
    pad_true = np.concatenate([y_true, np.ones((5, 1), "float32")])
    pad_pred = np.concatenate([y_pred, np.full((5, 1), 0.7, "float32")])
    mask = np.concatenate([np.ones(B), np.zeros(5)]).astype("float32")
    for metric in (
        kerax.metrics.AUC(),
        kerax.metrics.Precision(),
        kerax.metrics.Recall(),
        kerax.metrics.BinaryAccuracy(),
        kerax.metrics.F1Score(threshold=0.5),
        kerax.metrics.R2Score(num_regressors=1),
        kerax.metrics.MeanIoU(2, sparse_y_pred=False),
    ):
        metric.build(None, (None, 1))
        if isinstance(metric, kerax.metrics.MeanIoU):
            yp = np.concatenate([1 - y_pred, y_pred], -1)
            pp = np.concatenate([1 - pad_pred, pad_pred], -1)
        else:
            yp, pp = y_pred, pad_pred
        real = metric.result(metric.update(metric.init(), y_true, yp, np.ones(B)))
        padded = metric.result(metric.update(metric.init(), pad_true, pp, mask))
        np.testing.assert_allclose(
            np.asarray(padded), np.asarray(real), rtol=1e-6, err_msg=metric.name
        )


def test_string_names_resolve_like_keras():
    expected = {
        "mse": kerax.metrics.MeanSquaredError,
        "mae": kerax.metrics.MeanAbsoluteError,
        "mape": kerax.metrics.MeanAbsolutePercentageError,
        "msle": kerax.metrics.MeanSquaredLogarithmicError,
        "auc": kerax.metrics.AUC,
        "precision": kerax.metrics.Precision,
        "recall": kerax.metrics.Recall,
        "top_k_categorical_accuracy": kerax.metrics.TopKCategoricalAccuracy,
        "sparse_top_k_categorical_accuracy": kerax.metrics.SparseTopKCategoricalAccuracy,
        "root_mean_squared_error": kerax.metrics.RootMeanSquaredError,
        "binary_accuracy": kerax.metrics.BinaryAccuracy,
        "f1_score": kerax.metrics.F1Score,
        "r2_score": kerax.metrics.R2Score,
        "logcosh": kerax.metrics.LogCoshError,
        "AUC": kerax.metrics.AUC,
    }
    for name, cls in expected.items():
        metric = kerax.metrics.get(name, None, (None, 3))
        assert type(metric) is cls, name
        assert metric.name == name
        if name in ("mse", "auc", "precision", "top_k_categorical_accuracy", "mape"):
            assert type(keras.metrics.get(name)).__name__ == cls.__name__
    acc = kerax.metrics.get("accuracy", None, (None, 1))
    assert type(acc) is kerax.metrics.BinaryAccuracy and acc.name == "accuracy"
    acc = kerax.metrics.get("acc", None, (None, 3), "sparse_categorical_crossentropy")
    assert type(acc) is kerax.metrics.SparseCategoricalAccuracy
    assert type(kerax.metrics.get("accuracy", None, (None, 3))) is kerax.metrics.CategoricalAccuracy


def test_default_names_are_unique_like_keras():
    assert kerax.metrics.Precision().name == "precision"
    assert kerax.metrics.Precision().name == "precision_1"
    assert kerax.metrics.AUC().name == "auc"
    assert kerax.metrics.MeanIoU(3).name == "mean_io_u"


def test_unknown_names_list_close_matches():
    with pytest.raises(ValueError, match="'precision'"):
        kerax.metrics.get("precison")
    with pytest.raises(ValueError, match="top_k_categorical_accuracy"):
        kerax.metrics.get("top_k_categorical_acuracy")
    with pytest.raises(ValueError, match="Unknown metric"):
        kerax.metrics.get("qqq")


def test_shape_dependent_metrics_need_a_build():
    with pytest.raises(ValueError, match="build"):
        kerax.metrics.F1Score().init()
    with pytest.raises(ValueError, match="num_labels"):
        kerax.metrics.AUC(multi_label=True).init()
    metric = kerax.metrics.get(kerax.metrics.R2Score(), None, (None, 3))
    assert metric.init()["sum"].shape == (3,)


CONFIG_METRICS = [
    lambda: kerax.metrics.AUC(num_thresholds=50, curve="PR", from_logits=True, name="a"),
    lambda: kerax.metrics.AUC(thresholds=[0.2, 0.4], multi_label=True, num_labels=3),
    lambda: kerax.metrics.Precision(thresholds=[0.3, 0.6], class_id=1),
    lambda: kerax.metrics.Recall(top_k=2),
    lambda: kerax.metrics.TruePositives(thresholds=0.3),
    lambda: kerax.metrics.F1Score(average="macro", threshold=0.4),
    lambda: kerax.metrics.FBetaScore(beta=0.5, average="weighted"),
    lambda: kerax.metrics.MeanIoU(num_classes=3, ignore_class=0),
    lambda: kerax.metrics.IoU(num_classes=3, target_class_ids=[1]),
    lambda: kerax.metrics.BinaryIoU(threshold=0.3),
    lambda: kerax.metrics.R2Score(class_aggregation=None, num_regressors=1),
    lambda: kerax.metrics.BinaryAccuracy(threshold=0.7),
    lambda: kerax.metrics.TopKCategoricalAccuracy(k=3),
    lambda: kerax.metrics.SparseTopKCategoricalAccuracy(k=2),
    lambda: kerax.metrics.CosineSimilarity(axis=0),
    lambda: kerax.metrics.RootMeanSquaredError(),
    lambda: kerax.metrics.Mean(name="m"),
    lambda: kerax.metrics.SensitivityAtSpecificity(0.4, num_thresholds=20),
    lambda: kerax.metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2),
]


@pytest.mark.parametrize("make", CONFIG_METRICS)
def test_configs_round_trip(make):
    metric = make()
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert kerax.metrics.deserialize(kerax.metrics.serialize(metric)).get_config() == config


def test_keras_configs_build_our_metrics():
    for metric in (
        keras.metrics.AUC(num_thresholds=30, curve="PR"),
        keras.metrics.Precision(thresholds=[0.2, 0.4]),
        keras.metrics.F1Score(average="micro"),
        keras.metrics.MeanIoU(num_classes=3),
        keras.metrics.BinaryAccuracy(threshold=0.2),
    ):
        config = metric.get_config()
        ours = getattr(kerax.metrics, type(metric).__name__).from_config(config)
        for key, value in ours.get_config().items():
            if key in config and key not in ("dtype", "name"):
                assert config[key] == value, (type(metric).__name__, key)


def _models(n_out, activation):
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    theirs = keras.Model(inputs, keras.layers.Dense(n_out, activation=activation)(hidden))
    k_in = kerax.Input((6,))
    k_hidden = kerax.layers.Dense(8, activation="relu")(k_in)
    ours = kerax.Model(k_in, kerax.layers.Dense(n_out, activation=activation)(k_hidden))
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _evaluate_both(ours, theirs, x, y, sw=None, **compile_args):
    theirs.compile(optimizer="sgd", **compile_args)
    ours.compile(optimizer="sgd", **compile_args)
    want = theirs.evaluate(x, y, batch_size=16, sample_weight=sw, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, batch_size=16, sample_weight=sw, verbose=0, return_dict=True)
    assert set(got) == set(want), (sorted(got), sorted(want))
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_compile_metrics_match_keras_evaluate_binary():
    rng = _rng(11)
    x = rng.normal(size=(50, 6)).astype("float32")  # 50 = 3 full batches + a partial one
    y = rng.integers(0, 2, (50, 1)).astype("float32")
    sw = rng.random(50).astype("float32")
    ours, theirs = _models(1, "sigmoid")
    _evaluate_both(
        ours,
        theirs,
        x,
        y,
        sw,
        loss="binary_crossentropy",
        metrics=["accuracy", "auc", "precision", "mse"],
        weighted_metrics=["recall", "auc"],
    )


def test_compile_metrics_match_keras_evaluate_categorical():
    rng = _rng(12)
    x = rng.normal(size=(45, 6)).astype("float32")
    y = rng.integers(0, C, (45,))
    ours, theirs = _models(C, "softmax")
    _evaluate_both(
        ours,
        theirs,
        x,
        y,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", "sparse_top_k_categorical_accuracy"],
    )


def test_compile_regression_metrics_match_keras_evaluate():
    rng = _rng(13)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = rng.normal(size=(40, 2)).astype("float32")
    ours, theirs = _models(2, None)
    _evaluate_both(ours, theirs, x, y, loss="huber", metrics=["mae", "mape", "msle"])
    ours, theirs = _models(2, None)
    # Instances: each framework gets its own class of the same name.
    theirs.compile(
        optimizer="sgd",
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(), keras.metrics.R2Score()],
    )
    ours.compile(
        optimizer="sgd",
        loss="mse",
        metrics=[kerax.metrics.RootMeanSquaredError(), kerax.metrics.R2Score()],
    )
    want = theirs.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = ours.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(got) == set(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)
