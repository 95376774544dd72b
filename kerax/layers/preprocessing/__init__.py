"""Preprocessing layers with Keras's names, arguments and configs.

Image layers (``image_sizing``, ``image_geometric``, ``image_color``, ``image_warp``,
``image_erasing``, ``image_mixing``, the policies of ``image_auto``) are pure JAX
and run inside the compiled step; the random ones act only in training mode, drawing
from the train state's key. ``Pipeline`` chains layers. Numeric layers: ``Normalization`` (statistics from
``adapt`` kept as weights), ``Discretization``, ``CategoryEncoding`` and ``Hashing``.
"""

from kerax.layers.preprocessing.category_encoding import CategoryEncoding
from kerax.layers.preprocessing.discretization import Discretization
from kerax.layers.preprocessing.hashed_crossing import HashedCrossing
from kerax.layers.preprocessing.hashing import Hashing
from kerax.layers.preprocessing.image_auto import AugMix, RandAugment
from kerax.layers.preprocessing.image_color import (
    AutoContrast,
    RandomBrightness,
    RandomContrast,
    RandomGrayscale,
    Solarization,
)
from kerax.layers.preprocessing.image_color_jitter import RandomColorJitter
from kerax.layers.preprocessing.image_color_random import (
    RandomColorDegeneration,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
)
from kerax.layers.preprocessing.image_erasing import RandomErasing
from kerax.layers.preprocessing.image_filter import RandomGaussianBlur, RandomSharpness
from kerax.layers.preprocessing.image_geometric import (
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from kerax.layers.preprocessing.image_histogram import (
    ContrastLimitedAdaptiveHistogramEqualization,
    Equalization,
)
from kerax.layers.preprocessing.image_mixing import CutMix, MixUp
from kerax.layers.preprocessing.image_sizing import CenterCrop, RandomCrop, Rescaling, Resizing
from kerax.layers.preprocessing.image_warp import (
    RandomElasticTransform,
    RandomPerspective,
    RandomShear,
)
from kerax.layers.preprocessing.normalization import Normalization
from kerax.layers.preprocessing.pipeline import Pipeline

__all__ = [
    "AugMix",
    "AutoContrast",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Discretization",
    "Equalization",
    "HashedCrossing",
    "Hashing",
    "MixUp",
    "Normalization",
    "Pipeline",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Resizing",
    "Solarization",
]
