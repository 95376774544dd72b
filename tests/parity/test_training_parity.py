"""Training parity with Keras 3: losses, 'accuracy', optimizer steps, multi-output logs.

Each test builds the same tiny Dense model in Keras and in kerax, gives both the same
weights, and compares what training computes. Where kerax follows the Keras-2 form of
the functional-API guide (one loss string for several outputs, which Keras 3 rejects),
the expected value is assembled from separately computed ``keras.losses`` values.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

N = 12


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _single(k, units: int, activation: str | None):
    """Input(4) -> Dense(units): the same graph in Keras (k=keras) and kerax."""
    x = k.Input((4,), name="x")
    return k.Model(x, k.layers.Dense(units, activation=activation, name="out")(x))


def _pair(units: int, activation: str | None):
    ref = _single(keras, units, activation)
    mine = _single(kerax, units, activation)
    mine.set_weights(ref.get_weights())
    return ref, mine


def _x(seed: int = 0) -> np.ndarray:
    return _rng(seed).normal(size=(N, 4)).astype(np.float32)


# ---------------------------------------------------------------------------- losses
def _labels(kind: str, units: int, seed: int = 1):
    rng = _rng(seed)
    if kind == "sparse":
        return rng.integers(0, units, size=(N,)).astype(np.int32)
    if kind == "onehot":
        return np.eye(units, dtype=np.float32)[rng.integers(0, units, size=N)]
    if kind == "binary":
        return (rng.random((N, units)) > 0.5).astype(np.float32)
    return rng.normal(size=(N, units)).astype(np.float32)


LOSS_CASES = [
    # (class name, kwargs, units, activation, label kind)
    ("CategoricalCrossentropy", {}, 3, "softmax", "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True}, 3, None, "onehot"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, 3, "softmax", "onehot"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, 3, None, "onehot"),
    ("SparseCategoricalCrossentropy", {}, 3, "softmax", "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, 3, None, "sparse"),
    ("BinaryCrossentropy", {}, 1, "sigmoid", "binary"),
    ("BinaryCrossentropy", {"from_logits": True}, 1, None, "binary"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, 2, "sigmoid", "binary"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.3}, 2, None, "binary"),
    ("MeanSquaredError", {}, 2, None, "real"),
    ("MeanAbsoluteError", {}, 2, None, "real"),
]


def _case_id(case) -> str:
    name, kwargs, *_ = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", LOSS_CASES, ids=[_case_id(c) for c in LOSS_CASES])
def test_loss_values_match_keras(case):
    name, kwargs, units, activation, kind = case
    ref, mine = _pair(units, activation)
    x, y = _x(), _labels(kind, units)
    pred = np.asarray(ref(x))
    mine.compile(optimizer="sgd", loss=getattr(kerax.losses, name)(**kwargs))
    for sw in (None, _rng(2).random(N).astype(np.float32)):
        expected = float(getattr(keras.losses, name)(**kwargs)(y, pred, sample_weight=sw))
        # The loss object on its own.
        direct = float(getattr(kerax.losses, name)(**kwargs)(y, pred, sample_weight=sw))
        np.testing.assert_allclose(direct, expected, rtol=1e-6, atol=1e-6)
        # Through compile, in batches of 5 (12 = 5 + 5 + a padded 2): the mean of the
        # batch losses weighted by batch size is the loss of the whole set.
        got = mine.evaluate(x, y, sample_weight=sw, batch_size=5, verbose=0)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "name", ["categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mae"]
)
def test_loss_names_resolve_to_keras_losses(name):
    ref, mine = _pair(3, "softmax")
    x = _x()
    y = _labels("sparse" if name.startswith("sparse") else "onehot", 3)
    ref.compile(optimizer="sgd", loss=name)
    mine.compile(optimizer="sgd", loss=name)
    np.testing.assert_allclose(
        mine.evaluate(x, y, batch_size=5, verbose=0),
        ref.evaluate(x, y, batch_size=5, verbose=0),
        rtol=1e-6,
        atol=1e-6,
    )


# ---------------------------------------------------------------------------- accuracy
ACCURACY_CASES = [
    # (loss, units, activation, label kind, Keras metric class)
    ("binary_crossentropy", 1, "sigmoid", "binary", "BinaryAccuracy"),
    ("mse", 1, None, "binary", "BinaryAccuracy"),
    ("categorical_crossentropy", 3, "softmax", "onehot", "CategoricalAccuracy"),
    ("sparse_categorical_crossentropy", 3, "softmax", "sparse", "SparseCategoricalAccuracy"),
    ("sparse_categorical_crossentropy", 3, "softmax", "sparse_col", "SparseCategoricalAccuracy"),
]


@pytest.mark.parametrize("case", ACCURACY_CASES, ids=[c[0] + "-" + c[3] for c in ACCURACY_CASES])
def test_accuracy_resolves_and_computes_like_keras(case):
    loss, units, activation, kind, metric_class = case
    alias = "acc" if kind == "onehot" else "accuracy"  # both spellings resolve
    ref, mine = _pair(units, activation)
    x = _x()
    y = _labels("sparse" if kind == "sparse_col" else kind, units)
    if kind == "sparse_col":
        y = y[:, None]
    sw = _rng(3).random(N).astype(np.float32)
    for m in (ref, mine):
        m.compile(optimizer="sgd", loss=loss, metrics=[alias], weighted_metrics=[alias])
    k_logs = ref.evaluate(x, y, sample_weight=sw, batch_size=5, verbose=0, return_dict=True)
    logs = mine.evaluate(x, y, sample_weight=sw, batch_size=5, verbose=0, return_dict=True)
    assert set(logs) == set(k_logs)
    for key, value in k_logs.items():
        np.testing.assert_allclose(logs[key], value, rtol=1e-6, atol=1e-6, err_msg=key)
    # The resolved variant is the one Keras picks.
    pred = np.asarray(ref(x))
    direct = getattr(keras.metrics, metric_class)()
    direct.update_state(y, pred)
    np.testing.assert_allclose(logs[alias], float(direct.result()), rtol=1e-6)


@pytest.mark.parametrize("loss", ["renamed_sparse", "custom_fn"])
def test_accuracy_looks_at_the_labels(loss):
    """Integer labels mean sparse categorical accuracy, whatever the loss is called."""
    ref, mine = _pair(3, "softmax")
    x, y = _x(), _labels("sparse", 3)

    def make(k):
        if loss == "renamed_sparse":
            return k.losses.SparseCategoricalCrossentropy(name="scce")
        return lambda y_true, y_pred: k.ops.mean((y_pred - 0.3) ** 2, axis=-1)

    ref.compile(optimizer="sgd", loss=make(keras), metrics=["accuracy"])
    mine.compile(optimizer="sgd", loss=make(kerax), metrics=["accuracy"])
    k_logs = ref.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    logs = mine.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(logs[key], k_logs[key], rtol=1e-6, err_msg=key)
    ref_step = ref.train_on_batch(x, y, return_dict=True)
    step = mine.train_on_batch(x, y, return_dict=True)
    np.testing.assert_allclose(step["accuracy"], ref_step["accuracy"], rtol=1e-6)


def test_binary_loss_with_several_units_uses_binary_accuracy():
    """Keras-2 rule the guide relies on: a binary loss makes 'accuracy' binary accuracy,
    also for multi-label outputs (Keras 3 would fall back to categorical there)."""
    _, mine = _pair(3, "sigmoid")
    x, y = _x(), _labels("binary", 3)
    mine.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    got = mine.evaluate(x, y, verbose=0, return_dict=True)["accuracy"]
    expected = keras.metrics.BinaryAccuracy()
    expected.update_state(y, np.asarray(mine(x)))
    np.testing.assert_allclose(got, float(expected.result()), rtol=1e-6)


# ---------------------------------------------------------------------------- optimizers
OPTIMIZERS = [
    ("rmsprop", lambda k: "rmsprop"),
    ("adam", lambda k: "adam"),
    ("sgd", lambda k: "sgd"),
    ("sgd-momentum", lambda k: k.optimizers.SGD(learning_rate=0.05, momentum=0.9)),
    ("sgd-nesterov", lambda k: k.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ("rmsprop-momentum", lambda k: k.optimizers.RMSprop(momentum=0.5, centered=True)),
    ("adam-amsgrad", lambda k: k.optimizers.Adam(learning_rate=0.01, amsgrad=True)),
]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_steps_match_keras(name, make):
    ref, mine = _pair(3, "softmax")
    x, y = _x(), _labels("sparse", 3)
    ref.compile(optimizer=make(keras), loss="sparse_categorical_crossentropy")
    mine.compile(optimizer=make(kerax), loss="sparse_categorical_crossentropy")
    for i in range(3):  # checked after one step and after each further step
        sl = slice(2 * i, 2 * i + 8)
        k_loss = ref.train_on_batch(x[sl], y[sl])
        loss = mine.train_on_batch(x[sl], y[sl])
        np.testing.assert_allclose(loss, k_loss, rtol=1e-5, atol=1e-6)
        for got, want in zip(mine.get_weights(), ref.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=f"step {i}")


@pytest.mark.parametrize("name", ["rmsprop", "adam", "sgd"])
def test_fit_without_shuffle_matches_keras(name):
    ref, mine = _pair(3, "softmax")
    x, y = _x(), _labels("sparse", 3)
    for m in (ref, mine):
        m.compile(optimizer=name, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    k_hist = ref.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
    hist = mine.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0).history
    for got, want in zip(mine.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert set(hist) == set(k_hist)
    for key in k_hist:
        np.testing.assert_allclose(hist[key], k_hist[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_optimizer_defaults_are_keras_defaults():
    for name, fields in {
        "rmsprop": {"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7},
        "adam": {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        "sgd": {"learning_rate": 1e-2, "momentum": 0.0, "nesterov": False},
    }.items():
        config = kerax.optimizers.get(name).get_config()
        k_config = keras.optimizers.get(name).get_config()
        for field, value in fields.items():
            assert config[field] == pytest.approx(value), (name, field)
            assert k_config[field] == pytest.approx(value), (name, field)


# ---------------------------------------------------------------------------- multi-output
def _two_outputs(k, department: str = "sigmoid"):
    """The guide's shape: two named inputs, two named outputs (1 unit, 3 units)."""
    title = k.Input((4,), name="title")
    body = k.Input((3,), name="body")
    h = k.layers.Dense(5, activation="relu", name="h")(
        k.layers.Concatenate(name="cat")([title, body])
    )
    priority = k.layers.Dense(1, activation="sigmoid", name="priority")(h)
    department = k.layers.Dense(3, activation=department, name="department")(h)
    return k.Model([title, body], [priority, department])


