"""``kerax.saving.KerasFileEditor`` against ``keras.saving.KerasFileEditor``.

Files written by kerax and by Keras (``.keras`` and ``.weights.h5``) for one model are
edited to fit another architecture (rename, delete and add objects and weights), saved,
and loaded into kerax and Keras models; ``summary`` and ``compare`` print what Keras's
editor prints on the same files.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

import kerax
from kerax.saving import KerasFileEditor

RNG = np.random.default_rng(0)
OLD = {  # the source model's weights: Dense(4, no bias), Dense(2)
    "k1": RNG.normal(size=(3, 4)).astype("float32"),
    "k2": RNG.normal(size=(4, 2)).astype("float32"),
    "b2": RNG.normal(size=(2,)).astype("float32"),
}
NEW = {  # weights the edits add
    "b1": RNG.normal(size=(4,)).astype("float32"),
    "bn": [RNG.uniform(0.5, 1.5, size=(4,)).astype("float32") for _ in range(4)],
}


def source_model(lib):
    inp = lib.Input((3,))
    x = lib.layers.Dense(4, use_bias=False, name="first")(inp)
    model = lib.Model(inp, lib.layers.Dense(2, name="second")(x))
    model.set_weights([OLD["k1"], OLD["k2"], OLD["b2"]])
    return model


def target_model(lib):
    inp = lib.Input((3,))
    x = lib.layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c")(inp)
    x = lib.layers.BatchNormalization()(x)
    return lib.Model(inp, lib.layers.Dense(2, use_bias=False)(x))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The source model written by both libraries in both formats; Keras's model has a
    built optimizer, so its files hold an ``optimizer`` object too."""
    tmp = tmp_path_factory.mktemp("editor")
    ours, theirs = source_model(kerax), source_model(keras)
    theirs.compile(optimizer="adam", loss="mse")
    theirs.optimizer.build(theirs.trainable_variables)
    out = {}
    for tag, model in (("kerax", ours), ("keras", theirs)):
        for ext in (".keras", ".weights.h5"):
            path = str(tmp / f"{tag}{ext}")
            if ext == ".keras":
                model.save(path)
            else:
                model.save_weights(path)
            out[f"{tag}{ext}"] = path
    return out


@pytest.fixture(scope="module")
def targets():
    return {"kerax": target_model(kerax), "keras": target_model(keras)}


NAMES = ["kerax.keras", "kerax.weights.h5", "keras.keras", "keras.weights.h5"]


def _edit(editor):
    """Adapts the source file to the target architecture; returns its expected weights."""
    if "optimizer" in editor.weights_dict:
        editor.delete_object("optimizer")
    editor.rename_object("layers/dense", "einsum_dense")
    editor.add_weights("einsum_dense", {"1": NEW["b1"]})
    editor.rename_object("dense_1", "dense")  # a name unique in the file
    editor.delete_weight("layers/dense", "1")
    editor.add_object("layers/batch_normalization", {str(i): w for i, w in enumerate(NEW["bn"])})
    return [OLD["k1"], NEW["b1"], *NEW["bn"], OLD["k2"]]


def _normalized(text):
    """The printed words, without the line wrapping of Keras's rich console, and the
    totals masked (Keras's can count an entry twice; kerax's are checked apart)."""
    text = re.sub(r"Found \d+ (error|matching weight)s?", r"Found N \1", text)
    return " ".join(text.split())


@pytest.mark.parametrize("name", NAMES)
def test_edited_file_loads_into_kerax_and_keras(name, files, targets, tmp_path, capsys):
    editor = KerasFileEditor(files[name])
    expected = _edit(editor)
    edited = str(tmp_path / "edited.weights.h5")
    editor.save(edited)
    for model in targets.values():
        model.load_weights(edited)
        got = model.get_weights()
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(np.asarray(g), e)
    result = KerasFileEditor(edited).compare(targets["kerax"])
    assert result == {"status": "success", "error_count": 0, "match_count": len(expected)}
    assert "optimizer" not in KerasFileEditor(edited).weights_dict


@pytest.mark.parametrize("name", NAMES)
def test_summary_and_compare_print_what_keras_prints(name, files, targets, capsys):
    printed = {}
    results = {}
    for tag, lib in (("kerax", kerax), ("keras", keras)):
        capsys.readouterr()
        editor = lib.saving.KerasFileEditor(files[name])
        editor.summary()
        results[tag] = [editor.compare(targets[tag])]
        _edit(editor)
        editor.delete_object("batch_normalization")
        editor.add_weights("layers/dense", {"1": np.zeros((3,), "float32")})
        editor.add_weights("einsum_dense", {"1": np.zeros((5,), "float32")})  # wrong shape
        results[tag].append(editor.compare(targets[tag]))
        printed[tag] = _normalized(capsys.readouterr().out)
    assert printed["kerax"] == printed["keras"]
    # Keras's counts can include entries twice; kerax's are one per printed mismatch.
    for ours, theirs in zip(results["kerax"], results["keras"]):
        assert ours["status"] == theirs["status"] == "error"
    errors = sum(r["error_count"] for r in results["kerax"])
    assert errors == printed["kerax"].count(" ...") > 0


