"""Host-only text layers as the entry of a compiled model: raw strings go into ``fit``,
``evaluate``, ``predict`` and ``model(x)``; the layer maps them on the host, and the
compiled rest never sees a string.

Keras's own ``TextVectorization`` / ``StringLookup`` need TensorFlow, which the test
environment lacks, so the references are NumPy: the token indices from the layer's
vocabulary, and the model's arithmetic on its current weights.
"""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.errors import GraphError

POS = ["good great fine", "great good", "fine good great", "good fine"]
NEG = ["bad awful poor", "poor bad", "awful bad poor", "bad poor"]
TEXTS = np.array(POS + NEG)
LABELS = np.array([1.0] * 4 + [0.0] * 4, np.float32)
LENGTH = 4
UNSEEN = np.array(["good stuff", "poor bad awful terrible extra words", ""])


def _indices(vocabulary: list[str], texts: np.ndarray, length: int | None) -> np.ndarray:
    """Reference TextVectorization ("int" mode, lowercase words, OOV index 1)."""
    table = {w: i for i, w in enumerate(vocabulary)}
    rows = [[table.get(w, 1) for w in str(t).lower().split()] for t in texts.reshape(-1)]
    length = max(len(r) for r in rows) if length is None else length
    out = np.zeros((len(rows), length), np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r[:length])] = r[:length]
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _forward(layers: dict, indices: np.ndarray) -> np.ndarray:
    """Embedding -> GlobalAveragePooling1D -> Dense(sigmoid) in NumPy."""
    table = np.asarray(layers["embedding"].get_weights()[0])
    kernel, bias = (np.asarray(w) for w in layers["dense"].get_weights())
    return _sigmoid(table[indices].mean(axis=1) @ kernel + bias)


