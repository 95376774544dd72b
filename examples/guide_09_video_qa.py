"""Functional API guide: a video question answering model, built from the VQA model.

The guide continues from the visual question answering model: its trained vision model
is applied to every frame of a video with ``TimeDistributed``, an LSTM reads the frame
codes, and the VQA model's question encoder is reused as a model of its own. With
suitable training this answers questions about short clips (a 100-frame video of some
action: "what sport is the boy playing?" "football"). The VQA model is defined first,
as in the guide; both models are built without training and reported.
"""

import kerax as keras
from kerax.layers import LSTM, Conv2D, Dense, Embedding, Flatten, Input, MaxPooling2D
from kerax.models import Model, Sequential

# --- the guide's VQA model (see guide_08_vqa.py) ----------------------------------------

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

image_input = Input(shape=(224, 224, 3))
encoded_image = vision_model(image_input)

question_input = Input(shape=(100,), dtype="int32")
embedded_question = Embedding(input_dim=10000, output_dim=256, input_length=100)(question_input)
encoded_question = LSTM(256)(embedded_question)

merged = keras.layers.concatenate([encoded_question, encoded_image])
output = Dense(1000, activation="softmax")(merged)
vqa_model = Model(inputs=[image_input, question_input], outputs=output)

# --- the guide's video QA model ---------------------------------------------------------

from kerax.layers import TimeDistributed  # noqa: E402

video_input = Input(shape=(100, 224, 224, 3))
# Each frame is encoded by the vision model above (its weights are reused): the output is
# a sequence of frame vectors.
encoded_frame_sequence = TimeDistributed(vision_model)(video_input)
encoded_video = LSTM(256)(encoded_frame_sequence)  # the output is a single vector

# The question encoder as a model of its own, with the same weights as in the VQA model.
question_encoder = Model(inputs=question_input, outputs=encoded_question)

# It encodes the video's question:
video_question_input = Input(shape=(100,), dtype="int32")
encoded_video_question = question_encoder(video_question_input)

# And the video question answering model:
merged = keras.layers.concatenate([encoded_video, encoded_video_question])
output = Dense(1000, activation="softmax")(merged)
video_qa_model = Model(inputs=[video_input, video_question_input], outputs=output)

# --- report -----------------------------------------------------------------------------

print("encoded frame sequence shape:", tuple(encoded_frame_sequence.shape))
print("encoded video shape:", tuple(encoded_video.shape))
print("video qa output shape:", tuple(output.shape))
print("vqa model params:", vqa_model.count_params())
print("question encoder params:", question_encoder.count_params())
print("video qa model params:", video_qa_model.count_params())
video_qa_model.summary()