def test_weights_dict_and_metadata_match_keras(files):
    for name in NAMES:
        ours, theirs = KerasFileEditor(files[name]), keras.saving.KerasFileEditor(files[name])
        assert ours.object_metadata == theirs.object_metadata
        assert ours.config == theirs.config and ours.metadata == theirs.metadata
        flat_ours, flat_theirs = _flat(ours.weights_dict), _flat(theirs.weights_dict)
        assert list(flat_ours) == list(flat_theirs)
        for key, value in flat_ours.items():
            np.testing.assert_array_equal(value, flat_theirs[key])


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


ERRORS = [  # (action, arguments): both editors raise the same message
    ("rename_object", ("layers/dense", "a/b")),
    ("rename_object", ("layers/nothere", "b")),
    ("rename_object", ("0", "b")),  # every object has a weight "0"
    ("delete_object", ("nowhere/dense",)),
    ("delete_weight", ("layers/dense", "9")),
    ("add_object", ("nowhere/x", {})),
]


@pytest.mark.parametrize("action, args", ERRORS)
def test_errors_match_keras(action, args, files):
    messages = []
    for lib in (kerax, keras):
        editor = lib.saving.KerasFileEditor(files["keras.weights.h5"])
        with pytest.raises(ValueError) as info:
            getattr(editor, action)(*args)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_errors_for_bad_paths_values_and_clashes(files, tmp_path):
    with pytest.raises(ValueError, match=r"\.keras.*\.weights\.h5"):
        KerasFileEditor(str(tmp_path / "model.h5"))
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        KerasFileEditor(str(tmp_path / "missing.keras"))
    fake = tmp_path / "fake.keras"
    fake.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="fake.keras.*zip archive"):
        KerasFileEditor(str(fake))
    editor = KerasFileEditor(files["kerax.weights.h5"])
    with pytest.raises(ValueError, match="expected a `.weights.h5` extension"):
        editor.save(str(tmp_path / "out.keras"))
    with pytest.raises(ValueError, match="`weights` should be a dict"):
        editor.add_weights("layers/dense", [OLD["k1"]])
    with pytest.raises(ValueError, match="does not appear in the model"):
        editor.delete_object("conv2d")
    with pytest.raises(ValueError, match="already exists beside it"):
        editor.rename_object("layers/dense", "dense_1")
    with pytest.raises(ValueError, match="already exists"):
        editor.add_object("layers/dense", {"0": OLD["k1"]})
    with pytest.raises(ValueError, match="is a weight, not an object"):
        editor.add_weights("layers/dense/0", {"1": OLD["b2"]})
    # Nothing above changed the file's weights.
    assert list(_flat(editor.weights_dict)) == [
        "layers/dense/0",
        "layers/dense_1/0",
        "layers/dense_1/1",
    ]


def nested_recurrent(lib):
    x = lib.Input(shape=(5, 4))
    encoder = lib.Model(x, lib.layers.LSTM(3)(x), name="encoder")
    a = lib.Input(shape=(5, 4))
    return lib.Model(a, lib.layers.Dense(2)(encoder(a)))


def test_nested_models_and_recurrent_cells_survive_a_round_trip(tmp_path, capsys):
    """Objects whose own ``vars`` group is empty (a nested model, an LSTM, whose weights
    sit on its cell) keep their sub-objects; Keras 3.15's editor leaves them out."""
    source = nested_recurrent(keras)
    path, copy = str(tmp_path / "n.weights.h5"), str(tmp_path / "copy.weights.h5")
    source.save_weights(path)
    editor = KerasFileEditor(path)
    lstm = editor.weights_dict["layers"]["functional"]["layers"]["lstm"]["cell"]
    assert [w.shape for w in lstm.values()] == [(4, 12), (3, 12), (12,)]
    ours = nested_recurrent(kerax)
    assert editor.compare(ours)["status"] == "success"
    editor.save(copy)
    for model in (ours, nested_recurrent(keras)):
        model.load_weights(copy)
        for got, want in zip(model.get_weights(), source.get_weights(), strict=True):
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_kerax_optimizer_state_counts_only_against_a_compiled_model(tmp_path, capsys):
    inp = kerax.Input((3,))
    model = kerax.Model(inp, kerax.layers.Dense(2)(inp))
    model.compile("adam", "mse")
    model.fit(np.ones((2, 3)), np.ones((2, 2)), verbose=0)
    path = str(tmp_path / "trained.keras")
    model.save(path)
    editor = KerasFileEditor(path)
    assert editor.compare(model)["status"] == "success"
    fresh = kerax.Model(inp, kerax.layers.Dense(2)(inp))
    capsys.readouterr()
    result = editor.compare(fresh)
    out = capsys.readouterr().out
    assert result["error_count"] == 1
    assert "...Object /kerax_optimizer_state present in saved file" in out


def test_bfloat16_weights_keep_their_dtype(tmp_path, capsys):
    def model():
        inp = keras.Input((3,))
        return keras.Model(inp, keras.layers.Dense(2, dtype="bfloat16")(inp))

    source = model()
    path, copy = str(tmp_path / "b.weights.h5"), str(tmp_path / "copy.weights.h5")
    source.save_weights(path)
    editor = KerasFileEditor(path)
    assert str(editor.weights_dict["layers"]["dense"]["0"].dtype) == "bfloat16"
    editor.save(copy)
    target = model()
    target.load_weights(copy)
    for got, want in zip(target.get_weights(), source.get_weights(), strict=True):
        assert str(got.dtype) == "bfloat16"
        np.testing.assert_array_equal(np.asarray(got, "float32"), np.asarray(want, "float32"))
