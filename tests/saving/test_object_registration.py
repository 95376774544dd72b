"""Keras 3's saving names: registration, custom-object scopes, serialize/deserialize."""

from __future__ import annotations

import inspect

import jax.numpy as jnp
import keras
import pytest

import kerax

NAMES = (
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "serialize_keras_object",
    "deserialize_keras_object",
    "register_keras_serializable",
)


@pytest.mark.parametrize("name", NAMES)
def test_signatures_match_keras(name):
    ours = inspect.signature(getattr(kerax.saving, name))
    theirs = inspect.signature(getattr(keras.saving, name))
    assert list(ours.parameters)[: len(theirs.parameters)] == list(theirs.parameters)
    for p in theirs.parameters.values():
        assert ours.parameters[p.name].default == p.default


def test_other_signatures_match_keras():
    for ours, theirs in (
        (kerax.models.load_model, keras.models.load_model),
        (kerax.models.clone_model, keras.models.clone_model),
    ):
        assert (
            inspect.signature(ours).parameters.keys() == inspect.signature(theirs).parameters.keys()
        )
    assert kerax.utils.custom_object_scope is kerax.saving.custom_object_scope
    assert kerax.utils.CustomObjectScope is kerax.saving.CustomObjectScope
    assert callable(kerax.config.enable_unsafe_deserialization)


def _twin(lib, module):
    @lib.saving.register_keras_serializable(package="regtest")
    def halve(x):
        return x * 0.5

    @lib.saving.register_keras_serializable(package="regtest")
    class Offset(module):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def call(self, y_true, y_pred):
            return jnp.mean(jnp.abs(y_true - y_pred + self.amount), axis=-1)

        def get_config(self):
            return {**super().get_config(), "amount": self.amount}

    return halve, Offset


def test_registration_and_configs_match_keras():
    k_halve, k_offset = _twin(keras, keras.losses.Loss)
    x_halve, x_offset = _twin(kerax, kerax.losses.Loss)
    for k_obj, x_obj in ((k_halve, x_halve), (k_offset, x_offset)):
        assert kerax.saving.get_registered_name(x_obj) == keras.saving.get_registered_name(k_obj)
        name = keras.saving.get_registered_name(k_obj)
        assert kerax.saving.get_registered_object(name) is x_obj
        assert kerax.saving.get_custom_objects()[name] is x_obj
    assert kerax.saving.get_registered_name(kerax.layers.Dense) == "Dense"
    assert kerax.saving.get_registered_object("regtest>nothing") is None
    assert kerax.saving.serialize_keras_object(x_halve) == keras.saving.serialize_keras_object(
        k_halve
    )
    for k_obj, x_obj in (
        (keras.regularizers.L1L2(0.1, 0.2), kerax.regularizers.L1L2(0.1, 0.2)),
        (keras.constraints.MaxNorm(3.0, axis=1), kerax.constraints.MaxNorm(3.0, axis=1)),
        (keras.initializers.Constant(0.5), kerax.initializers.Constant(0.5)),
    ):
        assert kerax.saving.serialize_keras_object(x_obj) == keras.saving.serialize_keras_object(
            k_obj
        )
    k_config = keras.saving.serialize_keras_object(k_offset(amount=0.25))
    x_config = kerax.saving.serialize_keras_object(x_offset(amount=0.25))
    assert {k: x_config[k] for k in ("class_name", "registered_name")} == {
        k: k_config[k] for k in ("class_name", "registered_name")
    }
    assert x_config["config"]["amount"] == 0.25
    # Each reads the other's config.
    assert isinstance(kerax.saving.deserialize_keras_object(k_config), x_offset)
    assert keras.saving.deserialize_keras_object(x_config).amount == 0.25
    assert (
        kerax.saving.deserialize_keras_object(keras.saving.serialize_keras_object(k_halve))
        is x_halve
    )


def test_scopes_nest_and_win_over_custom_objects_as_in_keras():
    def one(x):
        return x

    def two(x):
        return x

    config = {"module": "builtins", "class_name": "function", "config": "fn"}
    with pytest.raises(ValueError, match="Unknown function 'fn'"):
        kerax.saving.deserialize_keras_object(config)
    with kerax.saving.custom_object_scope({"fn": one}) as scope:
        assert isinstance(scope, kerax.saving.CustomObjectScope)
        assert kerax.saving.deserialize_keras_object(config) is one
        with kerax.utils.CustomObjectScope({"fn": two}):
            assert kerax.saving.get_registered_object("fn") is two
        assert kerax.saving.deserialize_keras_object(config, custom_objects={"fn": two}) is one
    assert kerax.saving.get_registered_object("fn") is None
    assert kerax.saving.deserialize_keras_object(config, custom_objects={"fn": two}) is two
    kerax.saving.get_custom_objects()["fn"] = one
    try:
        assert kerax.saving.deserialize_keras_object(config) is one
    finally:
        del kerax.saving.get_custom_objects()["fn"]


def test_lambda_configs_need_unsafe_mode(monkeypatch):
    with pytest.warns(UserWarning, match="lambda"):
        config = kerax.saving.serialize_keras_object(lambda x: x + 1)
    assert config["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        kerax.saving.deserialize_keras_object(config)
    assert kerax.saving.deserialize_keras_object(config, safe_mode=False)(1) == 2
    # Keras's own bytecode entry reads in kerax too (same Python).
    k_config = keras.saving.serialize_keras_object(lambda x: x * 3)
    assert kerax.saving.deserialize_keras_object(k_config, safe_mode=False)(2) == 6
    import kerax.config as config_module

    monkeypatch.setattr(config_module, "_unsafe_deserialization", False)
    kerax.config.enable_unsafe_deserialization()
    assert kerax.saving.deserialize_keras_object(config)(1) == 2


def test_registering_a_name_again_replaces_it_as_in_keras():
    results = []
    for lib in (keras, kerax):

        @lib.saving.register_keras_serializable(package="again")
        def fn(x):
            return x

        first = fn

        @lib.saving.register_keras_serializable(package="again", name="fn")
        def other(x):
            return x

        results.append(lib.saving.get_registered_object("again>fn") is other)
        results.append(lib.saving.get_registered_name(other) == "again>fn")
        results.append(lib.saving.get_registered_name(first))

        class NoConfig:
            pass

        with pytest.raises(ValueError, match="get_config"):
            lib.saving.register_keras_serializable(package="again")(NoConfig)
    assert results[:3] == results[3:]
    assert results[:2] == [True, True]
