"""Layers with Keras's names, arguments, defaults and weight layout."""

from kerax.layers._base import InputSpec, Layer
from kerax.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerax.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from kerax.layers.attention import AdditiveAttention, Attention
from kerax.layers.audio import MelSpectrogram, STFTSpectrogram
from kerax.layers.batch_normalization import BatchNormalization
from kerax.layers.conv import Conv1D, Conv2D, Conv3D
from kerax.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerax.layers.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from kerax.layers.core import Activation, Dense, Identity, Lambda, Masking
from kerax.layers.cropping import Cropping1D, Cropping2D, Cropping3D
from kerax.layers.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from kerax.layers.einsum_dense import EinsumDense
from kerax.layers.embedding import Embedding
from kerax.layers.global_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
from kerax.layers.group_query_attention import GroupedQueryAttention
from kerax.layers.gru import GRU, GRUCell
from kerax.layers.input_layer import Input, InputLayer
from kerax.layers.jax_layer import JaxLayer
from kerax.layers.lstm import LSTM, LSTMCell
from kerax.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from kerax.layers.multi_head_attention import MultiHeadAttention
from kerax.layers.normalization import (
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from kerax.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from kerax.layers.preprocessing import (
    AugMix,
    AutoContrast,
    CategoryEncoding,
    CenterCrop,
    ContrastLimitedAdaptiveHistogramEqualization,
    CutMix,
    Discretization,
    Equalization,
    HashedCrossing,
    Hashing,
    MixUp,
    Normalization,
    Pipeline,
    RandAugment,
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomCrop,
    RandomElasticTransform,
    RandomErasing,
    RandomFlip,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPerspective,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    Solarization,
)
from kerax.layers.preprocessing_text import IntegerLookup, StringLookup, TextVectorization
from kerax.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from kerax.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from kerax.layers.reversible_embedding import ReversibleEmbedding
from kerax.layers.rms_normalization import RMSNormalization
from kerax.layers.rnn import RNN, StackedRNNCells
from kerax.layers.separable_conv import SeparableConv1D, SeparableConv2D
from kerax.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from kerax.layers.spectral_normalization import SpectralNormalization
from kerax.layers.upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from kerax.layers.wrappers import Bidirectional, TimeDistributed
from kerax.layers.zero_padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

__all__ = [
    "Activation",
    "ActivityRegularization",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "Add",
    "AdditiveAttention",
    "AlphaDropout",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AugMix",
    "AutoContrast",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Concatenate",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Discretization",
    "Equalization",
    "Dot",
    "Dropout",
    "ELU",
    "EinsumDense",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "HashedCrossing",
    "Hashing",
    "Identity",
    "Input",
    "InputLayer",
    "JaxLayer",
    "InputSpec",
    "IntegerLookup",
    "LSTM",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "MelSpectrogram",
    "Minimum",
    "MixUp",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
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
    "RNN",
    "ReLU",
    "Rescaling",
    "RepeatVector",
    "Reshape",
    "Resizing",
    "ReversibleEmbedding",
    "SeparableConv1D",
    "SeparableConv2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "Solarization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "STFTSpectrogram",
    "StackedRNNCells",
    "StringLookup",
    "Subtract",
    "TextVectorization",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

# Keras's other spellings of the same classes (``MaxPool2D is MaxPooling2D``).
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
GroupQueryAttention = GroupedQueryAttention
__all__ += [
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GroupQueryAttention",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "RMSNormalization",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]


def serialize(layer: Layer) -> dict:
    """Keras's config form of a layer: ``{"module", "class_name", "config", ...}``."""
    from kerax.saving import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """The layer a Keras config describes; ``custom_objects`` maps names to the user's
    classes."""
    from kerax.saving import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, kind="layer")


__all__ += ["deserialize", "serialize"]
