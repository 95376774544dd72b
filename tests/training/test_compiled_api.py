"""Keras's accessors of a compile: metrics, get_metrics_result, reset_metrics,
get_compile_config / compile_from_config, jit_compile, run_eagerly."""

from __future__ import annotations

import numpy as np
import pytest

import kerax

keras = pytest.importorskip("keras")


def _pair():
    kx = keras.Input(shape=(3,))
    km = keras.Model(kx, keras.layers.Dense(2)(kx))
    x = kerax.Input(shape=(3,))
    model = kerax.Model(x, kerax.layers.Dense(2)(x))
    model.set_weights(km.get_weights())
    for m in (km, model):
        m.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return km, model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(12, 3)).astype(np.float32), rng.normal(size=(12, 2)).astype(np.float32)


def test_get_metrics_result_follows_keras_after_evaluate_and_fit():
    km, model = _pair()
    x, y = _data()
    km.evaluate(x, y, verbose=0)
    model.evaluate(x, y, verbose=0)
    want = km.get_metrics_result()
    got = model.get_metrics_result()
    assert set(got) == set(want) == {"loss", "mae"}
    for k in want:
        np.testing.assert_allclose(got[k], float(want[k]), rtol=1e-5)
    km.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    want, got = km.get_metrics_result(), model.get_metrics_result()
    for k in want:
        np.testing.assert_allclose(got[k], float(want[k]), rtol=1e-5)
    assert got["loss"] == history.history["loss"][-1]
    model.reset_metrics()
    assert model.get_metrics_result() == {"loss": 0.0, "mae": 0.0}


def test_metrics_are_the_compiled_metric_objects():
    _, model = _pair()
    names = [m.name for m in model.metrics]
    assert names == model.metrics_names == ["loss", "mae"]
    assert all(isinstance(m, kerax.metrics.Metric) for m in model.metrics)


def test_compile_config_round_trip():
    _, model = _pair()
    assert model.jit_compile is True and model.run_eagerly is False
    config = model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    x = kerax.Input(shape=(3,))
    other = kerax.Model(x, kerax.layers.Dense(2)(x))
    assert other.get_compile_config() is None
    other.compile_from_config(config)
    assert other.metrics_names == model.metrics_names
    assert type(other.optimizer) is type(model.optimizer)
    assert other.optimizer.get_config() == model.optimizer.get_config()
