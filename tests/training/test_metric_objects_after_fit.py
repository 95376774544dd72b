"""The compiled metric objects hold what the last ``fit`` epoch, ``evaluate`` or
``*_on_batch`` call accumulated, as in Keras: ``model.metrics[i].result()`` and the
metrics' variables agree with the logs (they read zeros before this was fixed)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
X = RNG.random((10, 3)).astype("float32")
Y = RNG.random((10, 2)).astype("float32")


def _pair():
    models = []
    for lib in (kerax, keras):
        m = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        m.compile(lib.optimizers.SGD(0.1), "mse", metrics=["mae"])
        models.append(m)
    models[0].set_weights(models[1].get_weights())
    return models


def _state(model):
    return [float(np.asarray(v.numpy())) for m in model.metrics for v in m.variables]


@pytest.mark.parametrize(
    "run",
    [
        lambda m, x, y: m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False),
        lambda m, x, y: m.fit(
            ((x[i : i + 4], y[i : i + 4]) for i in range(0, 10, 4)), epochs=1, verbose=0
        ),
        lambda m, x, y: m.evaluate(x, y, batch_size=4, verbose=0),
        lambda m, x, y: m.train_on_batch(x, y),
        lambda m, x, y: m.test_on_batch(x, y),
    ],
    ids=["fit", "fit_iterable", "evaluate", "train_on_batch", "test_on_batch"],
)
def test_metric_objects_hold_the_last_state(run):
    ours, theirs = _pair()
    run(ours, X, Y)
    run(theirs, X, Y)
    np.testing.assert_allclose(_state(ours), _state(theirs), rtol=1e-5, atol=1e-6)
    # Keras groups the compiled metrics in one ``compile_metrics`` object; kerax lists
    # them one by one. The loss tracker comes first in both.
    assert ours.metrics[0].name == theirs.metrics[0].name == "loss"
    np.testing.assert_allclose(
        float(ours.metrics[0].result()), float(theirs.metrics[0].result()), rtol=1e-5
    )
    np.testing.assert_allclose(
        float(ours.metrics[1].result()),
        float(theirs.metrics[1].result()["mae"]),
        rtol=1e-5,
    )
    ours.reset_metrics()
    assert all(v == 0.0 for v in _state(ours))


def test_a_list_of_batches_is_refused_with_what_to_pass_instead():
    model = _pair()[0]
    batches = [(X[i : i + 4], Y[i : i + 4]) for i in range(0, 10, 4)]
    with pytest.raises(ValueError, match=r"entry 0 holds arrays of different shapes.*generator"):
        model.fit(batches, epochs=1, verbose=0)
