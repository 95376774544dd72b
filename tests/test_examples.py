"""Runs every script in examples/ and checks what it prints.

Parameter counts printed by the guide examples are compared with the same models built
with the real ``keras`` package (JAX backend, set by conftest.py).
"""

from __future__ import annotations

import functools
import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _run(script: str, timeout: float = 240) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{script} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-5000:]}"
    )
    return result.stdout


def _value(out: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}:? (.+)$", out, re.MULTILINE)
    assert match, f"no line starting with {label!r} in:\n{out[-3000:]}"
    return match.group(1).strip()


def _int(out: str, label: str) -> int:
    return int(_value(out, label))


# ---------------------------------------------------------------- reference models (Keras)


def _keras():
    import keras

    keras.backend.clear_session()
    return keras


def _keras_dense_network():
    keras = _keras()
    from keras.layers import Dense, Input, TimeDistributed

    inputs = Input(shape=(784,))
    x = Dense(64, activation="relu")(inputs)
    x = Dense(64, activation="relu")(x)
    model = keras.Model(inputs, Dense(10, activation="softmax")(x))
    seqs = Input(shape=(20, 784))
    return model, keras.Model(seqs, TimeDistributed(model)(seqs))


def _keras_headline_model():
    keras = _keras()
    from keras.layers import LSTM, Dense, Embedding, Input

    main_input = Input(shape=(100,), dtype="int32", name="main_input")
    x = Embedding(output_dim=512, input_dim=10000)(main_input)
    lstm_out = LSTM(32)(x)
    aux_output = Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    aux_input = Input(shape=(5,), name="aux_input")
    x = keras.layers.concatenate([lstm_out, aux_input])
    for _ in range(3):
        x = Dense(64, activation="relu")(x)
    main_output = Dense(1, activation="sigmoid", name="main_output")(x)
    return keras.Model([main_input, aux_input], [main_output, aux_output])


def _keras_shared_lstm_model():
    keras = _keras()
    from keras.layers import LSTM, Dense, Input

    tweet_a, tweet_b = Input(shape=(280, 256)), Input(shape=(280, 256))
    shared_lstm = LSTM(64)
    merged = keras.layers.concatenate([shared_lstm(tweet_a), shared_lstm(tweet_b)], axis=-1)
    out = Dense(1, activation="sigmoid")(merged)
    return shared_lstm, keras.Model([tweet_a, tweet_b], out)


def _keras_inception():
    keras = _keras()
    from keras.layers import Conv2D, Input, MaxPooling2D

    img = Input(shape=(256, 256, 3))
    t1 = Conv2D(64, (1, 1), padding="same", activation="relu")(img)
    t1 = Conv2D(64, (3, 3), padding="same", activation="relu")(t1)
    t2 = Conv2D(64, (1, 1), padding="same", activation="relu")(img)
    t2 = Conv2D(64, (5, 5), padding="same", activation="relu")(t2)
    t3 = MaxPooling2D((3, 3), strides=(1, 1), padding="same")(img)
    t3 = Conv2D(64, (1, 1), padding="same", activation="relu")(t3)
    return keras.Model(img, keras.layers.concatenate([t1, t2, t3], axis=1))


def _keras_residual():
    keras = _keras()
    from keras.layers import Conv2D, Input

    x = Input(shape=(256, 256, 3))
    return keras.Model(x, keras.layers.add([x, Conv2D(3, (3, 3), padding="same")(x)]))


def _keras_shared_vision():
    keras = _keras()
    from keras.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D

    digit_input = Input(shape=(27, 27, 1))
    x = Conv2D(64, (3, 3))(digit_input)
    x = Conv2D(64, (3, 3))(x)
    x = MaxPooling2D((2, 2))(x)
    vision_model = keras.Model(digit_input, Flatten()(x))
    a, b = Input(shape=(27, 27, 1)), Input(shape=(27, 27, 1))
    merged = keras.layers.concatenate([vision_model(a), vision_model(b)])
    return vision_model, keras.Model([a, b], Dense(1, activation="sigmoid")(merged))


