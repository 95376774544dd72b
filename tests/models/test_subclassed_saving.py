"""Models written as classes saved and loaded, both ways with real Keras: ``.keras``
files through Keras's automatic config (``get_config`` / ``from_config``) and
``build_config``, and ``.weights.h5`` in Keras's attribute-path layout."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

X = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")


def residual(lib):
    @lib.saving.register_keras_serializable(package="saving_test")
    class Residual(lib.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.stem = lib.layers.Dense(8, activation="relu")
            self.blocks = [lib.layers.Dense(8), lib.layers.Dense(8)]
            self.head = lib.layers.Dense(units)

        def call(self, x, training=None):
            h = self.stem(x)
            for block in self.blocks:
                h = h + block(h)
            return self.head(h)

    return Residual


def functional_subclass(lib):
    @lib.saving.register_keras_serializable(package="saving_test")
    class Built(lib.Model):
        def __init__(self, units=2, **kwargs):
            inputs = lib.Input((5,))
            outputs = lib.layers.Dense(units, activation="tanh")(lib.layers.Dense(4)(inputs))
            super().__init__(inputs, outputs, **kwargs)

    return Built


@pytest.fixture(params=[residual, functional_subclass], ids=lambda f: f.__name__)
def pair(request):
    km, xm = request.param(keras)(), request.param(kerax)()
    km(X)
    xm(X)
    xm.set_weights(km.get_weights())
    return km, xm


def _out(model, x=X):
    return np.asarray(model(x))


def test_keras_files_both_ways(pair, tmp_path):
    km, xm = pair
    expected = _out(km)
    xm.save(tmp_path / "x.keras")
    km.save(tmp_path / "k.keras")
    np.testing.assert_allclose(
        _out(kerax.models.load_model(tmp_path / "x.keras")), expected, atol=1e-5
    )
    np.testing.assert_allclose(
        _out(keras.models.load_model(tmp_path / "x.keras")), expected, atol=1e-5
    )
    np.testing.assert_allclose(
        _out(kerax.models.load_model(tmp_path / "k.keras")), expected, atol=1e-5
    )


def test_weights_files_both_ways(pair, tmp_path):
    km, xm = pair
    expected = _out(km)
    xm.save_weights(tmp_path / "x.weights.h5")
    km.save_weights(tmp_path / "k.weights.h5")
    fresh_x = type(xm)()
    fresh_x(X)
    fresh_x.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(_out(fresh_x), expected, atol=1e-5)
    fresh_k = type(km)()
    fresh_k(X)
    fresh_k.load_weights(tmp_path / "x.weights.h5")
    np.testing.assert_allclose(_out(fresh_k), expected, atol=1e-5)


def test_config_round_trip_keeps_constructor_arguments():
    model = residual(kerax)(units=4)
    config = model.get_config()
    assert config["units"] == 4
    again = type(model).from_config(config)
    again(X)
    assert again.count_params() == (model(X), model.count_params())[1]


def test_constructor_arguments_that_are_not_plain_values_need_get_config(tmp_path):
    class Holder(kerax.Model):
        def __init__(self, layer, **kwargs):
            super().__init__(**kwargs)
            self.inner = layer

        def call(self, x):
            return self.inner(x)

    model = Holder(kerax.layers.Dense(2))
    model(X)
    with pytest.raises(NotImplementedError, match="get_config"):
        model.save(tmp_path / "h.keras")
