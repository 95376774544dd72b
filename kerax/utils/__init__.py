"""Utilities under Keras's names."""

from kerax.backend import clear_session, is_keras_tensor, standardize_dtype
from kerax.config import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from kerax.random import set_random_seed
from kerax.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kerax.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kerax.training.progbar import Progbar
from kerax.utils._data_packing import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerax.utils._host_dataset import HostDataset
from kerax.utils._source_inputs import get_source_inputs
from kerax.utils.audio_dataset import audio_dataset_from_directory
from kerax.utils.config import Config
from kerax.utils.dataset import split_dataset
from kerax.utils.feature_space import FeatureSpace
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
    "Config",
    "CustomObjectScope",
    "DownloadError",
    "FeatureSpace",
    "HostDataset",
    "Progbar",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "audio_dataset_from_directory",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "normalize",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