@functools.cache
def _keras_vqa_and_video_qa() -> dict[str, object]:
    """Counts and shapes of the VQA and video-QA models (built once: ~170M weights)."""
    keras = _keras()
    from keras.layers import (
        LSTM,
        Conv2D,
        Dense,
        Embedding,
        Flatten,
        Input,
        MaxPooling2D,
        TimeDistributed,
    )

    vision_model = keras.Sequential(
        [
            Input(shape=(224, 224, 3)),
            Conv2D(64, (3, 3), activation="relu", padding="same"),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Conv2D(128, (3, 3), activation="relu", padding="same"),
            Conv2D(128, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Conv2D(256, (3, 3), activation="relu", padding="same"),
            Conv2D(256, (3, 3), activation="relu"),
            Conv2D(256, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Flatten(),
        ]
    )
    image_input = Input(shape=(224, 224, 3))
    encoded_image = vision_model(image_input)
    question_input = Input(shape=(100,), dtype="int32")
    embedded = Embedding(input_dim=10000, output_dim=256)(question_input)
    encoded_question = LSTM(256)(embedded)
    merged = keras.layers.concatenate([encoded_question, encoded_image])
    vqa_model = keras.Model(
        [image_input, question_input], Dense(1000, activation="softmax")(merged)
    )

    video_input = Input(shape=(100, 224, 224, 3))
    encoded_video = LSTM(256)(TimeDistributed(vision_model)(video_input))
    question_encoder = keras.Model(question_input, encoded_question)
    video_question_input = Input(shape=(100,), dtype="int32")
    merged = keras.layers.concatenate([encoded_video, question_encoder(video_question_input)])
    video_qa_model = keras.Model(
        [video_input, video_question_input], Dense(1000, activation="softmax")(merged)
    )
    return {
        "vision output shape": str(tuple(vision_model.output.shape)),
        "vision params": vision_model.count_params(),
        "vqa params": vqa_model.count_params(),
        "question encoder params": question_encoder.count_params(),
        "video qa params": video_qa_model.count_params(),
    }


# ---------------------------------------------------------------------------------- tests


def test_bundled_digits_split_is_deterministic():
    import numpy as np

    from kerax.datasets import digits

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.uint8 and int(x_train.max()) == 16
    assert sorted(set(y_train.tolist()) | set(y_test.tolist())) == list(range(10))
    (x_again, y_again), _ = digits.load_data()
    np.testing.assert_array_equal(x_train, x_again)
    np.testing.assert_array_equal(y_train, y_again)
    (_, y_other), _ = digits.load_data(seed=1)
    assert not np.array_equal(y_train, y_other)
    (x_half, _), (x_rest, _) = digits.load_data(test_split=0.5)
    assert len(x_half) + len(x_rest) == 1797


def test_digits_mlp_reaches_90_percent():
    out = _run("digits_mlp.py")
    accuracy = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9


def test_guide_01_dense_network():
    out = _run("guide_01_dense_network.py")
    model, sequence_model = _keras_dense_network()
    assert _value(out, "model(x) output shape") == "(None, 10)"
    assert _value(out, "TimeDistributed(model) output shape") == "(None, 20, 10)"
    assert _int(out, "model params") == model.count_params()
    assert _int(out, "sequence model params") == sequence_model.count_params()
    assert _value(out, "TimeDistributed matches the model") == "True"


def test_guide_02_multi_input_output():
    out = _run("guide_02_multi_input_output.py")
    assert math.isfinite(float(_value(out, "list form, final loss")))
    assert math.isfinite(float(_value(out, "dict form, final loss")))
    assert _value(out, "output shapes") == "[(None, 1), (None, 1)]"
    assert _value(out, "prediction shapes") == "(4, 1) (4, 1)"
    assert _int(out, "headline model params") == _keras_headline_model().count_params()


def test_guide_03_shared_layers():
    out = _run("guide_03_shared_layers.py")
    shared_lstm, model = _keras_shared_lstm_model()
    assert _value(out, "encoded shapes") == "(None, 64) (None, 64)"
    assert _int(out, "shared LSTM params") == shared_lstm.count_params()
    assert _int(out, "shared-layer model params") == model.count_params()


def test_guide_04_layer_nodes():
    out = _run("guide_04_layer_nodes.py")
    assert "single node: lstm.output is encoded_a" in out
    assert re.search(r"AttributeError: .*multiple inbound nodes", out)
    assert "get_output_at(0) is encoded_a, get_output_at(1) is encoded_b" in out
    assert _value(out, "get_input_shape_at(0)") == "(None, 32, 32, 3)"
    assert _value(out, "get_input_shape_at(1)") == "(None, 64, 64, 3)"
    assert _value(out, "get_output_shape_at(1)") == "(None, 64, 64, 16)"


def test_guide_05_inception():
    out = _run("guide_05_inception.py")
    reference = _keras_inception()
    assert _value(out, "inception output shape") == str(tuple(reference.output.shape))
    assert _int(out, "inception params") == reference.count_params()


def test_guide_06_residual():
    out = _run("guide_06_residual.py")
    assert _value(out, "residual output shape") == "(None, 256, 256, 3)"
    assert _int(out, "residual params") == _keras_residual().count_params()
    assert _value(out, "output minus conv equals input") == "True"


def test_guide_07_shared_vision():
    out = _run("guide_07_shared_vision.py")
    vision_model, classification_model = _keras_shared_vision()
    assert _value(out, "vision output shape") == str(tuple(vision_model.output.shape))
    assert _value(out, "classification output shape") == "(None, 1)"
    assert _int(out, "vision model params") == vision_model.count_params()
    assert _int(out, "classification model params") == classification_model.count_params()
    assert _value(out, "predictions shape") == "(4, 1)"


def test_guide_08_vqa():
    out = _run("guide_08_vqa.py")
    reference = _keras_vqa_and_video_qa()
    assert _value(out, "encoded image shape") == reference["vision output shape"]
    assert _value(out, "encoded question shape") == "(None, 256)"
    assert _value(out, "vqa output shape") == "(None, 1000)"
    assert _int(out, "vision model params") == reference["vision params"]
    assert _int(out, "vqa model params") == reference["vqa params"]


def test_guide_09_video_qa():
    out = _run("guide_09_video_qa.py")
    reference = _keras_vqa_and_video_qa()
    frame_features = reference["vision output shape"].split(", ")[-1].rstrip(")")
    assert _value(out, "encoded frame sequence shape") == f"(None, 100, {frame_features})"
    assert _value(out, "encoded video shape") == "(None, 256)"
    assert _value(out, "video qa output shape") == "(None, 1000)"
    assert _int(out, "vqa model params") == reference["vqa params"]
    assert _int(out, "question encoder params") == reference["question encoder params"]
    assert _int(out, "video qa model params") == reference["video qa params"]


def test_sequential_vs_functional():
    out = _run("sequential_vs_functional.py")
    keras = _keras()
    sequential = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(2)])
    visible = keras.Input(shape=(2,))
    functional = keras.Model(visible, keras.layers.Dense(2)(visible))
    assert _int(out, "sequential params") == sequential.count_params()
    assert _int(out, "functional params") == functional.count_params()
    assert _value(out, "sequential output shape") == "(None, 2)"
    assert _value(out, "functional output shape") == "(None, 2)"
    assert _value(out, "sequential predictions") == "(3, 2)"
    assert _value(out, "functional predictions") == "(2, 2)"


def test_vae_train_step_learns_and_reloads():
    out = _run("vae_train_step.py")
    match = re.search(r"Total loss fell from ([0-9.]+) to ([0-9.]+)", out)
    assert match and float(match.group(2)) < 0.8 * float(match.group(1))
    assert _value(out, "Reloaded latent means match") == "True"


def test_text_classification_from_raw_strings():
    out = _run("text_classification.py")
    assert float(_value(out, "Test accuracy")) >= 0.9
    scores = re.findall(r"^P\(positive \| '(.+)'\): ([0-9.]+)$", out, re.MULTILINE)
    assert [text for text, _ in scores] == [
        "A superb and lovely film.",
        "The plot was tedious and painful.",
    ]
    assert float(scores[0][1]) > 0.5 > float(scores[1][1])
    assert _value(out, "Reloaded predictions match") == "True"
    assert float(_value(out, "End-to-end test accuracy")) >= 0.9


def test_image_augmentation_learns_and_reloads():
    out = _run("image_augmentation.py")
    assert float(_value(out, "Test accuracy")) > 0.85
    assert _value(out, "Reloaded predictions match") == "True"
