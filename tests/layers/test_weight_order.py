"""Every public layer lists its weights as Keras 3 does, and takes Keras's weights.

For each layer class in ``kerax.layers`` (the table below, checked against the public
names so a new layer without an entry fails), the same configuration is built in both
libraries on the same input, then:

1. the weight signatures agree, in order: ``(name, shape, dtype, trainable)`` of every
   entry of ``layer.weights``;
2. ``kerax_layer.set_weights(keras_layer.get_weights())`` (after giving Keras random
   weights) makes the inference outputs equal;
3. by path rather than by position: a ``.weights.h5`` file kerax writes for a model
   around the layer loads into the Keras twin, weight for weight.

Whole models (nested models, ``Sequential`` inside a functional model, branches, shared
and frozen layers) check the same, with each weight's owner among ``model.layers`` in
the signature, plus the trainable and non-trainable lists.

The variable's *path* is not compared: Keras's depends on the name scope a weight was
created under (``sequential/dense/kernel`` when the Sequential built it, ``dense/kernel``
when a symbolic call did), and kerax keeps RNN weights on the RNN layer itself, not on a
``cell`` sublayer (``.weights.h5`` files still use Keras's cell paths).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import jax
import keras
import numpy as np
import pytest

import kerax
from tests.harness import copy_keras_weights, weight_signature

TOL = {"rtol": 1e-5, "atol": 1e-5}


def _one(layer: Any, xs: list[np.ndarray]) -> Any:
    return layer(xs[0])


def _listed(layer: Any, xs: list[np.ndarray]) -> Any:
    return layer(list(xs))


def _query_value(layer: Any, xs: list[np.ndarray]) -> Any:
    return layer(xs[0], xs[1])


def _finalized(layer: Any, xs: list[np.ndarray]) -> Any:
    # Keras's Normalization reads weights set by set_weights only after finalize_state.
    layer.finalize_state()
    return layer(xs[0])


def _inference(layer: Any, xs: list[np.ndarray]) -> Any:
    # Random preprocessing layers default to training mode when called directly.
    return layer(xs[0], training=False)


@dataclasses.dataclass(frozen=True)
class Case:
    """One configuration of one layer class.

    Attributes:
        cls: The class under test, by its name in both ``kerax.layers`` and
            ``keras.layers``.
        shapes: Input shapes, batch included.
        kwargs: Constructor arguments, or ``lib -> arguments`` when they hold layers.
        layer: Builds the layer from ``lib`` when it is not ``cls(**kwargs)``.
        call: ``(layer, inputs) -> outputs``.
        dtype: Dtype of the inputs (integers are drawn in ``[0, 5)``).
        name: Test id suffix.
    """

    cls: str
    shapes: tuple[tuple[int, ...], ...]
    kwargs: dict[str, Any] | Callable[[Any], dict[str, Any]] = dataclasses.field(
        default_factory=dict
    )
    layer: Callable[[Any], Any] | None = None
    call: Callable[[Any, list[np.ndarray]], Any] = _one
    dtype: str = "float32"
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.cls}-{self.name}" if self.name else self.cls

    def build(self, lib: Any) -> Any:
        if self.layer is not None:
            return self.layer(lib)
        kwargs = self.kwargs(lib) if callable(self.kwargs) else self.kwargs
        return getattr(lib.layers, self.cls)(**kwargs)


def _seq(t: int = 3, f: int = 4) -> tuple[tuple[int, ...], ...]:
    return ((2, t, f),)


def _img(rank: int, size: int = 4, channels: int = 3) -> tuple[tuple[int, ...], ...]:
    return ((2, *([size] * rank), channels),)


def _rnn_of(*cells: Callable[[Any], Any], **kwargs: Any) -> Callable[[Any], Any]:
    def build(lib: Any) -> Any:
        made = [make(lib) for make in cells]
        return lib.layers.RNN(made[0] if len(made) == 1 else made, **kwargs)

    return build


def _stacked(lib: Any) -> Any:
    cells = [lib.layers.LSTMCell(2), lib.layers.GRUCell(3), lib.layers.SimpleRNNCell(2)]
    return lib.layers.RNN(lib.layers.StackedRNNCells(cells), return_sequences=True)


CASES: list[Case] = [
    # core
    Case("Dense", ((2, 3),), {"units": 4}),
    Case("Dense", ((2, 2, 3),), {"units": 2, "use_bias": False}, name="no_bias"),
    Case("EinsumDense", ((2, 3),), {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}),
    Case(
        "EinsumDense",
        ((2, 3, 4),),
        {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"},
        name="3d",
    ),
    Case("Embedding", ((2, 3),), {"input_dim": 5, "output_dim": 2}, dtype="int32"),
    Case(
        "Embedding",
        ((2, 3),),
        {"input_dim": 5, "output_dim": 2, "mask_zero": True},
        dtype="int32",
        name="mask_zero",
    ),
    Case("Activation", ((2, 3),), {"activation": "tanh"}),
    Case("Identity", ((2, 3),)),
    Case("Lambda", ((2, 3),), {"function": lambda x: x * 2.0}),
    Case("Masking", ((2, 3, 4),)),
    Case("ActivityRegularization", ((2, 3),), {"l1": 0.1}),
    # activations
    Case("ReLU", ((2, 3),), {"max_value": 1.0}),
    Case("LeakyReLU", ((2, 3),)),
    Case("ELU", ((2, 3),)),
    Case("Softmax", ((2, 3),)),
    Case("PReLU", ((2, 3),)),
    Case("PReLU", ((2, 4, 4, 3),), {"shared_axes": [1, 2]}, name="shared_axes"),
    # normalization
    Case("BatchNormalization", ((4, 3),)),
    Case("BatchNormalization", ((2, 3, 4, 4),), {"axis": 1}, name="axis1"),
    Case("BatchNormalization", ((4, 3),), {"center": False}, name="no_center"),
    Case("BatchNormalization", ((4, 3),), {"scale": False}, name="no_scale"),
    Case("LayerNormalization", ((2, 3, 4),)),
    Case("RMSNormalization", ((2, 3, 4),)),
    Case("RMSNormalization", ((2, 3, 4),), {"axis": [1, 2], "epsilon": 0.1}, name="axes"),
    Case("LayerNormalization", ((2, 3, 4),), {"axis": [1, 2], "center": False}, name="axes"),
    Case("GroupNormalization", ((2, 4, 4),), {"groups": 2}),
    Case("GroupNormalization", ((2, 4, 4),), {"groups": 2, "scale": False}, name="no_scale"),
    Case("UnitNormalization", ((2, 3),)),
    # regularization (identities at inference)
    Case("Dropout", ((2, 3),), {"rate": 0.5}),
    Case("SpatialDropout1D", _seq(), {"rate": 0.5}),
    Case("SpatialDropout2D", _img(2), {"rate": 0.5}),
    Case("SpatialDropout3D", _img(3, 2), {"rate": 0.5}),
    Case("GaussianNoise", ((2, 3),), {"stddev": 0.1}),
    Case("GaussianDropout", ((2, 3),), {"rate": 0.1}),
    Case("AlphaDropout", ((2, 3),), {"rate": 0.1}),
    # reshaping
    Case("Flatten", ((2, 3, 4),)),
    Case("Reshape", ((2, 12),), {"target_shape": (2, 6)}),
    Case("Permute", ((2, 3, 4),), {"dims": (2, 1)}),
    Case("RepeatVector", ((2, 4),), {"n": 3}),
    Case("Cropping1D", _seq(5), {"cropping": 1}),
    Case("Cropping2D", _img(2), {"cropping": 1}),
    Case("Cropping3D", _img(3), {"cropping": 1}),
    Case("ZeroPadding1D", _seq(), {"padding": 1}),
    Case("ZeroPadding2D", _img(2), {"padding": 1}),
    Case("ZeroPadding3D", _img(3, 2), {"padding": 1}),
    Case("UpSampling1D", _seq()),
    Case("UpSampling2D", _img(2, 2)),
    Case("UpSampling3D", _img(3, 2)),
    # merging
    *(Case(c, ((2, 3), (2, 3)), call=_listed) for c in ("Add", "Subtract", "Multiply")),
    *(Case(c, ((2, 3), (2, 3)), call=_listed) for c in ("Average", "Maximum", "Minimum")),
    Case("Concatenate", ((2, 3), (2, 2)), call=_listed),
    Case("Dot", ((2, 3), (2, 3)), {"axes": 1}, call=_listed),
    # pooling
    *(
        Case(f"{k}Pooling{r}D", _img(r), {"pool_size": 2})
        for k in ("Max", "Average")
        for r in (1, 2, 3)
    ),
    *(Case(f"Global{k}Pooling{r}D", _img(r)) for k in ("Max", "Average") for r in (1, 2, 3)),
    # convolutions
    *(Case(f"Conv{r}D", _img(r), {"filters": 2, "kernel_size": 2}) for r in (1, 2, 3)),
    Case("Conv2D", _img(2), {"filters": 2, "kernel_size": 2, "use_bias": False}, name="no_bias"),
    Case("Conv2D", _img(2, 4, 4), {"filters": 4, "kernel_size": 1, "groups": 2}, name="groups"),
    *(
        Case(f"Conv{r}DTranspose", _img(r, 3), {"filters": 2, "kernel_size": 2, "strides": 2})
        for r in (1, 2, 3)
    ),
    *(Case(f"DepthwiseConv{r}D", _img(r), {"kernel_size": 2}) for r in (1, 2)),
    Case(
        "DepthwiseConv2D",
        _img(2),
        {"kernel_size": 2, "depth_multiplier": 2, "use_bias": False},
        name="multiplier",
    ),
    *(Case(f"SeparableConv{r}D", _img(r), {"filters": 2, "kernel_size": 2}) for r in (1, 2)),
    Case(
        "SeparableConv2D",
        _img(2),
        {"filters": 2, "kernel_size": 2, "depth_multiplier": 2, "use_bias": False},
        name="multiplier",
    ),
    # attention
    Case("Attention", ((2, 3, 4), (2, 2, 4)), call=_listed),
    Case(
        "Attention",
        ((2, 3, 4), (2, 2, 4)),
        {"use_scale": True, "score_mode": "concat"},
        call=_listed,
        name="scale_concat",
    ),
    Case("AdditiveAttention", ((2, 3, 4), (2, 2, 4)), call=_listed),
    Case(
        "AdditiveAttention",
        ((2, 3, 4), (2, 2, 4)),
        {"use_scale": False},
        call=_listed,
        name="no_scale",
    ),
    Case(
        "MultiHeadAttention",
        ((2, 3, 4), (2, 2, 4)),
        {"num_heads": 2, "key_dim": 2},
        call=_query_value,
    ),
    Case(
        "MultiHeadAttention",
        ((2, 3, 4), (2, 2, 5)),
        {"num_heads": 2, "key_dim": 2, "use_bias": False, "output_shape": 6},
        call=_query_value,
        name="no_bias",
    ),
    Case(
        "GroupQueryAttention",
        ((2, 3, 5), (2, 4, 5)),
        {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
        call=_query_value,
    ),
    Case(
        "GroupQueryAttention",
        ((2, 3, 4), (2, 2, 4)),
        {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1, "use_bias": False},
        call=_query_value,
        name="mqa_no_bias",
    ),
    # recurrent
    Case("SimpleRNN", _seq(), {"units": 2}),
    Case("GRU", _seq(), {"units": 2}),
    Case(
        "GRU",
        _seq(),
        {"units": 2, "reset_after": False, "return_sequences": True},
        name="reset_before",
    ),
    Case("LSTM", _seq(), {"units": 2}),
    Case("LSTM", _seq(), {"units": 2, "use_bias": False}, name="no_bias"),
    Case("RNN", _seq(), layer=_rnn_of(lambda lib: lib.layers.LSTMCell(2)), name="lstm_cell"),
    Case(
        "RNN",
        _seq(),
        layer=_rnn_of(lambda lib: lib.layers.GRUCell(2), lambda lib: lib.layers.SimpleRNNCell(3)),
        name="cell_list",
    ),
    Case("SimpleRNNCell", _seq(), layer=_rnn_of(lambda lib: lib.layers.SimpleRNNCell(2))),
    Case("GRUCell", _seq(), layer=_rnn_of(lambda lib: lib.layers.GRUCell(2))),
    Case("LSTMCell", _seq(), layer=_rnn_of(lambda lib: lib.layers.LSTMCell(2))),
    Case("StackedRNNCells", _seq(), layer=_stacked),
    Case("ConvLSTM1D", ((2, 2, 5, 3),), {"filters": 2, "kernel_size": 2}),
    Case(
        "ConvLSTM1D",
        ((2, 2, 3, 5),),
        {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "return_sequences": True},
        name="channels_first",
    ),
    Case("ConvLSTM2D", ((2, 2, 4, 4, 3),), {"filters": 2, "kernel_size": 2}),
    Case("ConvLSTM3D", ((2, 2, 3, 3, 3, 2),), {"filters": 2, "kernel_size": 2}),
    Case(
        "ConvLSTM3D",
        ((2, 2, 2, 3, 3, 3),),
        {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "return_state": True},
        name="channels_first",
    ),
    Case(
        "ConvLSTM2D",
        ((2, 2, 4, 4, 3),),
        {"filters": 2, "kernel_size": 2, "use_bias": False},
        name="no_bias",
    ),
    # wrappers
    Case("Bidirectional", _seq(), lambda lib: {"layer": lib.layers.LSTM(2)}),
    Case(
        "Bidirectional",
        _seq(),
        lambda lib: {
            "layer": lib.layers.GRU(2, return_sequences=True),
            "backward_layer": lib.layers.GRU(3, go_backwards=True, return_sequences=True),
        },
        name="backward_layer",
    ),
    Case(
        "Bidirectional",
        _seq(),
        lambda lib: {"layer": lib.layers.RNN(lib.layers.LSTMCell(2))},
        name="rnn_cell",
    ),
    Case("TimeDistributed", _seq(), lambda lib: {"layer": lib.layers.Dense(2)}),
    Case(
        "TimeDistributed",
        ((2, 2, 4, 4, 3),),
        lambda lib: {"layer": lib.layers.Conv2D(2, 2)},
        name="conv",
    ),
    Case(
        "TimeDistributed",
        _seq(),
        lambda lib: {"layer": lib.layers.BatchNormalization()},
        name="batch_norm",
    ),
    # preprocessing: numeric
    Case("Normalization", ((2, 3),), call=_finalized),
    Case("Normalization", ((2, 3, 4),), {"axis": (1, 2)}, call=_finalized, name="axes"),
    Case("Normalization", ((2, 3),), {"mean": 1.0, "variance": 4.0}, name="given"),
    Case("Discretization", ((2, 3),), {"bin_boundaries": [-0.5, 0.0, 0.5]}),
    Case("CategoryEncoding", ((2, 3),), {"num_tokens": 5}, dtype="int32"),
    # preprocessing: images (random layers at inference, where they are identities)
    Case("Rescaling", _img(2), {"scale": 0.5, "offset": 1.0}),
    Case("Resizing", _img(2), {"height": 3, "width": 5}),
    Case("CenterCrop", _img(2), {"height": 2, "width": 3}),
    # Keras 3.15's RandomCrop returns its input uncropped at inference; at the target
    # size both libraries return the input.
    Case("RandomCrop", _img(2), {"height": 4, "width": 4}, call=_inference),
    Case("RandomFlip", _img(2), call=_inference),
    Case("RandomRotation", _img(2), {"factor": 0.2}, call=_inference),
    Case("RandomZoom", _img(2), {"height_factor": 0.2}, call=_inference),
    Case(
        "RandomTranslation", _img(2), {"height_factor": 0.2, "width_factor": 0.1}, call=_inference
    ),
    Case("RandomContrast", _img(2), {"factor": 0.2}, call=_inference),
    Case("RandomBrightness", _img(2), {"factor": 0.2}, call=_inference),
    Case("RandomGrayscale", _img(2), call=_inference),
    Case("AutoContrast", _img(2)),
    Case("Solarization", _img(2), {"addition_factor": 0.2}, call=_inference),
    # pooling to a given size, embeddings, spectral normalization
    *(
        Case(f"Adaptive{k}Pooling{r}D", _img(r, size=5), {"output_size": 3})
        for k in ("Max", "Average")
        for r in (1, 2, 3)
    ),
    Case("ReversibleEmbedding", ((2, 3),), {"input_dim": 5, "output_dim": 2}, dtype="int32"),
    Case(
        "ReversibleEmbedding",
        ((2, 3),),
        {"input_dim": 5, "output_dim": 2, "tie_weights": False},
        dtype="int32",
        name="untied",
    ),
    Case("SpectralNormalization", ((2, 3),), lambda lib: {"layer": lib.layers.Dense(4)}),
    Case(
        "SpectralNormalization",
        _img(2),
        lambda lib: {"layer": lib.layers.Conv2D(2, 3), "power_iterations": 2},
        name="conv",
    ),
    # preprocessing: image colour, histogram and filter layers
    # Keras 3.15's Equalization returns its symbolic input as its output (a graph cycle),
    # so no Keras model can wrap it; it has no weights, and the arrays check its numbers,
    # image by image (Keras pools a batch's histograms, kerax does not).
    Case(
        "Equalization",
        _img(2),
        call=lambda layer, xs: (
            np.stack([layer(x) for x in xs[0]]) if isinstance(xs[0], np.ndarray) else xs[0]
        ),
    ),
    Case("ContrastLimitedAdaptiveHistogramEqualization", _img(2), {"tile_grid_size": (2, 2)}),
    Case("RandomColorDegeneration", _img(2), {"factor": 0.5}, call=_inference),
    Case("RandomColorJitter", _img(2), {"hue_factor": 0.2}, call=_inference),
    Case("RandomHue", _img(2), {"factor": 0.2}, call=_inference),
    Case("RandomSaturation", _img(2), {"factor": 0.2}, call=_inference),
    Case("RandomInvert", _img(2), call=_inference),
    Case("RandomPosterization", _img(2), {"factor": 4}, call=_inference),
    Case("RandomSharpness", _img(2), {"factor": 0.2}, call=_inference),
    Case("RandomGaussianBlur", _img(2), call=_inference),
    # preprocessing: warps, erasing, mixing, pipelines and policies
    Case("MixUp", _img(2), call=_inference),
    Case("CutMix", _img(2), call=_inference),
    Case("RandomErasing", _img(2), call=_inference),
    Case("RandomShear", _img(2), {"x_factor": 0.2, "y_factor": 0.1}, call=_inference),
    Case("RandomPerspective", _img(2), call=_inference),
    Case("RandomElasticTransform", _img(2), call=_inference),
    Case(
        "Pipeline",
        _img(2),
        layer=lambda lib: lib.layers.Pipeline([lib.layers.Dense(2), lib.layers.RandomFlip()]),
        call=_inference,
    ),
    Case("RandAugment", _img(2), call=_inference),
    Case("AugMix", _img(2), call=_inference),
    # functions wrapped as layers, and audio
    Case(
        "JaxLayer",
        ((2, 3),),
        # Keras names auto-named weights from a session-wide counter (variable_<n>):
        # a fresh Keras session makes them "variable", "variable_1", ... as kerax's.
        layer=lambda lib: (
            (lib is keras and keras.backend.clear_session())
            or lib.layers.JaxLayer(
                lambda params, state, inputs: (
                    jax.numpy.tanh(inputs @ params["w"]) + params["b"],
                    state,
                ),
                params={"w": np.ones((3, 2), np.float32), "b": np.zeros(2, np.float32)},
                state={"n": np.zeros((), np.float32)},
            )
        ),
    ),
    Case("STFTSpectrogram", ((2, 24, 2),), {"frame_length": 8, "frame_step": 4}),
    Case(
        "STFTSpectrogram",
        ((2, 2, 24),),
        {"mode": "imag", "frame_length": 6, "padding": "same", "data_format": "channels_first"},
        name="imag",
    ),
    Case(
        "MelSpectrogram",
        ((2, 64),),
        {"fft_length": 16, "sequence_stride": 8, "num_mel_bins": 4, "sampling_rate": 8000},
    ),
]

#: Public layer classes without a table entry, and why.
EXEMPT = {
    "Layer": "the abstract base; custom layers are covered by their own tests",
    "InputLayer": "a graph placeholder, never called on arrays; every model case has one",
    "Hashing": "Keras's Hashing needs TensorFlow; it has no weights, and "
    "tests/layers/preprocessing/test_prep_hashing.py checks its buckets",
    "HashedCrossing": "Keras's HashedCrossing needs TensorFlow; it has no weights, and "
    "tests/layers/preprocessing/test_prep_crossing.py checks its buckets against Keras's",
    **{
        name: f"Keras's {name} needs TensorFlow; it has no weights (its vocabulary is an "
        "asset), and tests/layers/preprocessing_text/ checks it against Keras's rules"
        for name in ("IntegerLookup", "StringLookup", "TextVectorization")
    },
}


def _public_layer_classes() -> set[str]:
    return {
        name
        for name in kerax.layers.__all__
        if inspect.isclass(cls := getattr(kerax.layers, name))
        and issubclass(cls, kerax.layers.Layer)
        # Keras's second spellings (MaxPool2D is MaxPooling2D) share their class's case.
        and not (cls.__name__ != name and cls.__name__ in kerax.layers.__all__)
    }


def test_every_public_layer_class_has_a_case():
    covered = {case.cls for case in CASES}
    public = _public_layer_classes()
    missing = public - covered - set(EXEMPT)
    assert not missing, f"layer classes without a weight-order case: {sorted(missing)}"
    stale = (covered | set(EXEMPT)) - public
    assert not stale, f"cases for classes kerax.layers does not export: {sorted(stale)}"
    assert not covered & set(EXEMPT)


def _data(shapes: tuple[tuple[int, ...], ...], dtype: str, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return [rng.integers(0, 5, size=s).astype(dtype) for s in shapes]
    return [rng.normal(size=s).astype(dtype) for s in shapes]


def _leaves(out: Any) -> list[np.ndarray]:
    return [np.asarray(o) for o in jax.tree_util.tree_leaves(out)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_layer_weights_match_keras(case: Case):
    xs = _data(case.shapes, case.dtype)
    reference, layer = case.build(keras), case.build(kerax)
    case.call(reference, xs)
    case.call(layer, xs)
    assert weight_signature(layer) == weight_signature(reference)
    assert len(layer.get_weights()) == len(reference.get_weights())
    copy_keras_weights(reference, layer)
    expected, got = _leaves(case.call(reference, xs)), _leaves(case.call(layer, xs))
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, **TOL)


def _wrapped(case: Case, lib: Any) -> Any:
    inputs = [lib.Input(s[1:], dtype=case.dtype) for s in case.shapes]
    outputs = case.call(case.build(lib), inputs)
    return lib.Model(inputs if len(inputs) > 1 else inputs[0], outputs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_layer_weights_file_loads_into_keras(case: Case, tmp_path):
    """Weights stored by path: a kerax ``.weights.h5`` file of a model around the layer
    loads into the Keras twin and gives each weight kerax's value."""
    reference, model = _wrapped(case, keras), _wrapped(case, kerax)
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])
    path = str(tmp_path / "layer.weights.h5")
    model.save_weights(path)
    reference.load_weights(path)
    for got, expected in zip(reference.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------- models
def _nested(lib: Any) -> Any:
    L = lib.layers
    x = lib.Input((3,), name="inner_in")
    inner = lib.Model(
        x, L.BatchNormalization(name="inner_bn")(L.Dense(2, name="inner_d")(x)), name="inner"
    )
    seq = lib.Sequential(
        [L.Dense(3, name="seq_d"), L.BatchNormalization(name="seq_bn")], name="seq"
    )
    x = lib.Input((4,), name="x")
    h = seq(inner(L.Dense(3, name="stem")(x)))
    return lib.Model(x, L.Dense(1, name="head")(h), name="outer")


def _branches(lib: Any) -> Any:
    # Keras lists layers by depth, not by first use: "a2" (depth 2) comes before "b".
    L = lib.layers
    x, y = lib.Input((3,), name="x"), lib.Input((3,), name="y")
    a = L.Dense(2, name="a3")(L.Dense(2, name="a2")(L.Dense(2, name="a")(x)))
    b = L.BatchNormalization(name="b")(L.Dense(2, name="b_d")(y))
    return lib.Model([x, y], L.Concatenate(name="cat")([b, a]))


def _multi_output(lib: Any) -> Any:
    L = lib.layers
    x = lib.Input((3,), name="x")
    early = L.Dense(2, name="early")(x)
    late = L.Dense(2, name="late")(L.Dense(2, name="mid")(L.Dense(2, name="first")(x)))
    return lib.Model(x, [early, late])


def _shared(lib: Any) -> Any:
    L = lib.layers
    d, bn = L.Dense(3, name="shared"), L.BatchNormalization(name="bn")
    x, y = lib.Input((3,), name="x"), lib.Input((3,), name="y")
    out = L.Dense(2, name="head")(L.Concatenate(name="cat")([d(y), bn(d(x))]))
    return lib.Model([x, y], out)


def _shared_across_depths(lib: Any) -> Any:
    # One layer called near the input and near the output: its depth is the deepest call.
    L = lib.layers
    d = L.Dense(3, name="twice")
    x = lib.Input((3,), name="x")
    h = L.Dense(3, name="h2")(L.Dense(3, name="h1")(d(x)))
    side = L.Dense(3, name="side")(x)
    return lib.Model(x, L.Add(name="sum")([d(h), side]))


def _frozen(lib: Any) -> Any:
    L = lib.layers
    inner = lib.Sequential(
        [lib.Input((3,)), L.Dense(2, name="i_d"), L.BatchNormalization(name="i_bn")], name="inner"
    )
    inner.trainable = False
    bn = L.BatchNormalization(name="frozen_bn")
    x = lib.Input((3,), name="x")
    out = L.Dense(1, name="head")(bn(inner(x)))
    bn.trainable = False
    return lib.Model(x, out)


def _sequential_zoo(lib: Any) -> Any:
    L = lib.layers
    return lib.Sequential(
        [
            lib.Input((4, 3)),
            L.Conv1D(4, 2, name="conv"),
            L.BatchNormalization(name="bn"),
            L.Bidirectional(L.LSTM(2, return_sequences=True), name="bi"),
            L.TimeDistributed(L.Dense(3), name="td"),
            L.LayerNormalization(name="ln"),
            L.GRU(2, name="gru"),
        ],
        name="zoo",
    )


def _attention_block(lib: Any) -> Any:
    L = lib.layers
    x = lib.Input((3, 4), name="x")
    h = L.MultiHeadAttention(2, 2, name="mha")(x, x)
    h = L.LayerNormalization(name="ln")(L.Add(name="res")([x, h]))
    return lib.Model(x, L.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d", name="ed")(h))


MODELS = {
    "nested": (_nested, [(2, 4)]),
    "branches": (_branches, [(2, 3), (2, 3)]),
    "multi_output": (_multi_output, [(2, 3)]),
    "shared": (_shared, [(2, 3), (2, 3)]),
    "shared_across_depths": (_shared_across_depths, [(2, 3)]),
    "frozen": (_frozen, [(2, 3)]),
    "sequential_zoo": (_sequential_zoo, [(2, 4, 3)]),
    "attention_block": (_attention_block, [(2, 3, 4)]),
}


def _owned(model: Any, weights: list[Any]) -> list[tuple[Any, ...]]:
    owner = {id(w): layer.name for layer in model.layers for w in layer.weights}
    return [(owner[id(w)], *sig) for w, sig in zip(weights, _signatures(weights), strict=True)]


def _signatures(weights: list[Any]) -> list[tuple[Any, ...]]:
    return [(w.name, tuple(w.shape), str(w.dtype), bool(w.trainable)) for w in weights]


@pytest.mark.parametrize("name", list(MODELS))
def test_model_weights_match_keras(name: str):
    build, shapes = MODELS[name]
    reference, model = build(keras), build(kerax)
    for attr in ("weights", "trainable_weights", "non_trainable_weights"):
        got, expected = getattr(model, attr), getattr(reference, attr)
        assert _owned(model, got) == _owned(reference, expected), attr
    copy_keras_weights(reference, model)
    xs = _data(tuple(shapes), "float32")
    inputs = xs if len(xs) > 1 else xs[0]
    expected, got = _leaves(reference(inputs)), _leaves(model(inputs))
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, **TOL)


@pytest.mark.parametrize("name", list(MODELS))
def test_model_weights_file_loads_into_keras(name: str, tmp_path):
    """The same weights by path: a kerax ``.weights.h5`` file loads into the Keras twin
    and gives each of Keras's weights kerax's value."""
    build, _ = MODELS[name]
    reference, model = build(keras), build(kerax)
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    reference.load_weights(path)
    for got, expected in zip(reference.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
