"""Preprocessing layers with Keras's names, arguments and configs.

Image layers (``image_sizing``, ``image_geometric``, ``image_color``) are pure JAX
and run inside the compiled step; the random ones act only in training mode, drawing
from the train state's key. Numeric layers: ``Normalization`` (statistics from
``adapt`` kept as weights), ``Discretization``, ``CategoryEncoding`` and ``Hashing``.
"""

from kerax.layers.preprocessing.category_encoding import CategoryEncoding
from kerax.layers.preprocessing.discretization import Discretization
from kerax.layers.preprocessing.hashing import Hashing
from kerax.layers.preprocessing.image_color import (
    AutoContrast,
    RandomBrightness,
    RandomContrast,
    RandomGrayscale,
    Solarization,
)
from kerax.layers.preprocessing.image_geometric import (
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from kerax.layers.preprocessing.image_sizing import CenterCrop, RandomCrop, Rescaling, Resizing
from kerax.layers.preprocessing.normalization import Normalization

__all__ = [
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "Discretization",
    "Hashing",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomGrayscale",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "Solarization",
]