def _two_output_pair(department: str = "sigmoid"):
    ref, mine = _two_outputs(keras, department), _two_outputs(kerax, department)
    mine.set_weights(ref.get_weights())
    return ref, mine


def _two_output_data(n: int = 20, onehot: bool = False):
    rng = _rng(5)
    xa = rng.normal(size=(n, 4)).astype(np.float32)
    xb = rng.normal(size=(n, 3)).astype(np.float32)
    yp = (rng.random((n, 1)) > 0.5).astype(np.float32)
    yd = (rng.random((n, 3)) > 0.5).astype(np.float32)
    if onehot:
        yd = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=n)]
    return xa, xb, yp, yd


def test_one_loss_string_for_several_outputs_is_the_weighted_sum():
    ref, mine = _two_output_pair()
    xa, xb, yp, yd = _two_output_data()
    mine.compile(optimizer="sgd", loss="binary_crossentropy", loss_weights=[1.0, 0.2])
    p, d = (np.asarray(t) for t in ref([xa, xb]))
    bce = keras.losses.BinaryCrossentropy()
    lp, ld = float(bce(yp, p)), float(bce(yd, d))
    logs = mine.evaluate([xa, xb], [yp, yd], batch_size=len(xa), verbose=0, return_dict=True)
    assert list(logs) == ["department_loss", "loss", "priority_loss"]  # sorted, as Keras 3
    np.testing.assert_allclose(logs["priority_loss"], lp, rtol=1e-6)
    np.testing.assert_allclose(logs["department_loss"], ld, rtol=1e-6)
    np.testing.assert_allclose(logs["loss"], lp + 0.2 * ld, rtol=1e-6)
    # The first train step reports the same (pre-update) values.
    step = mine.train_on_batch([xa, xb], [yp, yd], return_dict=True)
    np.testing.assert_allclose(step["loss"], lp + 0.2 * ld, rtol=1e-6)


