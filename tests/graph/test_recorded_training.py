"""A ``training=`` recorded when a functional graph is built yields to the mode the model
is called in, as in Keras 3: it applies only to ``model(x)`` without a mode. (Files
written by Keras record ``training`` on random layers; kerax used to keep it, so a
loaded ``RandomFlip`` flipped in ``predict``.)"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

X = np.ones((4, 200), "float32")


def _dropped(model, how):
    out = {
        "predict": lambda: model.predict(X, verbose=0),
        "call": lambda: model(X),
        "call_false": lambda: model(X, training=False),
        "call_true": lambda: model(X, training=True),
    }[how]()
    return float((np.asarray(out) == 0).mean())


@pytest.mark.parametrize("recorded", [True, False])
@pytest.mark.parametrize("how", ["predict", "call", "call_false", "call_true"])
def test_mode_of_the_call_wins_as_in_keras(recorded, how):
    results = []
    for lib in (keras, kerax):
        inputs = lib.Input((200,))
        model = lib.Model(inputs, lib.layers.Dropout(0.5)(inputs, training=recorded))
        results.append(_dropped(model, how) > 0.2)
    assert results[0] == results[1]
