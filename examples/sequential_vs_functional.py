"""Sequential vs. functional: the two models of "Keras Models: Sequential vs. Functional".

The Sequential API stacks layers one after another; the functional API connects layers
explicitly, which also allows several inputs or outputs and shared layers. Both models
of the article are built here, summarised, and run on a few inputs.
"""

import numpy as np

from kerax.layers import Dense
from kerax.models import Sequential

# --- the Sequential model ---------------------------------------------------------------

model = Sequential()
model.add(Dense(2, input_dim=1))

print("sequential output shape:", model.output_shape)
print("sequential params:", model.count_params())
model.summary()
print("sequential predictions:", model.predict(np.array([[0.0], [1.0], [2.0]]), verbose=0).shape)

# --- the functional model ---------------------------------------------------------------

from kerax.layers import Input  # noqa: E402
from kerax.models import Model  # noqa: E402

# The input. A functional model starts from a standalone Input layer that declares the
# shape of one sample; the batch dimension is left out, so one-dimensional data of 2
# features has shape (2,).
visible = Input(shape=(2,))

# Connecting layers. Each new layer is called on the tensor it reads from, here the
# Input above feeding a Dense layer.
hidden = Dense(2)(visible)

# The model. Once the layers are connected, Model ties the input to the output; like a
# Sequential model, it can be summarised, trained, evaluated and used for predictions.
model = Model(inputs=visible, outputs=hidden)

print("functional output shape:", model.output_shape)
print("functional params:", model.count_params())
model.summary()
print(
    "functional predictions:",
    model.predict(np.array([[0.0, 1.0], [2.0, 3.0]]), verbose=0).shape,
)
