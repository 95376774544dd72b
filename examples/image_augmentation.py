"""An image classifier with augmentation layers inside the model, on the bundled digits.

``Rescaling`` maps the 0..16 pixel counts to [0, 1]; ``RandomTranslation`` and
``RandomRotation`` move each training image a little, with new draws every step (from
the train state's key) and no effect in ``evaluate`` / ``predict``. The model is saved
to a ``.keras`` file and reloaded; the reloaded copy predicts exactly as the original.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

import kerax as keras
from kerax import layers
from kerax.datasets import digits


def main() -> None:
    keras.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train[..., None], x_test[..., None]  # (n, 8, 8, 1), uint8

    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),  # uint8 data is cast to the Input's float32
            layers.Rescaling(1.0 / 16),
            layers.RandomTranslation(0.1, 0.1),
            layers.RandomRotation(0.05),
            layers.Conv2D(16, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=12, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits.keras")
        model.save(path)
        again = keras.models.load_model(path)
    same = np.allclose(model.predict(x_test, verbose=0), again.predict(x_test, verbose=0))
    print(f"Reloaded predictions match: {same}")


if __name__ == "__main__":
    main()
