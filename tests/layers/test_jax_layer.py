"""JaxLayer: a JAX function as a layer, against Keras's JaxLayer (on its JAX backend).

Keras 3.15.1's JaxLayer needs TensorFlow to run an ``init_fn`` (it checks
``tf.inside_function()``), so ``init_fn`` is checked against the function itself, and
the comparisons with Keras start from given ``params`` / ``state``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kerax

keras = pytest.importorskip("keras")

X = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
Y = np.random.default_rng(2).normal(size=(6, 2)).astype(np.float32)


def _params(k=None):
    rng = np.random.default_rng(0)
    params = {"w": rng.normal(size=(3, 2)).astype(np.float32), "b": np.ones(2, np.float32)}
    return {**params, "k": 3 if k is None else k}  # a Python number becomes a weight


def counted(params, state, inputs, training):
    """Affine map; counts its training calls in the state."""
    out = jnp.tanh(inputs @ params["w"] + params["b"] * params["k"])
    return out, {"n": state["n"] + (1.0 if training else 0.0)}


def _model(lib, k=None):
    if lib is keras:  # Keras numbers auto-named weights per session: start them afresh
        keras.backend.clear_session()
    params = _params(k)
    layer = lib.layers.JaxLayer(counted, params=params, state={"n": np.zeros((), np.float32)})
    x = lib.Input((3,))
    model = lib.Model(x, layer(x))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model, layer


def _signature(layer):
    return [(w.name, tuple(w.shape), str(w.dtype), w.trainable) for w in layer.weights]


def test_weights_and_outputs_match_keras():
    (km, kl), (model, layer) = _model(keras), _model(kerax)
    assert _signature(layer) == _signature(kl)  # the int 3 is an int32 weight in both
    np.testing.assert_allclose(model.predict(X, verbose=0), km.predict(X, verbose=0), rtol=1e-5)


def test_fit_matches_keras():
    (km, _), (model, layer) = _model(keras, k=0.5), _model(kerax, k=0.5)
    km.fit(X, Y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    model.fit(X, Y, batch_size=3, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), km.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert float(layer.state["n"].numpy()) == 4.0  # four training steps
    assert isinstance(layer.params["w"], kerax.Variable)


def test_stateless_call_matches_keras():
    (_, kl), (_, layer) = _model(keras), _model(kerax)
    k_out, k_state = kl.stateless_call(
        [v.value for v in kl.trainable_variables],
        [v.value for v in kl.non_trainable_variables],
        X,
        training=True,
    )
    out, state = layer.stateless_call(
        [jnp.asarray(v.numpy()) for v in layer.trainable_variables],
        [jnp.asarray(v.numpy()) for v in layer.non_trainable_variables],
        X,
        training=True,
    )
    np.testing.assert_allclose(out, k_out, rtol=1e-5)
    np.testing.assert_allclose(state, k_state)
    assert float(layer.state["n"].numpy()) == 0.0


def test_init_fn_rng_and_training():
    seen = {}

    def init_fn(rng, inputs, training):
        seen["init"] = (inputs.shape, training)
        # a leaf that is no array or number is configuration, passed as it is
        return {"w": jax.random.normal(rng, (inputs.shape[-1], 2)), "mode": "mask"}

    def call_fn(params, rng, inputs, training):
        seen["call"] = (rng is None, training, params["mode"])
        out = inputs @ params["w"]
        if training:
            out = out * jax.random.bernoulli(rng, 0.5, out.shape)
        return out

    layer = kerax.layers.JaxLayer(call_fn, init_fn)
    x = kerax.Input((3,))
    model = kerax.Model(x, layer(x))
    assert seen["init"] == ((1, 3), True)
    w = np.asarray(layer.params["w"].numpy())
    np.testing.assert_allclose(model.predict(X, verbose=0), X @ w, rtol=1e-5, atol=1e-6)
    assert seen["call"] == (True, False, "mask")
    out = np.asarray(layer(X, training=True))
    assert seen["call"] == (False, True, "mask")
    assert len(layer.weights) == 1
    assert np.all((out == 0) | np.isclose(out, X @ w, rtol=1e-5, atol=1e-6))


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_weights_file_round_trip(tmp_path):
    model, _ = _model(kerax, k=0.5)
    model.fit(X, Y, epochs=1, verbose=0)
    path = str(tmp_path / "jax.weights.h5")
    model.save_weights(path)
    fresh, _ = _model(kerax, k=0.5)
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    km, _ = _model(keras, k=0.5)  # the same file, by path, in Keras
    km.load_weights(path)
    for a, b in zip(km.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras_file_needs_the_functions(tmp_path):
    def init_fn(inputs):
        return {"w": jnp.ones((inputs.shape[-1], 2))}

    def call_fn(params, inputs):
        return inputs @ params["w"]

    kerax.saving.register_keras_serializable("jax_layer_test")(init_fn)
    kerax.saving.register_keras_serializable("jax_layer_test")(call_fn)
    x = kerax.Input((3,))
    model = kerax.Model(x, kerax.layers.JaxLayer(call_fn, init_fn)(x))
    model.set_weights([np.full((3, 2), 2.0, np.float32)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kerax.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), X @ np.full((3, 2), 2.0), rtol=1e-5)

    with pytest.warns(UserWarning, match="lambda"):
        layer = kerax.layers.JaxLayer(lambda params, inputs: inputs @ params["w"], init_fn)
        kerax.Model(x, layer(x)).save(path)
    with pytest.raises(ValueError, match="(?i)safe_mode|unsafe"):
        kerax.saving.load_model(path)


def test_bad_arguments_are_named():
    def ok(params, inputs):
        return inputs

    with pytest.raises(ValueError, match="unsupported argument `x` in `call_fn`"):
        kerax.layers.JaxLayer(lambda x, inputs: x)
    with pytest.raises(ValueError, match="`call_fn` must take an `inputs`"):
        kerax.layers.JaxLayer(lambda params: params)
    with pytest.raises(ValueError, match="cannot all be None"):
        kerax.layers.JaxLayer(ok)
    with pytest.raises(ValueError, match="native_serialization_platforms"):
        kerax.layers.JaxLayer(ok, params=np.ones(2), native_serialization_platforms=["cpu"])
