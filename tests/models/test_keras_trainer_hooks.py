"""Keras 3's finer trainer hooks, overridden and compared with the real package:
``compute_metrics``, ``stateless_compute_loss``, ``compute_loss_and_updates`` and the
``make_*_function`` accessors. Same initial weights -> same logs and weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from tests.models.test_keras_steps import X, Y, _compare


def _functional(lib, cls, **compile_kwargs):
    inputs = lib.Input((6,))
    outputs = lib.layers.Dense(1)(lib.layers.Dense(4, activation="tanh")(inputs))
    model = cls(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.1), **compile_kwargs)
    return model


def metrics_override_model(lib):
    """``compute_metrics`` that calls the default, then adds its own tracker's value."""

    class Extra(lib.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pred_mean = lib.metrics.Mean(name="pred_mean")

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            logs = super().compute_metrics(x, y, y_pred, sample_weight)
            self.pred_mean.update_state(y_pred)
            return {**logs, "pred_mean": self.pred_mean.result()}

    return _functional(lib, Extra, loss="mse", metrics=["mae"])


def test_compute_metrics_override_matches_keras():
    km, xm = metrics_override_model(keras), metrics_override_model(kerax)
    kh, _ = _compare(km, xm, {"epochs": 2, "batch_size": 8})
    assert "pred_mean" in kh.history
    kl = km.evaluate(X, Y, verbose=0, return_dict=True)
    xl = xm.evaluate(X, Y, verbose=0, return_dict=True)
    assert sorted(xl) == sorted(kl)
    for name in kl:
        assert xl[name] == pytest.approx(float(kl[name]), rel=1e-5), name


def stateless_loss_model(lib):
    """``stateless_compute_loss`` that scales the loss (and so the gradients)."""

    class Halved(lib.Model):
        def stateless_compute_loss(
            self, trainable_variables, non_trainable_variables, metrics_variables, x=None,
            y=None, y_pred=None, sample_weight=None, training=True,
        ):  # fmt: skip
            loss, variables = super().stateless_compute_loss(
                trainable_variables, non_trainable_variables, metrics_variables, x=x, y=y,
                y_pred=y_pred, sample_weight=sample_weight, training=training,
            )  # fmt: skip
            return 0.5 * loss, variables

    return _functional(lib, Halved, loss="mse")


def test_stateless_compute_loss_override_matches_keras():
    km, xm = stateless_loss_model(keras), stateless_loss_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8})


def loss_and_updates_model(lib):
    """``compute_loss_and_updates`` overridden to add a penalty on the outputs."""

    class Penalised(lib.Model):
        def compute_loss_and_updates(
            self, trainable_variables, non_trainable_variables, metrics_variables, x, y,
            sample_weight, training=False, optimizer_variables=None,
        ):  # fmt: skip
            loss, aux = super().compute_loss_and_updates(
                trainable_variables, non_trainable_variables, metrics_variables, x, y,
                sample_weight, training=training, optimizer_variables=optimizer_variables,
            )  # fmt: skip
            y_pred = aux[1]
            extra = 0.1 * lib.ops.mean(lib.ops.square(y_pred))
            return loss + extra, (aux[0] + extra, *aux[1:])

    return _functional(lib, Penalised, loss="mse", metrics=["mae"])


def test_compute_loss_and_updates_override_matches_keras():
    km, xm = loss_and_updates_model(keras), loss_and_updates_model(kerax)
    _compare(km, xm, {"epochs": 2, "batch_size": 8})
    assert xm.evaluate(X, Y, verbose=0) == pytest.approx(km.evaluate(X, Y, verbose=0), rel=1e-5)


def test_make_train_function_runs_the_step_as_keras():
    km, xm = loss_and_updates_model(keras), loss_and_updates_model(kerax)
    xm.set_weights(km.get_weights())
    results = []
    for model in (km, xm):
        model.optimizer.build(model.trainable_variables)
        assert model.make_train_function() is None
        fn = model.train_function
        model.make_train_function()
        assert model.train_function is fn
        state = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.optimizer.variables],
            [v.value for v in model.metrics_variables],
        )
        logs, state = fn(state, iter([(X[:8], Y[:8])]))
        results.append((logs, state[0]))
    (klogs, kw), (xlogs, xw) = results
    for name in klogs:
        assert float(xlogs[name]) == pytest.approx(float(klogs[name]), rel=1e-5)
    for a, b in zip(xw, kw, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_overriding_make_train_function_is_refused_by_name():
    class Own(kerax.Model):
        def make_train_function(self, force=False):
            return None

    model = _functional(kerax, Own, loss="mse")
    with pytest.raises(NotImplementedError, match="make_train_function"):
        model.fit(X, Y, epochs=1, verbose=0)
