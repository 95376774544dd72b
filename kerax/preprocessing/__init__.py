"""``kerax.preprocessing``: Keras 3's ``keras.preprocessing`` namespace.

``image`` and ``sequence`` hold the image and sequence helpers; the three dataset
builders Keras exposes here are re-exported too. (Keras 3 has no
``keras.preprocessing.text``.)
"""

from kerax.preprocessing import image, sequence
from kerax.utils.image_dataset import image_dataset_from_directory
from kerax.utils.text_dataset import text_dataset_from_directory
from kerax.utils.timeseries import timeseries_dataset_from_array

__all__ = [
    "image",
    "image_dataset_from_directory",
    "sequence",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
