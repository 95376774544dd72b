"""Models written as classes, against real Keras; and Keras's trainer hooks, each either
honoured or refused by name."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from kerax.training import hooks


def residual_model(lib):
    class Residual(lib.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.stem = lib.layers.Dense(8, activation="relu")
            self.blocks = [lib.layers.Dense(8), lib.layers.Dense(8)]
            self.heads = {"out": lib.layers.Dense(units)}
            self.norm = lib.layers.BatchNormalization()
            self.units = units

        def call(self, inputs, training=None):
            x = self.stem(inputs)
            for block in self.blocks:
                x = x + block(x)
            x = self.norm(x, training=training)
            if training:  # Python control flow on the mode, resolved when traced
                x = x * 1.0
            return self.heads["out"](x)

    return Residual


X = np.random.default_rng(0).normal(size=(12, 5)).astype("float32")
Y = np.random.default_rng(1).normal(size=(12, 3)).astype("float32")


@pytest.fixture(scope="module")
def pair():
    km = residual_model(keras)()
    xm = residual_model(kerax)()
    km(X[:2])
    xm(X[:2])
    xm.set_weights(km.get_weights())
    return km, xm


def test_weights_layers_and_outputs_match_keras(pair):
    km, xm = pair
    assert [tuple(w.shape) for w in km.weights] == [w.shape for w in xm.weights]
    assert [type(la).__name__ for la in km.layers] == [type(la).__name__ for la in xm.layers]
    assert xm.count_params() == km.count_params()
    np.testing.assert_allclose(np.asarray(xm(X)), np.asarray(km(X)), atol=1e-5)
    np.testing.assert_allclose(xm.predict(X, verbose=0), km.predict(X, verbose=0), atol=1e-5)


def test_fit_matches_keras(pair):
    km, xm = pair
    for m in (km, xm):
        m.compile(optimizer=_sgd(m), loss="mse")
    kh = km.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    xh = xm.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(xh.history["loss"], kh.history["loss"], rtol=1e-5)
    for xw, kw in zip(xm.get_weights(), km.get_weights(), strict=True):
        np.testing.assert_allclose(xw, np.asarray(kw), atol=1e-5)
    assert xm.evaluate(X, Y, verbose=0) == pytest.approx(km.evaluate(X, Y, verbose=0), rel=1e-5)


def _sgd(model):
    lib = keras if isinstance(model, keras.Model) else kerax
    return lib.optimizers.SGD(0.05)


def test_built_by_build_and_by_symbolic_call():
    m = residual_model(kerax)(units=2)
    m.build((None, 5))
    assert m.built and m.count_params() == 5 * 8 + 8 + 2 * (8 * 8 + 8) + 4 * 8 + 8 * 2 + 2
    inputs = kerax.Input((5,))
    outer = kerax.Model(inputs, kerax.layers.Dense(1)(residual_model(kerax)()(inputs)))
    assert outer.predict(X, verbose=0).shape == (12, 1)


def test_functional_model_inside_a_subclassed_one():
    inputs = kerax.Input((5,))
    inner = kerax.Model(inputs, kerax.layers.Dense(4, activation="relu")(inputs))

    class Wrapper(kerax.Model):
        def __init__(self):
            super().__init__()
            self.inner = inner
            self.head = kerax.layers.Dense(1)

        def call(self, x):
            return self.head(self.inner(x))

    m = Wrapper()
    m.compile("sgd", "mse")
    m.fit(X, Y[:, :1], epochs=1, verbose=0)
    h = np.maximum(X @ inner.get_weights()[0] + inner.get_weights()[1], 0)
    expected = h @ m.head.get_weights()[0] + m.head.get_weights()[1]
    np.testing.assert_allclose(m.predict(X, verbose=0), expected, atol=1e-5)


def test_training_flag_reaches_dropout():
    class Dropping(kerax.Model):
        def __init__(self):
            super().__init__()
            self.drop = kerax.layers.Dropout(0.5)

        def call(self, x, training=None):
            return self.drop(x, training=training)

    m = Dropping()
    ones = np.ones((4, 10), "float32")
    np.testing.assert_array_equal(np.asarray(m(ones)), ones)
    out = np.asarray(m(ones, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0} and (out == 0).any()


# Keras 3's trainer methods a subclass may override, and the entry point that uses each.
KERAS_TRAINER_HOOKS = {
    "train_step": "fit",
    "test_step": "evaluate",
    "predict_step": "predict",
    "compute_loss": "fit",
    "stateless_compute_loss": "fit",
    "compute_loss_and_updates": "fit",
    "compute_metrics": "evaluate",
    "make_train_function": "fit",
    "make_test_function": "evaluate",
    "make_predict_function": "predict",
    "metrics": "fit",
}


def test_every_keras_trainer_hook_is_honoured_or_refused():
    for name in KERAS_TRAINER_HOOKS:
        assert hasattr(keras.Model, name), name
    assert set(hooks.HONOURED).isdisjoint(hooks.UNHONOURED)
    assert set(hooks.HONOURED) | set(hooks.UNHONOURED) == set(KERAS_TRAINER_HOOKS)


@pytest.mark.parametrize("hook", sorted(hooks.UNHONOURED))
def test_unhonoured_hook_is_refused_by_name(hook):
    inputs = kerax.Input((5,))
    cls = type("Custom", (kerax.Model,), {hook: lambda self, *a, **k: 0})
    model = cls(inputs, kerax.layers.Dense(3)(inputs))
    model.compile("sgd", "mse")
    call = {
        "fit": lambda: model.fit(X, Y, verbose=0),
        "evaluate": lambda: model.evaluate(X, Y, verbose=0),
        "predict": lambda: model.predict(X, verbose=0),
    }[KERAS_TRAINER_HOOKS[hook]]
    weights = model.get_weights()
    with pytest.raises(NotImplementedError, match=f"overrides `{hook}`"):
        call()
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_layers_added_to_list_and_dict_attributes_later_are_tracked():
    counts = []
    for lib in (keras, kerax):

        class Growing(lib.Model):
            def __init__(self):
                super().__init__()
                self.stack = [lib.layers.Dense(3)]  # noqa: B023
                self.stack.append(lib.layers.Dense(2))  # noqa: B023
                self.stack += [lib.layers.Dense(2)]  # noqa: B023
                self.heads = {}
                self.heads["out"] = lib.layers.Dense(1)  # noqa: B023

            def call(self, x):
                for layer in self.stack:
                    x = layer(x)
                return self.heads["out"](x)

        model = Growing()
        model(X)
        counts.append((len(model.trainable_variables), len(model.layers)))
    assert counts[0] == counts[1] == (8, 4)
