"""Weight sharing with Keras semantics: one current value per layer."""

from __future__ import annotations

import numpy as np

import kerax
from kerax.layers import Dense, Input, concatenate


def _data(n=64, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x.sum(-1, keepdims=True) > 0).astype(np.float32)
    return x, y


def test_one_layer_called_twice_has_one_set_of_weights():
    a, b = Input(shape=(4,)), Input(shape=(4,))
    shared = Dense(3)
    out = Dense(1)(concatenate([shared(a), shared(b)]))
    model = kerax.Model([a, b], out)
    assert len(model.weights) == 4
    assert model.count_params() == (4 * 3 + 3) + (6 * 1 + 1)
    assert list(model.get_variables()["params"]) == ["dense", "dense_1"]


def test_two_equal_configs_are_two_layers():
    x = Input(shape=(4,))
    model = kerax.Model(x, Dense(3)(Dense(3)(Dense(4)(x))))
    assert len(model.get_variables()["params"]) == 3


def test_model_used_as_layer_shares_weights_both_ways():
    x = Input(shape=(4,))
    inner = kerax.Model(x, Dense(2, name="enc")(x))
    a, b = Input(shape=(4,)), Input(shape=(4,))
    outer = kerax.Model([a, b], concatenate([inner(a), inner(b)]))
    assert len(outer.weights) == 2
    data = np.ones((2, 4), np.float32)
    before = outer.predict([data, data], verbose=0)
    inner.get_layer("enc").set_weights([np.ones((4, 2)), np.zeros(2)])
    after = outer.predict([data, data], verbose=0)
    np.testing.assert_allclose(after, np.full((2, 4), 4.0))
    assert not np.allclose(before, after)


def test_training_one_model_updates_every_model_that_shares_its_layers():
    x = Input(shape=(4,))
    hidden = Dense(8, activation="relu", name="hidden")
    head = Dense(1, activation="sigmoid", name="head")
    model = kerax.Model(x, head(hidden(x)))
    features = kerax.Model(x, hidden.output)  # a model built from an intermediate tensor
    xs, ys = _data()
    before = features.predict(xs, verbose=0)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(xs, ys, epochs=2, batch_size=16, verbose=0)
    after = features.predict(xs, verbose=0)
    assert not np.allclose(before, after)
    expected = np.maximum(xs @ hidden.kernel.numpy() + hidden.bias.numpy(), 0)
    np.testing.assert_allclose(after, expected, rtol=1e-5, atol=1e-6)
    # Both models hold the very same arrays: no copy anywhere.
    assert (
        features.get_variables()["params"]["hidden"]["kernel"]
        is (model.get_variables()["params"]["hidden"]["kernel"])
    )


def test_a_layer_inside_and_outside_a_nested_model_has_one_entry():
    x = Input(shape=(3,))
    dense = Dense(3, name="twice")
    inner = kerax.Model(x, dense(x))
    y = Input(shape=(3,))
    outer = kerax.Model(y, dense(inner(y)))
    assert list(outer.get_variables()["params"]) == ["twice"]
    kernel = np.eye(3, dtype=np.float32) * 2
    dense.set_weights([kernel, np.zeros(3)])
    out = outer.predict(np.ones((1, 3), np.float32), verbose=0)
    np.testing.assert_allclose(out, np.full((1, 3), 4.0))


def test_callback_sees_current_weights_during_fit():
    x = Input(shape=(4,))
    layer = Dense(1, activation="sigmoid")
    model = kerax.Model(x, layer(x))
    seen = []

    class Watch(kerax.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(layer.kernel.numpy().copy())

    xs, ys = _data()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    model.fit(xs, ys, epochs=3, batch_size=16, verbose=0, callbacks=[Watch()])
    assert len(seen) == 3
    assert not np.allclose(seen[0], seen[1])
    np.testing.assert_array_equal(seen[-1], layer.kernel.numpy())


def test_callback_writes_during_fit_are_not_lost():
    x = Input(shape=(4,))
    layer = Dense(1)
    model = kerax.Model(x, layer(x))

    class Reset(kerax.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                layer.set_weights([np.zeros((4, 1)), np.zeros(1)])

    xs, ys = _data()
    model.compile(optimizer=kerax.optimizers.SGD(learning_rate=0.0), loss="mse")
    model.fit(xs, ys, epochs=2, batch_size=16, verbose=0, callbacks=[Reset()])
    np.testing.assert_array_equal(layer.kernel.numpy(), np.zeros((4, 1)))
