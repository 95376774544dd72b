"""Functional API guide, first example: a densely connected network.

The guide's first model, trained briefly on random stand-in data (the guide leaves
``data`` and ``labels`` undefined), then reused as if it were a layer: called on a new
input tensor, and wrapped in ``TimeDistributed`` to classify every step of a sequence.
"""

import numpy as np

import kerax as keras
from kerax.layers import Dense, Input
from kerax.models import Model

# Stand-in data: 64 random 784-dimensional samples with one-hot labels over 10 classes.
rng = np.random.default_rng(0)
data = rng.random((64, 784), dtype=np.float32)
labels = keras.utils.to_categorical(rng.integers(0, 10, size=(64,)), num_classes=10)

# --- the guide's code -------------------------------------------------------------------

# Input() gives back a symbolic tensor
inputs = Input(shape=(784,))

# calling a layer instance on a tensor gives back a tensor
x = Dense(64, activation="relu")(inputs)
x = Dense(64, activation="relu")(x)
predictions = Dense(10, activation="softmax")(x)

# the model ties the Input to the output of the three Dense layers
model = Model(inputs=inputs, outputs=predictions)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(data, labels)  # trains the model

# Every model is callable like a layer: its structure and its weights are reused.
x = Input(shape=(784,))
# the same 10-way softmax as above, applied to the new input
y = model(x)

from kerax.layers import TimeDistributed  # noqa: E402

# A batch of sequences of 20 steps, each step a 784-dimensional vector.
input_sequences = Input(shape=(20, 784))

# Apply the model above to every step: the output is a sequence of 20 softmax vectors of
# size 10.
processed_sequences = TimeDistributed(model)(input_sequences)

# --- checks -----------------------------------------------------------------------------

print("model(x) output shape:", tuple(y.shape))
print("TimeDistributed(model) output shape:", tuple(processed_sequences.shape))
print("model params:", model.count_params())

# Reusing the model reuses its trained weights: the wrapped model gives, at each step, the
# same prediction as the model itself.
sequence_model = Model(input_sequences, processed_sequences)
print("sequence model params:", sequence_model.count_params())
sequences = rng.random((2, 20, 784), dtype=np.float32)
per_step = sequence_model.predict(sequences, verbose=0)
direct = model.predict(sequences.reshape(-1, 784), verbose=0).reshape(2, 20, 10)
print("TimeDistributed matches the model:", bool(np.allclose(per_step, direct, atol=1e-5)))
