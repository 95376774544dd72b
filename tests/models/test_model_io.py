"""Model inputs and outputs: single tensors, lists, dicts; calling on arrays."""

from __future__ import annotations

import numpy as np

import kerax
from kerax.layers import BatchNormalization, Dense, Dropout, Input, concatenate


def test_positional_and_named_model():
    x = Input(shape=(3,))
    model = kerax.Model(x, Dense(2)(x), name="tiny")
    assert model.name == "tiny"
    assert model.inputs == [x] and len(model.outputs) == 1


def test_list_io_in_order():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    h = concatenate([a, b])
    model = kerax.Model([a, b], [Dense(1, name="first")(h), Dense(2, name="second")(h)])
    assert model.input_names == ["a", "b"]
    assert model.output_names == ["first", "second"]
    out = model.predict([np.ones((4, 3)), np.ones((4, 2))], verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(4, 1), (4, 2)]
    by_name = model.predict({"a": np.ones((4, 3)), "b": np.ones((4, 2))}, verbose=0)
    np.testing.assert_allclose(by_name[0], out[0])


def test_dict_io_uses_dict_keys():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    h = concatenate([a, b])
    model = kerax.Model(
        inputs={"left": a, "right": b},
        outputs={"y1": Dense(1)(h), "y2": Dense(2)(h)},
    )
    assert model.input_names == ["left", "right"]
    assert model.output_names == ["y1", "y2"]
    data = {"left": np.ones((8, 3)), "right": np.zeros((8, 2))}
    out = model.predict(data, verbose=0)
    assert set(out) == {"y1", "y2"} and out["y2"].shape == (8, 2)
    model.compile(optimizer="adam", loss={"y1": "mse", "y2": "mse"})
    history = model.fit(data, {"y1": np.ones((8, 1)), "y2": np.ones((8, 2))}, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "y1_loss", "y2_loss"}
    np.testing.assert_allclose(
        history.history["loss"][0],
        history.history["y1_loss"][0] + history.history["y2_loss"][0],
        rtol=1e-5,
    )


def test_eager_call_in_training_mode_uses_randomness_and_updates_state():
    x = Input(shape=(4,))
    bn = BatchNormalization(momentum=0.0)
    model = kerax.Model(x, Dropout(0.5)(bn(x)))
    data = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = np.asarray(model(data, training=True))
    assert np.any(out == 0.0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(model(data)), np.asarray(bn(data)), rtol=1e-6)
