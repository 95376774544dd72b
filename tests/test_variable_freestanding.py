"""``kerax.Variable`` with Keras's constructor: free-standing variables, and variables
assigned to a custom layer's attributes becoming its weights, against real Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")


def _initial(lib):
    return [
        (np.arange(6, dtype="float32").reshape(2, 3), {}),
        ("zeros", {"shape": (2, 3)}),
        (lib.initializers.Ones(), {"shape": (4,), "dtype": "int32"}),
        (lambda shape, dtype=None: np.full(shape, 2.5, "float32"), {"shape": (3,)}),
        (np.ones(2), {"name": "w", "trainable": False}),
        (True, {}),
    ]


def test_free_standing_variables_match_keras():
    got = []
    for lib in (keras, kerax):
        lib.utils.clear_session()
        rows = []
        for init, kw in _initial(lib):
            v = lib.Variable(init, **kw)
            rows.append((v.name, v.path, tuple(v.shape), v.dtype, v.ndim, v.trainable))
            rows.append(np.asarray(v.numpy()).tolist())
        v = lib.Variable(np.ones((2, 2), "float32"))
        v.assign(np.full((2, 2), 3.0))
        v.assign_add(np.ones((2, 2)))
        v.assign_sub(0.5)
        rows.append(np.asarray(v.numpy()).tolist())
        rows.append(np.asarray(v * 2 + 1 - v / 2 @ np.eye(2)).tolist())
        rows.append(np.asarray(v[0] ** 2).tolist())
        flags, scalar = lib.Variable(np.array([True, False])), lib.Variable(2.6)
        rows.append(np.asarray((~flags) | (flags ^ True) & flags).tolist())
        rows.append((float(scalar), int(scalar), float(round(scalar)), float(abs(-scalar))))
        rows.append(np.asarray((2 // scalar, 7 % scalar, 2**scalar, scalar >= 2.6)).tolist())
        got.append(rows)
    assert got[1] == got[0]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [(("zeros",), {}), ((0.0,), {"name": "a/b"}), ((0.0,), {"aggregation": "max"})],
)
def test_bad_arguments_raise_as_in_keras(args, kwargs):
    with pytest.raises(ValueError):
        keras.Variable(*args, **kwargs)
    with pytest.raises(ValueError):
        kerax.Variable(*args, **kwargs)


def test_unsupported_arguments_are_refused_by_name():
    with pytest.raises(NotImplementedError, match="layout"):
        kerax.Variable(0.0, layout=object())
    with pytest.raises(TypeError, match="bogus"):
        kerax.Variable(0.0, bogus=1)
    with pytest.raises(ValueError, match="shape"):
        kerax.Variable(np.ones(3), shape=(2,))


def _model(lib):
    class Scaled(lib.layers.Layer):
        """A frozen offset made in ``__init__``, a kernel made in ``build`` (both as
        ``Variable`` attributes), a bias from ``add_weight`` and two scales in a list."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.offset = lib.Variable(np.full((2,), 0.5, "float32"), trainable=False, name="off")
            self.scales = [lib.Variable(1.5, name="s0"), lib.Variable(0.5, name="s1")]

        def build(self, input_shape):
            self.kernel = lib.Variable("glorot_uniform", shape=(input_shape[-1], 2), name="k")
            self.bias = self.add_weight(shape=(2,), initializer="zeros", name="b")

        def call(self, x):
            y = lib.ops.matmul(x, self.kernel) * self.scales[0] + self.bias
            return y * self.scales[1] + self.offset

    inputs = lib.Input((3,))
    outputs = lib.layers.Dense(2, name="head")(Scaled(name="scaled")(inputs))
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.fixture(scope="module")
def models():
    kerax.set_random_seed(0)
    ref, ours = _model(keras), _model(kerax)
    ours.set_weights(ref.get_weights())
    return ref, ours


def test_attribute_variables_are_weights_in_keras_order(models):
    ref, ours = models

    def describe(m):
        return [(w.name, tuple(w.shape), w.trainable) for w in m.weights]

    assert describe(ours) == describe(ref)
    assert [w.name for w in ours.trainable_weights] == [w.name for w in ref.trainable_weights]
    assert [w.name for w in ours.layers[1].non_trainable_weights] == ["off"]


@pytest.mark.filterwarnings("ignore:Skipping variable loading")
def test_attribute_variables_train_as_in_keras(models, tmp_path):
    ref, ours = models
    h_ref = ref.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_ref.history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    scaled = ours.get_layer("scaled")
    assert not np.allclose(scaled.kernel.numpy(), scaled.kernel.numpy() * 0 + 1)
    assert float(scaled.scales[0].numpy()) != 1.5  # trained, through the list

    # Saved by kerax, read by Keras (the same layout as add_weight's).
    path = str(tmp_path / "m.weights.h5")
    kerax.saving.save_weights(ours, path)
    fresh = _model(keras)
    keras.saving.load_weights(fresh, path)
    for a, b in zip(fresh.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize("trainable", [True, False])
def test_untracked_variable_is_refused_in_call(trainable):
    class Holder:
        pass

    class Hidden(kerax.layers.Layer):
        def build(self, input_shape):
            self.holder = Holder()
            self.holder.v = kerax.Variable("ones", shape=(input_shape[-1],), trainable=trainable)

        def call(self, x):
            return x * self.holder.v

    with pytest.raises(Exception, match="no layer tracks it"):
        Hidden()(kerax.Input((3,)))


def test_variable_adopted_after_values_exist_keeps_its_value():
    layer = kerax.layers.Dense(2)
    layer.build((None, 3))
    kernel = layer.kernel.numpy()
    layer.extra = kerax.Variable(np.arange(3.0), name="extra")
    assert [w.name for w in layer.weights] == ["kernel", "bias", "extra"]
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    np.testing.assert_array_equal(layer.extra.numpy(), np.arange(3.0))
    assert layer.extra.path == f"{layer.name}/extra"
    with pytest.raises(ValueError, match="already has a weight named 'extra'"):
        layer.again = kerax.Variable(0.0, name="extra")


def test_variable_of_a_subclassed_model_trains_as_in_keras():
    got = []
    for lib in (keras, kerax):

        class Scaled(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = lib.layers.Dense(2, kernel_initializer="ones")  # noqa: B023
                self.scale = lib.Variable(np.full((2,), 2.0, "float32"), name="scale")  # noqa: B023

            def call(self, x):
                return self.dense(x) * self.scale

        model = Scaled()
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        got.append(([(w.name, tuple(w.shape)) for w in model.weights], model.get_weights()))
    assert got[1][0] == got[0][0]
    for a, b in zip(got[1][1], got[0][1], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
