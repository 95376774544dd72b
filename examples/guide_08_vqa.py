"""Functional API guide: a visual question answering model.

Given a picture and a question about it in natural language, pick a one-word answer. The
image is encoded by a convolutional vision model (a Sequential model), the question by
an embedding and an LSTM; the two vectors are concatenated and a logistic regression
over 1000 candidate answers goes on top. The model takes 224x224 images, too big to
train here, so this script builds it and reports its shapes and parameter counts.
"""

import kerax as keras
from kerax.layers import LSTM, Conv2D, Dense, Embedding, Flatten, Input, MaxPooling2D
from kerax.models import Model, Sequential

# --- the guide's code -------------------------------------------------------------------

# The vision model, a Sequential model that encodes an image into a vector.
vision_model = Sequential()
vision_model.add(Conv2D(64, (3, 3), activation="relu", padding="same", input_shape=(224, 224, 3)))
vision_model.add(Conv2D(64, (3, 3), activation="relu"))
vision_model.add(MaxPooling2D((2, 2)))
vision_model.add(Conv2D(128, (3, 3), activation="relu", padding="same"))
vision_model.add(Conv2D(128, (3, 3), activation="relu"))
vision_model.add(MaxPooling2D((2, 2)))
vision_model.add(Conv2D(256, (3, 3), activation="relu", padding="same"))
vision_model.add(Conv2D(256, (3, 3), activation="relu"))
vision_model.add(Conv2D(256, (3, 3), activation="relu"))
vision_model.add(MaxPooling2D((2, 2)))
vision_model.add(Flatten())

# The vision model's output for an image input:
image_input = Input(shape=(224, 224, 3))
encoded_image = vision_model(image_input)

# The language model that encodes the question into a vector. Questions have at most 100
# words, indexed by integers from 1 to 9999.
question_input = Input(shape=(100,), dtype="int32")
embedded_question = Embedding(input_dim=10000, output_dim=256, input_length=100)(question_input)
encoded_question = LSTM(256)(embedded_question)

# Join the question vector and the image vector,
merged = keras.layers.concatenate([encoded_question, encoded_image])

# and put a logistic regression over 1000 words on top.
output = Dense(1000, activation="softmax")(merged)

# The complete model:
vqa_model = Model(inputs=[image_input, question_input], outputs=output)

# Training it on real data would come next.

# --- report -----------------------------------------------------------------------------

print("encoded image shape:", tuple(encoded_image.shape))
print("encoded question shape:", tuple(encoded_question.shape))
print("vqa output shape:", tuple(output.shape))
print("vision model params:", vision_model.count_params())
print("vqa model params:", vqa_model.count_params())
vqa_model.summary()
