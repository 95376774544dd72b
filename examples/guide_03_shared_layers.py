"""Functional API guide: a shared layer.

Do two tweets come from the same person? Each tweet is a (280, 256) binary matrix: 280
characters, each a one-hot vector over the 256 most frequent characters. The task is
symmetric, so one LSTM encodes both tweets: calling the same layer instance twice reuses
its weights. The two codes are concatenated and a logistic regression decides.

The guide trains for 10 epochs on data it does not define; 32 random tweet pairs and two
epochs stand in here.
"""

import numpy as np

import kerax as keras
from kerax.layers import LSTM, Dense, Input
from kerax.models import Model

# Stand-in data: 32 random pairs of one-hot tweets and binary labels.
rng = np.random.default_rng(0)
data_a = np.eye(256, dtype="float32")[rng.integers(0, 256, size=(32, 280))]
data_b = np.eye(256, dtype="float32")[rng.integers(0, 256, size=(32, 280))]
labels = rng.integers(0, 2, size=(32, 1)).astype("float32")

# --- the guide's code -------------------------------------------------------------------

tweet_a = Input(shape=(280, 256))
tweet_b = Input(shape=(280, 256))

# This layer takes a matrix and returns a vector of size 64.
shared_lstm = LSTM(64)

# Calling one layer instance several times reuses its weights each time: both tweets go
# through literally the same layer.
encoded_a = shared_lstm(tweet_a)
encoded_b = shared_lstm(tweet_b)

# The two vectors are then concatenated,
merged_vector = keras.layers.concatenate([encoded_a, encoded_b], axis=-1)

# and a logistic regression goes on top.
predictions = Dense(1, activation="sigmoid")(merged_vector)

# The trainable model maps the two tweets to the prediction.
model = Model(inputs=[tweet_a, tweet_b], outputs=predictions)

model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
model.fit([data_a, data_b], labels, epochs=2)

# --- checks -----------------------------------------------------------------------------

print("encoded shapes:", tuple(encoded_a.shape), tuple(encoded_b.shape))
# One LSTM's weights, counted once, plus the Dense layer on top.
print("shared LSTM params:", shared_lstm.count_params())
print("shared-layer model params:", model.count_params())
