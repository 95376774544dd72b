"""A text classifier trained from raw strings, with the vectorizer inside the model.

The corpus is made here: short "reviews" built from a positive and a negative word
list, with shared filler words. ``TextVectorization`` is adapted on the training texts
and called on a string ``Input``; it maps the strings to token indices on the host,
where the data enters the device, so ``fit``, ``evaluate`` and ``predict`` take the raw
strings and the compiled model never sees one. The model is saved to a ``.keras`` file
(the vocabulary travels as an asset), reloaded, and asked about new sentences. Last,
Keras's export pattern: a numeric model trained on token indices, wrapped with the
vectorizer into an end-to-end model that takes strings.
"""

import os
import tempfile

import numpy as np

import kerax as keras
from kerax import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

POSITIVE = ["great", "lovely", "superb", "enjoyable", "brilliant", "charming", "moving"]
NEGATIVE = ["awful", "boring", "dreadful", "clumsy", "tedious", "bland", "painful"]
FILLER = ["the", "film", "was", "a", "plot", "really", "and", "story", "quite", "acting"]


def make_reviews(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` reviews of 4 to 9 words: fillers plus two words of the review's sentiment."""
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, size=int(rng.integers(2, 8))))
        words += list(rng.choice(POSITIVE if label else NEGATIVE, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
        labels.append(label)
    return np.array(texts), np.array(labels, dtype="float32")


train_texts, train_labels = make_reviews(400)
test_texts, test_labels = make_reviews(100)

vectorizer = layers.TextVectorization(max_tokens=64, output_mode="int", output_sequence_length=12)
vectorizer.adapt(train_texts)
print("vocabulary size:", vectorizer.vocabulary_size())

inputs = keras.Input(shape=(1,), dtype="string")
x = vectorizer(inputs)
x = layers.Embedding(64, 16)(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()
model.compile(
    optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"]
)
model.fit(train_texts, train_labels, epochs=10, batch_size=32, verbose=2)

loss, accuracy = model.evaluate(test_texts, test_labels, verbose=0)
print(f"Test accuracy: {accuracy:.4f}")

new = np.array(["A superb and lovely film.", "The plot was tedious and painful."])
predictions = model.predict(new, verbose=0)[:, 0]
for text, probability in zip(new, predictions):
    print(f"P(positive | {str(text)!r}): {probability:.3f}")

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "text_classifier.keras")
    model.save(path)
    reloaded = keras.models.load_model(path)
    same = np.array_equal(reloaded.predict(new, verbose=0)[:, 0], predictions)
print("Reloaded predictions match:", same)

# Keras's export pattern: train on indices, then wrap the vectorizer around the model.
indices = keras.Input(shape=(12,), dtype="int64")
y = layers.Embedding(64, 16)(indices)
y = layers.GlobalAveragePooling1D()(y)
numeric = keras.Model(indices, layers.Dense(1)(y))
numeric.compile(
    optimizer=keras.optimizers.Adam(0.01),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
)
numeric.fit(vectorizer(train_texts), train_labels, epochs=10, batch_size=32, verbose=0)
end_to_end = keras.Sequential(
    [keras.Input(shape=(1,), dtype="string"), vectorizer, numeric, layers.Activation("sigmoid")]
)
end_to_end.compile(loss="binary_crossentropy", metrics=["accuracy"])
_, exported_accuracy = end_to_end.evaluate(test_texts, test_labels, verbose=0)
print(f"End-to-end test accuracy: {exported_accuracy:.4f}")
