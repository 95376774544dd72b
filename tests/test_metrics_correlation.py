"""PearsonCorrelation and ConcordanceCorrelation against Keras 3: streaming over
batches with sample weights, the pure state API, the functions, configs and names."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

NAMES = ["PearsonCorrelation", "ConcordanceCorrelation"]


def _batches():
    rng = np.random.default_rng(7)
    out = []
    for n in (5, 3):
        y_true = rng.normal(size=(n, 4)).astype("float32")
        y_pred = (y_true * 0.6 + rng.normal(size=(n, 4)) * 0.5 + 0.3).astype("float32")
        out.append((y_true, y_pred, rng.random(n).astype("float32")))
    return out


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}])
def test_streaming_over_two_batches_matches_keras(name, kwargs):
    ours = getattr(kerax.metrics, name)(**kwargs)
    ref = getattr(keras.metrics, name)(**kwargs)
    # Per-example weights only fit the per-example coefficients (axis=-1).
    for weighted in (False, True) if not kwargs else (False,):
        ours.reset_state()
        ref.reset_state()
        for y_true, y_pred, sw in _batches():
            ours.update_state(y_true, y_pred, sample_weight=sw if weighted else None)
            ref.update_state(y_true, y_pred, sample_weight=sw if weighted else None)
        np.testing.assert_allclose(float(ours.result()), float(ref.result()), rtol=1e-5)
    # The pure API gives the same numbers from an explicit state.
    state = ours.init()
    for y_true, y_pred, sw in _batches():
        state = ours.update(state, y_true, y_pred, None if kwargs else sw)
    np.testing.assert_allclose(float(ours.result(state)), float(ref.result()), rtol=1e-5)
    assert ours.get_config() == ref.get_config()
    again = kerax.metrics.deserialize(kerax.metrics.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()


@pytest.mark.parametrize("fn", ["pearson_correlation", "concordance_correlation"])
def test_functions_match_keras(fn):
    y_true, y_pred, _ = _batches()[0]
    for axis in (-1, 0):
        np.testing.assert_allclose(
            np.asarray(getattr(kerax.metrics, fn)(y_true, y_pred, axis=axis)),
            np.asarray(getattr(keras.metrics, fn)(y_true, y_pred, axis=axis)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_resolved_by_name_and_in_compile():
    for name in NAMES:
        cls = getattr(kerax.metrics, name)
        assert type(kerax.metrics.get(name)) is cls
    assert type(kerax.metrics.get("pearson_correlation")) is kerax.metrics.PearsonCorrelation
    y_true, y_pred, _ = _batches()[0]
    inp = kerax.Input((4,))
    model = kerax.Model(inp, kerax.layers.Dense(4, kernel_initializer="identity")(inp))
    model.compile(loss="mse", metrics=["pearson_correlation", "concordance_correlation"])
    logs = model.evaluate(y_pred, y_true, return_dict=True, verbose=0)
    ref = keras.metrics.PearsonCorrelation()
    ref.update_state(y_true, y_pred)
    np.testing.assert_allclose(logs["pearson_correlation"], float(ref.result()), rtol=1e-5)
    ref = keras.metrics.ConcordanceCorrelation()
    ref.update_state(y_true, y_pred)
    np.testing.assert_allclose(logs["concordance_correlation"], float(ref.result()), rtol=1e-5)
