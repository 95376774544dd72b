"""Functions and objects inside .keras files, both ways with the real keras: a Loss
object in compile, a registered activation function, a Lambda (safe_mode), MaxNorm."""

from __future__ import annotations

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerax


@keras.saving.register_keras_serializable(package="kxtest")
def scaled_tanh(x):
    return keras.ops.tanh(x) * 1.5


@kerax.saving.register_keras_serializable(package="kxtest", name="scaled_tanh")
def kx_scaled_tanh(x):
    return jnp.tanh(x) * 1.5


def build(lib, function):
    x = lib.Input(shape=(3,), name="x")
    h = lib.layers.Dense(
        4,
        activation=function,
        kernel_constraint=lib.constraints.MaxNorm(0.5),
        kernel_regularizer=lib.regularizers.L2(0.01),
        name="dense",
    )(x)
    h = lib.layers.Lambda(lambda t: t * 2.0 + 1.0, name="affine")(h)
    out = lib.layers.Dense(2, name="out")(h)
    model = lib.Model(x, out)
    model.compile(optimizer="sgd", loss=lib.losses.Huber(delta=0.5), metrics=["mae"])
    return model


X = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
Y = np.linspace(0, 1, 8, dtype="float32").reshape(4, 2)


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    model = build(keras, scaled_tanh)
    path = str(tmp_path_factory.mktemp("k") / "from_keras.keras")
    model.save(path)
    return model, path


@pytest.fixture(scope="module")
def kerax_file(tmp_path_factory):
    model = build(kerax, kx_scaled_tanh)
    model.fit(X, Y, epochs=1, verbose=0)
    path = str(tmp_path_factory.mktemp("x") / "from_kerax.keras")
    with pytest.warns(UserWarning, match="lambda"):
        model.save(path)
    return model, path


def test_keras_file_needs_safe_mode_off_for_its_lambda(keras_file):
    _, path = keras_file
    with pytest.raises(ValueError, match=r"from_keras\.keras.*'affine'.*safe_mode=False"):
        kerax.models.load_model(path)


def test_keras_file_loads_in_kerax(keras_file):
    reference, path = keras_file
    model = kerax.models.load_model(path, safe_mode=False)
    dense = model.get_layer("dense")
    assert dense.activation is kx_scaled_tanh
    assert isinstance(dense.kernel_constraint, kerax.constraints.MaxNorm)
    assert dense.kernel_constraint.max_value == 0.5
    assert isinstance(model._compile_args[0], kerax.losses.Huber)
    np.testing.assert_allclose(
        model.predict(X, verbose=0), reference.predict(X, verbose=0), atol=1e-5
    )
    # The constraint is honoured in training: every unit's incoming weights have norm <= 0.5.
    model.fit(X, Y, epochs=2, verbose=0)
    norms = np.linalg.norm(model.get_layer("dense").get_weights()[0], axis=0)
    assert np.all(norms <= 0.5 + 1e-5)


def test_kerax_file_loads_in_keras(kerax_file):
    model, path = kerax_file
    with pytest.raises(ValueError, match="safe_mode"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    dense = loaded.get_layer("dense")
    assert dense.activation is scaled_tanh
    assert isinstance(dense.kernel_constraint, keras.constraints.MaxNorm)
    assert dense.kernel_constraint.max_value == 0.5
    assert isinstance(dense.kernel_regularizer, keras.regularizers.L2)
    assert isinstance(loaded.loss, keras.losses.Huber)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-5)
    np.testing.assert_allclose(
        loaded.evaluate(X, Y, verbose=0)[0], model.evaluate(X, Y, verbose=0)[0], rtol=1e-4
    )


def test_kerax_file_round_trips_with_its_lambda_and_loss(kerax_file):
    model, path = kerax_file
    with pytest.raises(ValueError, match=r"from_kerax\.keras.*safe_mode=False"):
        kerax.models.load_model(path)
    loaded = kerax.models.load_model(path, safe_mode=False)
    assert isinstance(loaded._compile_args[0], kerax.losses.Huber)
    assert loaded._compile_args[0].get_config()["delta"] == 0.5
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    np.testing.assert_allclose(
        loaded.evaluate(X, Y, verbose=0)[0], model.evaluate(X, Y, verbose=0)[0], rtol=1e-5
    )