@pytest.mark.parametrize("form", ["list", "dict"])
def test_multi_output_fit_matches_keras(form):
    ref, mine = _two_output_pair(department="softmax")
    xa, xb, yp, yd = _two_output_data(onehot=True)
    if form == "list":
        compile_args = dict(
            loss=["binary_crossentropy", "categorical_crossentropy"],
            loss_weights=[1.0, 0.2],
            metrics=[["accuracy"], ["accuracy", "mae"]],
        )
        x, y = [xa, xb], [yp, yd]
    else:
        compile_args = dict(
            loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
            loss_weights={"priority": 1.0, "department": 0.2},
            metrics={"priority": ["accuracy"], "department": ["accuracy", "mae"]},
        )
        x, y = {"title": xa, "body": xb}, {"priority": yp, "department": yd}
    ref.compile(optimizer="sgd", **compile_args)
    mine.compile(optimizer="sgd", **compile_args)
    k_hist = ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    hist = mine.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert (
        set(hist)
        == set(k_hist)
        == {
            "loss",
            "priority_loss",
            "department_loss",
            "priority_accuracy",
            "department_accuracy",
            "department_mae",
        }
    )
    for key in k_hist:
        np.testing.assert_allclose(hist[key], k_hist[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for got, want in zip(mine.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # The epoch's total is the weighted sum of the per-output losses (all batches are
    # weighted by their size in both means, so the identity holds for the epoch).
    np.testing.assert_allclose(
        hist["loss"],
        np.array(hist["priority_loss"]) + 0.2 * np.array(hist["department_loss"]),
        rtol=1e-5,
    )
    k_eval = ref.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    logs = mine.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    for key in k_eval:
        np.testing.assert_allclose(logs[key], k_eval[key], rtol=1e-5, atol=1e-6, err_msg=key)
    values = mine.evaluate(x, y, batch_size=8, verbose=0)
    assert values == pytest.approx([logs[k] for k in mine.metrics_names])
    assert mine.metrics_names[:3] == ["loss", "priority_loss", "department_loss"]
