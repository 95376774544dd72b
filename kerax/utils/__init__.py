"""Utilities under Keras's names."""

from kerax.backend import clear_session, is_keras_tensor, standardize_dtype
from kerax.random import set_random_seed
from kerax.saving.object_registration import CustomObjectScope, custom_object_scope
from kerax.training.progbar import Progbar
from kerax.utils._host_dataset import HostDataset
from kerax.utils.audio_dataset import audio_dataset_from_directory
from kerax.utils.dataset import split_dataset
from kerax.utils.file_utils import DownloadError, get_file
from kerax.utils.image_dataset import image_dataset_from_directory
from kerax.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerax.utils.numerical import normalize, to_categorical
from kerax.utils.plot import plot_model
from kerax.utils.py_dataset import PyDataset, Sequence
from kerax.utils.sequences import pad_sequences
from kerax.utils.text_dataset import text_dataset_from_directory
from kerax.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "CustomObjectScope",
    "DownloadError",
    "HostDataset",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "audio_dataset_from_directory",
    "clear_session",
    "custom_object_scope",
    "get_file",
    "image_dataset_from_directory",
    "img_to_array",
    "is_keras_tensor",
    "load_img",
    "normalize",
    "pad_sequences",
    "plot_model",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
]