def test_custom_objects_function_reloads(tmp_path):
    def doubled_relu(x):
        return jnp.maximum(x, 0.0) * 2.0

    x = kerax.Input(shape=(3,))
    model = kerax.Model(x, kerax.layers.Dense(2, activation=doubled_relu)(x))
    path = str(tmp_path / "fn.keras")
    model.save(path)
    with pytest.raises(ValueError, match=r"fn\.keras.*'doubled_relu'.*custom_objects"):
        kerax.models.load_model(path)
    loaded = kerax.models.load_model(path, custom_objects={"doubled_relu": doubled_relu})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    with kerax.saving.custom_object_scope({"doubled_relu": doubled_relu}):
        scoped = kerax.models.load_model(path)
    assert scoped.layers[1].activation is doubled_relu


@keras.saving.register_keras_serializable(package="kxtest")
def gap_loss(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_true - y_pred) * 2.0, axis=-1)


@kerax.saving.register_keras_serializable(package="kxtest", name="gap_loss")
def kx_gap_loss(y_true, y_pred):
    return jnp.mean(jnp.abs(y_true - y_pred) * 2.0, axis=-1)


def test_registered_loss_function_both_ways(tmp_path):
    saved = {}
    for lib, loss in ((keras, gap_loss), (kerax, kx_gap_loss)):
        x = lib.Input(shape=(3,))
        model = lib.Model(x, lib.layers.Dense(2)(x))
        model.compile(optimizer="sgd", loss=loss)
        path = str(tmp_path / f"{lib.__name__}.keras")
        model.save(path)
        saved[lib.__name__] = (model, path)
    reference, path = saved["keras"]
    loaded = kerax.models.load_model(path)
    assert loaded._compile_args[0] is kx_gap_loss
    np.testing.assert_allclose(
        loaded.evaluate(X, Y, verbose=0), reference.evaluate(X, Y, verbose=0), rtol=1e-5
    )
    reference, path = saved["kerax"]
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.evaluate(X, Y, verbose=0), reference.evaluate(X, Y, verbose=0), rtol=1e-5
    )
    assert kerax.models.load_model(path)._compile_args[0] is kx_gap_loss


def test_lambda_functions_saved_by_kerax(tmp_path):
    def shifted(t):
        return t + 1.0

    scale = 3.0
    x = kerax.Input(shape=(3,))
    h = kerax.layers.Lambda(lambda t: jnp.tanh(t) * scale, name="closure")(x)
    model = kerax.Model(x, kerax.layers.Lambda(shifted, name="named")(h))
    path = str(tmp_path / "lambdas.keras")
    with pytest.warns(UserWarning, match="lambda"):
        model.save(path)
    with pytest.raises(ValueError, match=r"'named'.*Unknown function 'shifted'"):
        kerax.models.load_model(path, safe_mode=False)
    loaded = kerax.models.load_model(path, safe_mode=False, custom_objects={"shifted": shifted})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), np.tanh(X) * 3.0 + 1.0, rtol=1e-6)

    table = np.ones(3, "float32")
    y = kerax.layers.Lambda(lambda t: t * table, name="captures")(x)
    with pytest.warns(UserWarning), pytest.raises(TypeError, match=r"'captures'.*captures"):
        kerax.Model(x, y).save(str(tmp_path / "bad.keras"))


def test_loss_objects_per_output_both_ways(tmp_path):
    x = kerax.Input(shape=(3,))
    model = kerax.Model(
        x, {"a": kerax.layers.Dense(2, name="a")(x), "b": kerax.layers.Dense(2, name="b")(x)}
    )
    model.compile(optimizer="sgd", loss={"a": kerax.losses.Huber(delta=0.5), "b": "mse"})
    path = str(tmp_path / "two.keras")
    model.save(path)
    loaded = kerax.models.load_model(path)
    assert isinstance(loaded._compile_args[0]["a"], kerax.losses.Huber)
    targets = {"a": Y, "b": Y * 2}
    expected = model.evaluate(X, targets, verbose=0)
    np.testing.assert_allclose(loaded.evaluate(X, targets, verbose=0), expected, rtol=1e-5)
    theirs = keras.saving.load_model(path)
    assert isinstance(theirs.loss["a"], keras.losses.Huber)
    np.testing.assert_allclose(theirs.evaluate(X, targets, verbose=0), expected, rtol=1e-5)
