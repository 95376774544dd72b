"""Degenerate data and arguments get a clear ValueError naming the argument (or Keras's
sensible answer), never a made-up loss or a NumPy / JAX error, and the model is left as
it was. (Keras 3 raises StopIteration, UnboundLocalError or RuntimeError for most.)"""

from __future__ import annotations

import numpy as np
import pytest

import kerax

X = np.ones((10, 3), "float32")
Y = np.ones((10, 2), "float32")


@pytest.fixture(scope="module")
def model():
    inputs = kerax.Input((3,))
    m = kerax.Model(inputs, kerax.layers.Dense(2)(inputs))
    m.compile("sgd", "mse")
    return m


CASES = {
    "fit_no_rows": (lambda m: m.fit(X[:0], Y[:0], verbose=0), "0 rows"),
    "evaluate_no_rows": (lambda m: m.evaluate(X[:0], Y[:0], verbose=0), "0 rows"),
    "batch_size_zero": (lambda m: m.fit(X, Y, batch_size=0, verbose=0), "batch_size"),
    "batch_size_negative": (lambda m: m.evaluate(X, Y, batch_size=-1, verbose=0), "batch_size"),
    "batch_size_float": (lambda m: m.fit(X, Y, batch_size=2.5, verbose=0), "batch_size"),
    "batch_size_bool": (lambda m: m.predict(X, batch_size=True, verbose=0), "batch_size"),
    "validation_batch_size": (
        lambda m: m.fit(X, Y, validation_split=0.5, validation_batch_size=0, verbose=0),
        "validation_batch_size",
    ),
    "split_leaves_no_training": (
        lambda m: m.fit(X, Y, validation_split=0.99, verbose=0),
        "no training examples",
    ),
    "split_out_of_range": (
        lambda m: m.fit(X, Y, validation_split=1.5, verbose=0),
        "validation_split",
    ),
    "nested_lists_with_none": (
        lambda m: m.fit([[1.0, 2.0, None]] * 10, Y, verbose=0),
        "None at row 0",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_degenerate_input_is_refused_by_name(model, name):
    call, message = CASES[name]
    weights = model.get_weights()
    with pytest.raises(ValueError, match=message):
        call(model)
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_predict_on_no_rows_returns_empty_outputs(model):
    out = model.predict(X[:0], verbose=0)
    assert out.shape == (0, 2) and out.dtype == np.float32


def test_zero_epochs_trains_nothing(model):
    weights = model.get_weights()
    history = model.fit(X, Y, epochs=0, verbose=0)
    assert history.history == {}
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
