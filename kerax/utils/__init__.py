"""Utilities under Keras's names."""

from kerax.backend import clear_session
from kerax.random import set_random_seed
from kerax.utils.dataset import split_dataset
from kerax.utils.numerical import normalize, to_categorical
from kerax.utils.plot import plot_model
from kerax.utils.sequences import pad_sequences

__all__ = [
    "clear_session",
    "normalize",
    "pad_sequences",
    "plot_model",
    "set_random_seed",
    "split_dataset",
    "to_categorical",
]