@pytest.fixture(scope="module")
def trained():
    vectorizer = kerax.layers.TextVectorization(
        max_tokens=20, output_mode="int", output_sequence_length=LENGTH
    )
    vectorizer.adapt(list(TEXTS))
    inputs = kerax.Input(shape=(1,), dtype="string")
    x = vectorizer(inputs)
    embedding = kerax.layers.Embedding(20, 8)
    x = embedding(x)
    x = kerax.layers.GlobalAveragePooling1D()(x)
    dense = kerax.layers.Dense(1, activation="sigmoid")
    model = kerax.Model(inputs, dense(x))
    model.compile(kerax.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    first = model.fit(TEXTS[:, None], LABELS, epochs=30, batch_size=4, verbose=0)
    second = model.fit(TEXTS, LABELS, epochs=1, batch_size=4, verbose=0)  # 1-D strings
    layers = {"vectorizer": vectorizer, "embedding": embedding, "dense": dense}
    return model, layers, first.history, second.history


def test_string_input_matches_keras():
    import keras

    ours, theirs = kerax.Input(shape=(1,), dtype="string"), keras.Input((1,), dtype="string")
    assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
    ours_config = ours.node.layer.get_config()
    theirs_config = theirs._keras_history.operation.get_config()
    assert ours_config["dtype"] == theirs_config["dtype"] == "string"


def test_fit_on_raw_strings_converges(trained):
    model, _, first, second = trained
    assert first["loss"][-1] < 0.5 * first["loss"][0]
    assert first["accuracy"][-1] == 1.0 and second["accuracy"][-1] == 1.0
    probs = model.predict(TEXTS, verbose=0)[:, 0]
    assert np.all(probs[:4] > 0.5) and np.all(probs[4:] < 0.5)


def test_every_entry_point_maps_raw_strings(trained):
    model, layers, _, _ = trained
    texts = np.concatenate([TEXTS, UNSEEN])
    indices = _indices(layers["vectorizer"].get_vocabulary(), texts, LENGTH)
    want = _forward(layers, indices)
    np.testing.assert_allclose(model.predict(texts, verbose=0), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(texts[:, None], batch_size=3, verbose=0), want, 1e-5)
    np.testing.assert_allclose(np.asarray(model(list(texts))), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(texts), want, rtol=1e-5, atol=1e-6)
    batches = iter([texts[:5], texts[5:]])  # an iterable is mapped batch by batch
    np.testing.assert_allclose(model.predict(batches, verbose=0), want, rtol=1e-5, atol=1e-6)
    p = np.clip(want[:8, 0], 1e-7, 1 - 1e-7)
    bce = -np.mean(LABELS * np.log(p) + (1 - LABELS) * np.log(1 - p))
    loss, _ = model.evaluate(TEXTS, LABELS, verbose=0)
    np.testing.assert_allclose(loss, bce, rtol=1e-4)


def test_save_load_gives_identical_predictions(trained, tmp_path):
    model, layers, _, _ = trained
    path = str(tmp_path / "text.keras")
    model.save(path)
    loaded = kerax.models.load_model(path)
    texts = np.concatenate([TEXTS, UNSEEN])
    np.testing.assert_array_equal(loaded.predict(texts, verbose=0), model.predict(texts, verbose=0))
    host = [la for la in loaded.layers if type(la).__name__ == "TextVectorization"]
    assert host[0].get_vocabulary() == layers["vectorizer"].get_vocabulary()
    assert loaded.inputs[0].dtype == "string"


def test_summary_lists_the_host_layer(trained):
    model, layers, _, _ = trained
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    name = layers["vectorizer"].name
    row = next(line for line in text.splitlines() if name in line)
    assert f"(None, {LENGTH})" in row and "0" in row.split("│")[-2]
    assert "TextVectorization" in text


def test_sequential_export_and_nesting(trained):
    _, layers, _, _ = trained
    vectorizer = layers["vectorizer"]
    ids = kerax.Input(shape=(LENGTH,), dtype="int64")
    embedding, dense = kerax.layers.Embedding(20, 3), kerax.layers.Dense(1)
    logits = kerax.Model(ids, dense(kerax.layers.GlobalAveragePooling1D()(embedding(ids))))
    end_to_end = kerax.Sequential(
        [
            kerax.Input(shape=(1,), dtype="string"),
            vectorizer,
            logits,
            kerax.layers.Activation("sigmoid"),
        ]
    )
    indices = _indices(vectorizer.get_vocabulary(), UNSEEN, LENGTH)
    want = _forward({"embedding": embedding, "dense": dense}, indices)
    np.testing.assert_allclose(end_to_end.predict(UNSEEN, verbose=0), want, rtol=1e-5, atol=1e-6)
    raw = kerax.Input(shape=(1,), dtype="string")
    outer = kerax.Model(raw, end_to_end(raw))  # a nested model that maps its input
    np.testing.assert_allclose(outer.predict(UNSEEN, verbose=0), want, rtol=1e-5, atol=1e-6)
    raw = kerax.Input(shape=(1,), dtype="string")
    outermost = kerax.Model(raw, outer(raw))  # two levels down
    np.testing.assert_allclose(outermost(UNSEEN), want, rtol=1e-5, atol=1e-6)


def test_unfixed_length_pads_the_whole_array_once():
    vectorizer = kerax.layers.TextVectorization(max_tokens=20)
    vectorizer.adapt(TEXTS)
    inputs = kerax.Input(shape=(1,), dtype="string")
    embedding, dense = kerax.layers.Embedding(20, 2), kerax.layers.Dense(1, activation="sigmoid")
    pooled = kerax.layers.GlobalAveragePooling1D()(embedding(vectorizer(inputs)))
    model = kerax.Model(inputs, dense(pooled))
    assert model.layers[1].output.shape == (None, None)
    texts = np.array(["good", "bad", "good great fine poor"])  # the longest is last
    want = _forward(
        {"embedding": embedding, "dense": dense},
        _indices(vectorizer.get_vocabulary(), texts, None),
    )
    # batch_size=2: padding per batch would average the first rows over 1 step, not 4.
    got = model.predict(texts, batch_size=2, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_string_lookup_feeds_an_embedding():
    lookup = kerax.layers.StringLookup(vocabulary=["a", "b", "c"])
    inputs = kerax.Input(shape=(2,), dtype="string")
    embedding = kerax.layers.Embedding(4, 3)
    model = kerax.Model(inputs, kerax.layers.Flatten()(embedding(lookup(inputs))))
    data = np.array([["a", "z"], ["c", "b"]])
    table = np.asarray(embedding.get_weights()[0])
    want = table[np.array([[1, 0], [3, 2]])].reshape(2, 6)  # OOV -> 0, vocabulary from 1
    np.testing.assert_allclose(model.predict(data, verbose=0), want, rtol=1e-6)


def test_host_layer_after_a_computed_tensor_is_an_error():
    hidden = kerax.layers.Dense(3)(kerax.Input(shape=(2,)))
    vectorizer = kerax.layers.TextVectorization(name="late_vectorizer")
    with pytest.raises(GraphError, match=r'late_vectorizer.*model Input.*Dense "dense'):
        vectorizer(hidden)
    assert not vectorizer._inbound_nodes


def test_strings_only_reach_host_layers():
    raw = kerax.Input(shape=(1,), dtype="string")
    with pytest.raises(GraphError, match=r'"lost".*string tensor'):
        kerax.layers.Identity(name="lost")(raw)
    lookup = kerax.layers.StringLookup(vocabulary=["a"], name="lookup")
    vectorizer = kerax.layers.TextVectorization(vocabulary=["a"], name="vec")
    both = kerax.Model(raw, [lookup(raw), vectorizer(raw)])
    with pytest.raises(GraphError, match=r"feeds the host-only layer.*only consumer"):
        both.predict(np.array(["a"]), verbose=0)


def test_input_dtype_contract():
    numeric = kerax.Sequential([kerax.Input(shape=(2,)), kerax.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"takes float32 numbers.*holds text"):
        numeric.predict(np.array([["a", "b"]]), verbose=0)
    lookup = kerax.layers.StringLookup(vocabulary=["a", "b"])
    text = kerax.Sequential([kerax.Input(shape=(1,), dtype="string"), lookup])
    with pytest.raises(ValueError, match=r"takes strings.*holds float32"):
        text.predict(np.zeros((2, 1), np.float32), verbose=0)


def test_multi_hot_vectors_feed_a_dense():
    vectorizer = kerax.layers.TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(TEXTS)
    inputs = kerax.Input(shape=(1,), dtype="string")
    dense = kerax.layers.Dense(2)
    model = kerax.Model(inputs, dense(vectorizer(inputs)))
    vocabulary = vectorizer.get_vocabulary()
    hot = np.zeros((len(TEXTS), len(vocabulary)), np.float32)
    for row, text in enumerate(TEXTS):
        for word in text.split():
            hot[row, vocabulary.index(word)] = 1.0
    kernel, bias = (np.asarray(w) for w in dense.get_weights())
    np.testing.assert_allclose(model.predict(TEXTS, verbose=0), hot @ kernel + bias, rtol=1e-5)


def test_sequential_without_input_builds_a_string_input_from_text(tmp_path):
    vectorizer = kerax.layers.TextVectorization(output_mode="int", output_sequence_length=LENGTH)
    vectorizer.adapt(TEXTS)
    model = kerax.Sequential(
        [vectorizer, kerax.layers.Embedding(20, 2), kerax.layers.GlobalAveragePooling1D()]
    )
    out = model.predict(TEXTS, verbose=0)
    table = model.layers[1].get_weights()[0]
    expected = table[_indices(vectorizer.get_vocabulary(), TEXTS, LENGTH)].mean(axis=1)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert model.inputs[0].dtype == "string"
    with pytest.raises(ValueError, match="raw strings on the host"):
        model.export(str(tmp_path / "exported"))


def test_own_train_step_with_raw_strings_is_refused_by_name():
    vectorizer = kerax.layers.TextVectorization(output_mode="int", output_sequence_length=LENGTH)
    vectorizer.adapt(TEXTS)

    class Own(kerax.Model):
        def train_step(self, state, data):
            return super().train_step(state, data)

    inputs = kerax.Input((1,), dtype="string")
    x = kerax.layers.GlobalAveragePooling1D()(kerax.layers.Embedding(20, 2)(vectorizer(inputs)))
    model = Own(inputs, kerax.layers.Dense(1)(x))
    model.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match="raw strings"):
        model.fit(TEXTS[:, None], LABELS, verbose=0)
