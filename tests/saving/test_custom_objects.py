"""User classes in saved models: register_keras_serializable and custom_objects."""

from __future__ import annotations

import numpy as np
import pytest

import kerax


@kerax.saving.register_keras_serializable(package="tests")
class Scale(kerax.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Shift(kerax.layers.Layer):
    def call(self, inputs):
        return inputs + 1.0


def test_registered_layer_round_trips_through_keras_files(tmp_path):
    x = kerax.Input(shape=(3,))
    model = kerax.Model(x, Scale(3.0)(x))
    model.layers[1].set_weights([np.array([1.0, 2.0, 3.0], np.float32)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = kerax.models.load_model(path)
    assert isinstance(loaded.layers[1], Scale) and loaded.layers[1].factor == 3.0
    np.testing.assert_allclose(loaded.predict(np.ones((1, 3)), verbose=0), [[3.0, 6.0, 9.0]])
    assert kerax.saving.get_registered_name(Scale) == "tests>Scale"


def test_unregistered_layer_needs_custom_objects(tmp_path):
    x = kerax.Input(shape=(2,))
    model = kerax.Model(x, Shift()(x))
    text = model.to_json()
    with pytest.raises(ValueError, match=r"Unknown layer class 'Shift'.*custom_objects"):
        kerax.models.model_from_json(text)
    rebuilt = kerax.models.model_from_json(text, custom_objects={"Shift": Shift})
    np.testing.assert_allclose(rebuilt.predict(np.zeros((1, 2)), verbose=0), [[1.0, 1.0]])
