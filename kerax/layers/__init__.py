"""Layers with Keras's names, arguments, defaults and weight layout."""

from kerax.layers._base import InputSpec, Layer
from kerax.layers.core import Activation, Dense, Identity, Lambda, Masking
from kerax.layers.input_layer import Input, InputLayer
from kerax.layers.merging import Add, Concatenate, add, concatenate
from kerax.layers.normalization import BatchNormalization
from kerax.layers.regularization import Dropout
from kerax.layers.reshaping import Flatten, Permute, RepeatVector, Reshape

__all__ = [
    "Activation",
    "Add",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dropout",
    "Flatten",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "Lambda",
    "Layer",
    "Masking",
    "Permute",
    "RepeatVector",
    "Reshape",
    "add",
    "concatenate",
]
