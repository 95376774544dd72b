"""Functional API guide: a model with two inputs and two outputs.

The headline model predicts how much a news headline will be retweeted and liked. Its
main input is the headline as a sequence of word indices; an auxiliary input (for
example the posting time) joins after the LSTM. Besides the main output, an auxiliary
output sits directly on the LSTM, so its loss reaches the LSTM and the embedding early,
which helps them train smoothly.

The guide trains for 50 epochs on data it does not define; here 64 random samples and
two epochs stand in, with the guide's layer sizes unchanged.
"""

import numpy as np

import kerax as keras
from kerax.layers import LSTM, Dense, Embedding, Input
from kerax.models import Model

# Stand-in data: 64 headlines of 100 word indices in 1..9999, 5 extra features each, and
# binary labels.
rng = np.random.default_rng(0)
headline_data = rng.integers(1, 10000, size=(64, 100)).astype("int32")
additional_data = rng.random((64, 5), dtype=np.float32)
labels = rng.integers(0, 2, size=(64, 1)).astype("float32")

# --- the guide's code -------------------------------------------------------------------

# The headline input takes sequences of 100 integers between 1 and 10000.
# Any layer can be named with the `name` argument.
main_input = Input(shape=(100,), dtype="int32", name="main_input")

# The embedding turns each word index into a dense 512-dimensional vector.
x = Embedding(output_dim=512, input_dim=10000, input_length=100)(main_input)

# The LSTM reads the whole sequence of vectors and returns one vector summarising it.
lstm_out = LSTM(32)(x)

# The auxiliary output, trained with a smaller weight than the main one.
auxiliary_output = Dense(1, activation="sigmoid", name="aux_output")(lstm_out)

# The auxiliary input is joined to the LSTM's output...
auxiliary_input = Input(shape=(5,), name="aux_input")
x = keras.layers.concatenate([lstm_out, auxiliary_input])

# ...and a stack of densely connected layers goes on top,
x = Dense(64, activation="relu")(x)
x = Dense(64, activation="relu")(x)
x = Dense(64, activation="relu")(x)

# ending in the main logistic regression.
main_output = Dense(1, activation="sigmoid", name="main_output")(x)

# Two inputs, two outputs.
model = Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])

# One loss string applies to every output; the auxiliary loss is weighted by 0.2.
model.compile(optimizer="rmsprop", loss="binary_crossentropy", loss_weights=[1.0, 0.2])

# Inputs and targets are given as lists, in the model's order.
history = model.fit([headline_data, additional_data], [labels, labels], epochs=2, batch_size=32)
print("list form, final loss:", history.history["loss"][-1])

# Because the inputs and outputs are named, dicts keyed by those names work too.
model.compile(
    optimizer="rmsprop",
    loss={"main_output": "binary_crossentropy", "aux_output": "binary_crossentropy"},
    loss_weights={"main_output": 1.0, "aux_output": 0.2},
)

# and training takes dicts as well:
history = model.fit(
    {"main_input": headline_data, "aux_input": additional_data},
    {"main_output": labels, "aux_output": labels},
    epochs=2,
    batch_size=32,
)
print("dict form, final loss:", history.history["loss"][-1])

# --- checks -----------------------------------------------------------------------------

print("output shapes:", [tuple(t.shape) for t in model.outputs])
print("headline model params:", model.count_params())
main_pred, aux_pred = model.predict([headline_data[:4], additional_data[:4]], verbose=0)
print("prediction shapes:", main_pred.shape, aux_pred.shape)
