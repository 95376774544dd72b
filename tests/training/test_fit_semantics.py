"""What ``fit`` / ``evaluate`` / ``predict`` return, checked against NumPy and the model."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.layers import Concatenate, Dense, Input


def _data(n: int = 70, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)[:, None]
    return x, y


def _binary_model(optimizer: str = "adam", metrics=("accuracy",)):
    x = Input((4,), name="x")
    out = Dense(1, activation="sigmoid", name="out")(Dense(8, activation="relu", name="h")(x))
    model = kerax.Model(x, out)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=list(metrics))
    return model


def _np_bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def test_fit_learns_and_history_has_one_entry_per_epoch():
    model = _binary_model(optimizer=kerax.optimizers.Adam(0.05))
    x, y = _data()
    history = model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    assert history is model.history
    assert history.epoch == list(range(6))
    assert set(history.history) == {"loss", "accuracy"}
    assert all(len(v) == 6 for v in history.history.values())
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert history.history["accuracy"][-1] > 0.8
    # initial_epoch continues the count.
    more = model.fit(x, y, batch_size=32, epochs=8, initial_epoch=6, verbose=0)
    assert more.epoch == [6, 7]


def test_whole_fit_traces_once_with_a_partial_last_batch():
    model = _binary_model()
    x, y = _data(70)  # 70 = 2 * 32 + 6
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    assert model.train_step_traces == 1
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, shuffle=False)
    assert model.train_step_traces == 1


def test_evaluate_returns_loss_and_metrics_in_metrics_names_order():
    model = _binary_model(metrics=("accuracy", "mae"))
    x, y = _data(70)
    p = np.asarray(model(x))
    expected = {
        "loss": _np_bce(y, p),
        "accuracy": float(np.mean((p > 0.5) == (y > 0.5))),
        "mae": float(np.mean(np.abs(y - p))),
    }
    values = model.evaluate(x, y, batch_size=32, verbose=0)
    assert model.metrics_names == ["loss", "accuracy", "mae"]
    np.testing.assert_allclose(values, [expected[k] for k in model.metrics_names], rtol=1e-5)
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "mae"]  # Keras 3 sorts the logs' keys
    np.testing.assert_allclose([logs[k] for k in model.metrics_names], values, rtol=1e-6)
    # Without metrics, evaluate gives the loss alone, as a float.
    plain = _binary_model(metrics=())
    plain.set_weights(model.get_weights())
    loss = plain.evaluate(x, y, batch_size=32, verbose=0)
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, expected["loss"], rtol=1e-5)


@pytest.mark.parametrize("n", [1, 31, 32, 33, 70])
def test_predict_returns_exactly_n_rows_equal_to_calling_the_model(n):
    model = _binary_model()
    x, _ = _data(n)
    out = model.predict(x, batch_size=32, verbose=0)
    assert isinstance(out, np.ndarray)
    assert out.shape == (n, 1)
    np.testing.assert_allclose(out, np.asarray(model(x)), rtol=1e-6, atol=1e-7)


def test_predict_multi_input_multi_output():
    a, b = Input((4,), name="a"), Input((2,), name="b")
    h = Dense(5, activation="relu")(Concatenate()([a, b]))
    model = kerax.Model([a, b], [Dense(1, name="p")(h), Dense(3, name="q")(h)])
    rng = np.random.default_rng(1)
    xa = rng.normal(size=(45, 4)).astype(np.float32)
    xb = rng.normal(size=(45, 2)).astype(np.float32)
    p, q = model.predict({"a": xa, "b": xb}, batch_size=16, verbose=0)
    ep, eq = model([xa, xb])
    assert p.shape == (45, 1) and q.shape == (45, 3)
    np.testing.assert_allclose(p, np.asarray(ep), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(q, np.asarray(eq), rtol=1e-6, atol=1e-7)


def test_validation_split_holds_out_the_tail():
    model = _binary_model()
    x, y = _data(70)
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.history.values())
    # The last epoch's val_ values are evaluate() on the last 20% with the final weights.
    val = model.evaluate(x[56:], y[56:], verbose=0, return_dict=True)
    np.testing.assert_allclose(history.history["val_loss"][-1], val["loss"], rtol=1e-5)
    np.testing.assert_allclose(history.history["val_accuracy"][-1], val["accuracy"], rtol=1e-6)


def test_validation_split_trains_on_the_head_only():
    """Training with validation_split=0.2 is training on the first 80% of the data."""
    x, y = _data(50)
    a, b = _binary_model("sgd"), _binary_model("sgd")
    b.set_weights(a.get_weights())
    a.fit(x, y, batch_size=8, epochs=2, validation_split=0.2, shuffle=False, verbose=0)
    b.fit(x[:40], y[:40], batch_size=8, epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)


def test_validation_data_adds_val_logs():
    model = _binary_model()
    x, y = _data(70)
    vx, vy = _data(30, seed=3)
    sw = np.linspace(0.5, 1.5, 30).astype(np.float32)
    history = model.fit(x, y, batch_size=32, epochs=2, validation_data=(vx, vy, sw), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    val = model.evaluate(vx, vy, sample_weight=sw, verbose=0, return_dict=True)
    np.testing.assert_allclose(history.history["val_loss"][-1], val["loss"], rtol=1e-5)
    assert model.train_step_traces == 1


def test_multi_output_fit_with_lists_and_dicts_agree():
    def build():
        a, b = Input((4,), name="title"), Input((2,), name="body")
        h = Dense(5, activation="relu", name="h")(Concatenate(name="c")([a, b]))
        p = Dense(1, activation="sigmoid", name="priority")(h)
        d = Dense(3, activation="softmax", name="department")(h)
        return kerax.Model([a, b], [p, d])

    rng = np.random.default_rng(2)
    xa = rng.normal(size=(40, 4)).astype(np.float32)
    xb = rng.normal(size=(40, 2)).astype(np.float32)
    yp = (rng.random((40, 1)) > 0.5).astype(np.float32)
    yd = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 40)]
    m1, m2 = build(), build()
    m2.set_weights(m1.get_weights())
    m1.compile(
        optimizer="rmsprop",
        loss=["binary_crossentropy", "categorical_crossentropy"],
        loss_weights=[1.0, 0.2],
        metrics=["accuracy"],
    )
    m2.compile(
        optimizer="rmsprop",
        loss={"department": "categorical_crossentropy", "priority": "binary_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.2},
        metrics={"priority": "accuracy", "department": "accuracy"},
    )
    h1 = m1.fit([xa, xb], [yp, yd], batch_size=16, epochs=2, shuffle=False, verbose=0).history
    h2 = m2.fit(
        {"body": xb, "title": xa},
        {"department": yd, "priority": yp},
        batch_size=16,
        epochs=2,
        shuffle=False,
        verbose=0,
    ).history
    names = ["loss", "priority_loss", "department_loss", "priority_accuracy", "department_accuracy"]
    assert m1.metrics_names == m2.metrics_names == names
    assert list(h1) == list(h2) == sorted(names)  # Keras 3's History: keys sorted
    for key in names:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-6, err_msg=key)
    np.testing.assert_allclose(
        h1["loss"], np.array(h1["priority_loss"]) + 0.2 * np.array(h1["department_loss"]), rtol=1e-5
    )


def test_sample_weight_zero_rows_do_not_train():
    """Rows with weight 0 contribute no gradient: training equals training without them."""
    x, y = _data(40)
    a, b = _binary_model("sgd"), _binary_model("sgd")
    b.set_weights(a.get_weights())
    sw = np.ones(40, np.float32)
    sw[20:] = 0.0
    b.compile(optimizer="sgd", loss=kerax.losses.BinaryCrossentropy(reduction="sum"))
    a.compile(optimizer="sgd", loss=kerax.losses.BinaryCrossentropy(reduction="sum"))
    a.fit(x, y, sample_weight=sw, batch_size=40, epochs=1, shuffle=False, verbose=0)
    b.fit(x[:20], y[:20], batch_size=40, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_class_weights_to_sample_weights():
    from kerax.training.data import class_weights_to_sample_weights

    np.testing.assert_array_equal(
        class_weights_to_sample_weights(np.array([0, 2, 1]), {2: 3.0, 0: 0.5}), [0.5, 3.0, 1.0]
    )
    one_hot = np.eye(3, dtype=np.float32)[[1, 1, 0]]
    np.testing.assert_array_equal(class_weights_to_sample_weights(one_hot, {1: 2.0}), [2, 2, 1])
    # A process with no rows of its own gets no weights (not an error).
    assert class_weights_to_sample_weights(np.zeros((0,), np.int32), {1: 2.0}).shape == (0,)


def test_outputs_of_one_layer_share_a_log_name_in_every_path():
    """An LSTM returning its states gives three outputs named after one layer, so their
    losses share one log name; the packed results of fit and train_on_batch still line
    up with the names (a regression: they were one value per distinct name)."""
    x = Input(shape=(3, 2))
    out, h, c = kerax.layers.LSTM(4, return_state=True)(x)
    model = kerax.Model(x, [out, h, c])
    model.compile(optimizer=kerax.optimizers.SGD(0.0), loss="mse")
    data = np.random.default_rng(0).normal(size=(8, 3, 2)).astype(np.float32)
    ys = [np.ones((8, 4), np.float32)] * 3
    want = model.evaluate(data, ys, batch_size=4, verbose=0, return_dict=True)
    history = model.fit(data, ys, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert set(history.history) == set(want) == {"loss", "lstm_loss"}
    for key, value in want.items():
        np.testing.assert_allclose(history.history[key][0], value, rtol=1e-5)
    logs = model.train_on_batch(data[:4], [y[:4] for y in ys], return_dict=True)
    assert set(logs) == {"loss", "lstm_loss"}
