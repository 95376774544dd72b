"""The functional API guide's first model, trained on the bundled handwritten digits.

Dense(64, relu) -> Dense(64, relu) -> Dense(10, softmax) on the 8x8 digits flattened to 64
features scaled to [0, 1]; RMSprop, categorical cross-entropy, 20 epochs. The dataset
ships with kerax (see ``kerax.datasets.digits``), so no download is needed.
"""

import kerax as keras
from kerax.datasets import digits
from kerax.layers import Dense, Input
from kerax.models import Model

keras.utils.set_random_seed(0)

(x_train, y_train), (x_test, y_test) = digits.load_data()
x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
x_test = x_test.reshape(-1, 64).astype("float32") / 16.0
y_train = keras.utils.to_categorical(y_train, num_classes=10)
y_test = keras.utils.to_categorical(y_test, num_classes=10)

inputs = Input(shape=(64,))
x = Dense(64, activation="relu")(inputs)
x = Dense(64, activation="relu")(x)
predictions = Dense(10, activation="softmax")(x)

model = Model(inputs=inputs, outputs=predictions)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")
