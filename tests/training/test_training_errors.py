"""Errors of the training API: raised early, with useful messages, and harmless.

After every error the model must still train and predict, and the failed call must
not have changed its weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.errors import NotCompiledError
from kerax.layers import Concatenate, Dense, Input


def _model():
    a, b = Input((4,), name="title"), Input((2,), name="body")
    h = Dense(5, activation="relu", name="h")(Concatenate(name="c")([a, b]))
    p = Dense(1, activation="sigmoid", name="priority")(h)
    d = Dense(3, activation="softmax", name="department")(h)
    return kerax.Model([a, b], [p, d])


def _data(n: int = 24):
    rng = np.random.default_rng(0)
    x = {
        "title": rng.normal(size=(n, 4)).astype(np.float32),
        "body": rng.normal(size=(n, 2)).astype(np.float32),
    }
    y = {
        "priority": (rng.random((n, 1)) > 0.5).astype(np.float32),
        "department": np.eye(3, dtype=np.float32)[rng.integers(0, 3, n)],
    }
    return x, y


def _compile(model, **overrides):
    args = dict(
        optimizer="adam",
        loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
        metrics={"priority": ["accuracy"]},
    )
    args.update(overrides)
    model.compile(**args)


def _still_works(model, before, y=None):
    """The failed call left the weights alone; training and prediction still work."""
    for w, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)
    x, default_y = _data()
    y = default_y if y is None else y
    if not model.compiled:
        _compile(model)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.array_equal(w, b) for w, b in zip(model.get_weights(), before))
    p, d = model.predict(x, verbose=0)
    assert p.shape == (24, 1) and d.shape == (24, 3)


@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_training_before_compile(method):
    model = _model()
    before = model.get_weights()
    x, y = _data()
    with pytest.raises(NotCompiledError, match=r"compile\(\)"):
        getattr(model, method)(x, y)
    _still_works(model, before)


@pytest.mark.parametrize(
    "kind,value,close",
    [
        ("optimizer", "adamm", "adam"),
        ("optimizer", "rmsprob", "rmsprop"),
        ("loss", "binary_crossentropi", "binary_crossentropy"),
        ("loss", "categorical_crosentropy", "categorical_crossentropy"),
        ("metrics", "accuracyy", "accuracy"),
        ("metrics", "precison", "precision"),
    ],
)
def test_unknown_names_are_rejected_at_compile(kind, value, close):
    model = _model()
    _compile(model)
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    before = model.get_weights()
    with pytest.raises(ValueError, match=repr(value)) as info:
        if kind == "metrics":
            _compile(model, metrics=[value])
        else:
            _compile(model, **{kind: value})
    assert repr(close) in str(info.value)
    # A failed compile keeps the previous configuration usable.
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert "priority_accuracy" in logs
    _still_works(model, before)


def test_mismatched_sample_counts_list_the_arrays():
    model = _model()
    _compile(model)
    x, y = _data()
    before = model.get_weights()
    bad = dict(y, department=y["department"][:20])
    with pytest.raises(ValueError) as info:
        model.fit(x, bad, batch_size=8, verbose=0)
    message = str(info.value)
    for part in ("title", "24", "department", "20"):
        assert part in message
    bad_x = dict(x, body=x["body"][:23])
    with pytest.raises(ValueError, match="body.*23"):
        model.evaluate(bad_x, y, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(x, y, sample_weight=np.ones(10, np.float32), verbose=0)
    _still_works(model, before)


def test_dict_inputs_missing_a_name():
    model = _model()
    _compile(model)
    x, y = _data()
    before = model.get_weights()
    with pytest.raises(ValueError, match="body"):
        model.fit({"title": x["title"]}, y, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="body"):
        model.predict({"title": x["title"]}, verbose=0)
    with pytest.raises(ValueError, match="priority"):
        model.fit(x, {"department": y["department"]}, batch_size=8, verbose=0)
    _still_works(model, before)


@pytest.mark.parametrize(
    "loss,labels",
    [
        ("categorical_crossentropy", lambda n: np.zeros((n,), np.int32)),
        ("categorical_crossentropy", lambda n: np.zeros((n, 4), np.float32)),
        ("sparse_categorical_crossentropy", lambda n: np.zeros((n, 3), np.float32)),
        ("mse", lambda n: np.zeros((n, 2), np.float32)),
    ],
)
def test_labels_of_the_wrong_shape_for_the_loss(loss, labels):
    model = _model()
    _compile(model, loss={"priority": "binary_crossentropy", "department": loss})
    x, y = _data()
    before = model.get_weights()
    with pytest.raises(ValueError, match="department") as info:
        model.fit(x, dict(y, department=labels(24)), batch_size=8, verbose=0)
    assert loss in str(info.value)
    with pytest.raises(ValueError, match="department"):
        model.train_on_batch(x, dict(y, department=labels(24)))
    if loss.startswith("sparse"):
        y = dict(y, department=np.argmax(y["department"], -1))
    _still_works(model, before, y)


def test_wrong_number_of_losses_or_targets():
    model = _model()
    with pytest.raises(ValueError, match="2 output"):
        model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match="depart"):
        model.compile(optimizer="sgd", loss={"depart": "mse"})
    _compile(model)
    x, y = _data()
    before = model.get_weights()
    with pytest.raises(ValueError, match="2 outputs"):
        model.fit(x, [y["priority"]] * 3, verbose=0)
    _still_works(model, before)


def test_names_are_checked_at_compile_before_the_model_is_built():
    model = kerax.Sequential([Dense(1)])
    with pytest.raises(ValueError, match="'mean_squared_eror'") as info:
        model.compile(optimizer="sgd", loss="mean_squared_eror")
    assert "'mean_squared_error'" in str(info.value)
    with pytest.raises(ValueError, match="'accurracy'"):
        model.compile(optimizer="sgd", loss="mse", metrics=["accurracy"])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.ones((6, 3), np.float32)
    model.fit(x, np.ones((6, 1), np.float32), verbose=0)
    assert model.predict(x, verbose=0).shape == (6, 1)


def test_targets_with_or_without_a_trailing_unit_axis_are_accepted():
    """(n,) labels for a (n, 1) output, and (n, 1) integer labels for sparse losses."""
    x = Input((4,))
    h = Dense(4, activation="relu")(x)
    model = kerax.Model(x, [Dense(1, activation="sigmoid")(h), Dense(3)(h)])
    model.compile(
        optimizer="sgd",
        loss=["binary_crossentropy", kerax.losses.SparseCategoricalCrossentropy(from_logits=True)],
    )
    rng = np.random.default_rng(0)
    data = rng.normal(size=(10, 4)).astype(np.float32)
    flat = (rng.random(10) > 0.5).astype(np.float32)
    labels = rng.integers(0, 3, 10).astype(np.int32)
    a = model.evaluate(data, [flat, labels], verbose=0)
    b = model.evaluate(data, [flat[:, None], labels[:, None]], verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-6)
