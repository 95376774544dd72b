"""Functional API guide: a shared vision model.

Are two MNIST-sized digits the same digit? One vision module (two convolutions, a max
pooling and a flatten) encodes both images, weights and all, and a logistic regression
on the two concatenated codes decides. The guide only builds the model; this script
also runs it on a few random image pairs.
"""

import numpy as np

import kerax as keras
from kerax.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from kerax.models import Model

# --- the guide's code -------------------------------------------------------------------

# First, the vision module.
digit_input = Input(shape=(27, 27, 1))
x = Conv2D(64, (3, 3))(digit_input)
x = Conv2D(64, (3, 3))(x)
x = MaxPooling2D((2, 2))(x)
out = Flatten()(x)

vision_model = Model(digit_input, out)

# Then the model that tells the two digits apart.
digit_a = Input(shape=(27, 27, 1))
digit_b = Input(shape=(27, 27, 1))

# Both images go through the same vision model, so its weights are shared.
out_a = vision_model(digit_a)
out_b = vision_model(digit_b)

concatenated = keras.layers.concatenate([out_a, out_b])
out = Dense(1, activation="sigmoid")(concatenated)

classification_model = Model([digit_a, digit_b], out)

# --- report -----------------------------------------------------------------------------

print("vision output shape:", tuple(out_a.shape))
print("classification output shape:", tuple(out.shape))
print("vision model params:", vision_model.count_params())
print("classification model params:", classification_model.count_params())
classification_model.summary()

rng = np.random.default_rng(0)
images_a = rng.random((4, 27, 27, 1), dtype=np.float32)
images_b = rng.random((4, 27, 27, 1), dtype=np.float32)
print("predictions shape:", classification_model.predict([images_a, images_b], verbose=0).shape)
