"""Functional API guide: a residual connection around a convolution (He et al., "Deep
Residual Learning for Image Recognition").

The convolution keeps the input's 3 channels, so its output can be added back to the
input. This script builds the model and reports its shapes and parameter count; it is
small enough to also run it on one random image and check the sum.
"""

import numpy as np

import kerax as keras
from kerax.layers import Conv2D, Input
from kerax.models import Model

# --- the guide's code -------------------------------------------------------------------

# an input tensor for 256x256 images with 3 channels
x = Input(shape=(256, 256, 3))
# a 3x3 convolution with 3 output channels, as many as the input has
y = Conv2D(3, (3, 3), padding="same")(x)
# z is x + y
z = keras.layers.add([x, y])

# --- build the model and report ---------------------------------------------------------

model = Model(x, z)
print("residual output shape:", tuple(z.shape))
print("residual params:", model.count_params())
model.summary()

conv_only = Model(x, y)
image = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
residual = model.predict(image, verbose=0) - conv_only.predict(image, verbose=0)
print("output minus conv equals input:", bool(np.allclose(residual, image, atol=1e-5)))
