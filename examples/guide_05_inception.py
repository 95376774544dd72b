"""Functional API guide: an Inception module (Szegedy et al., "Going Deeper with
Convolutions").

Three towers read the same 256x256 RGB image in parallel (1x1 then 3x3 convolutions,
1x1 then 5x5, and 3x3 max pooling then 1x1) and their outputs are concatenated. The
model is large for a CPU, so this script builds it and reports its shapes and parameter
counts without training it.
"""

import kerax as keras
from kerax.layers import Conv2D, Input, MaxPooling2D
from kerax.models import Model

# --- the guide's code -------------------------------------------------------------------

input_img = Input(shape=(256, 256, 3))

tower_1 = Conv2D(64, (1, 1), padding="same", activation="relu")(input_img)
tower_1 = Conv2D(64, (3, 3), padding="same", activation="relu")(tower_1)

tower_2 = Conv2D(64, (1, 1), padding="same", activation="relu")(input_img)
tower_2 = Conv2D(64, (5, 5), padding="same", activation="relu")(tower_2)

tower_3 = MaxPooling2D((3, 3), strides=(1, 1), padding="same")(input_img)
tower_3 = Conv2D(64, (1, 1), padding="same", activation="relu")(tower_3)

# The guide concatenates along axis 1. With the channels-last images used here that axis
# is the image height, so the towers are stacked vertically; axis=-1 would stack their
# channels, as in the original (channels-first) Inception.
output = keras.layers.concatenate([tower_1, tower_2, tower_3], axis=1)

# --- build the model and report ---------------------------------------------------------

model = Model(input_img, output)
print("tower output shapes:", [tuple(t.shape) for t in (tower_1, tower_2, tower_3)])
print("inception output shape:", tuple(output.shape))
print("inception params:", model.count_params())
model.summary()
