"""Crafted and broken files: each raises at load, naming the file and the entry; kerax
never imports a module or calls an object named in a file."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest

import kerax


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    x = kerax.Input(shape=(3,), name="x")
    model = kerax.Model(x, kerax.layers.Dense(2, name="dense")(x))
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path_factory.mktemp("safe") / "good.keras"
    model.save(str(path))
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    return model, path, parts


def _write(path, parts, config):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, json.dumps(config) if name == "config.json" else data)


def _dense_entry(config):
    return next(e for e in config["config"]["layers"] if e["name"] == "dense")


def _set_dense(key, value):
    def edit(config):
        _dense_entry(config)["config"][key] = value

    return edit


def _set_layer(module, class_name):
    def edit(config):
        entry = _dense_entry(config)
        entry["module"], entry["class_name"], entry["registered_name"] = module, class_name, None

    return edit


def _set_compile(key, value):
    def edit(config):
        config["compile_config"][key] = value

    return edit


HOSTILE = {
    "os_system_layer": (_set_layer("os", "system"), r"'system' of module 'os'.*never imports"),
    "builtins_layer": (_set_layer("builtins", "__builtins__"), r"'__builtins__'"),
    "keras_module_non_class": (_set_layer("keras.layers", "jax"), r"layer class 'jax'"),
    "eval_activation": (
        _set_dense(
            "activation",
            {
                "module": "os",
                "class_name": "function",
                "config": "system",
                "registered_name": "function",
            },
        ),
        r"'activation'.*Unknown function 'system'",
    ),
    "import_activation": (
        _set_dense("activation", {"class_name": "function", "config": "__import__"}),
        r"'activation'.*'__import__'",
    ),
    "os_regularizer": (
        _set_dense("kernel_regularizer", {"module": "os", "class_name": "system", "config": {}}),
        r"'kernel_regularizer'.*'system' of module 'os'",
    ),
    "unknown_regularizer_name": (
        _set_dense("kernel_regularizer", "no_such_penalty"),
        r"'dense'.*no_such_penalty",
    ),
    "unknown_regularizer_class": (
        _set_dense(
            "kernel_regularizer", {"module": "keras.regularizers", "class_name": "L7", "config": {}}
        ),
        r"'kernel_regularizer'.*Unknown regularizer class 'L7'",
    ),
    "unknown_constraint_name": (
        _set_dense("kernel_constraint", "no_such_constraint"),
        r"'kernel_constraint'.*no_such_constraint",
    ),
    "unknown_constraint_class": (
        _set_dense(
            "kernel_constraint", {"module": "keras.constraints", "class_name": "Max", "config": {}}
        ),
        r"'kernel_constraint'.*Unknown constraint class 'Max'",
    ),
    "unknown_initializer": (
        _set_dense("kernel_initializer", "no_such_init"),
        r"'dense'.*no_such_init",
    ),
    "unknown_initializer_class": (
        _set_dense("kernel_initializer", {"module": "os", "class_name": "getcwd", "config": {}}),
        r"'kernel_initializer'.*'getcwd' of module 'os'",
    ),
    "os_dtype_policy": (
        _set_dense("dtype", {"module": "os", "class_name": "system", "config": {"name": "ls"}}),
        r"'dense'.*'dtype'.*'system'",
    ),
    "os_optimizer": (
        _set_compile("optimizer", {"module": "os", "class_name": "system", "config": {}}),
        r"compile_config, 'optimizer'.*'system' of module 'os'",
    ),
    "unknown_loss_name": (_set_compile("loss", "no_such_loss"), r"no_such_loss"),
    "os_loss": (
        _set_compile("loss", {"module": "os", "class_name": "system", "config": {}}),
        r"compile_config, 'loss'.*'system' of module 'os'",
    ),
    "function_loss": (
        _set_compile("loss", {"module": "builtins", "class_name": "function", "config": "exec"}),
        r"'loss'.*Unknown function 'exec'",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_crafted_file_raises_at_load(saved, tmp_path, monkeypatch, case):
    _, path, parts = saved
    edit, pattern = HOSTILE[case]
    config = json.loads(parts["config.json"])
    edit(config)
    crafted = tmp_path / f"{case}.keras"
    _write(crafted, parts, config)
    import os

    monkeypatch.setattr(os, "system", lambda *a: pytest.fail("os.system was called"))
    with pytest.raises(ValueError, match=rf"{case}\.keras.*{pattern}"):
        kerax.models.load_model(str(crafted), safe_mode=False)


def test_invalid_json_names_the_file(saved, tmp_path):
    _, _, parts = saved
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(broken, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, b'{"class_name": "Functional", ' if name == "config.json" else data)
    with pytest.raises(ValueError, match=r"broken\.keras.*config\.json is not valid JSON"):
        kerax.models.load_model(str(broken))


def test_load_weights_accepts_keras_archives_as_keras_does(saved, tmp_path):
    model, path, _ = saved
    fresh_kerax = kerax.Model.from_config(model.get_config())
    fresh_kerax.load_weights(str(path))
    fresh_keras = keras.Model.from_config(model.get_config())
    fresh_keras.load_weights(str(path))
    x = np.linspace(0, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(fresh_kerax.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_allclose(
        fresh_keras.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


def test_wrong_kinds_of_file_are_named(saved, tmp_path):
    model, _, _ = saved
    weights = tmp_path / "m.weights.h5"
    model.save_weights(str(weights))
    with pytest.raises(ValueError, match=r"m\.weights\.h5.*weights only.*load_weights"):
        kerax.models.load_model(str(weights))
    npy = tmp_path / "w.weights.h5"
    np.save(open(npy, "wb"), np.zeros(3))
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*a NumPy \.npy file") as info:
        model.load_weights(str(npy))
    assert "corrupt" not in str(info.value)
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.keras.*not a \.keras zip archive.*not an HDF5"):
        kerax.models.load_model(str(text))
