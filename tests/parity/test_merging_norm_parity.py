"""Merging, activation, normalization and regularization layers against Keras 3 (JAX
backend): same weights, same numbers.

Each test builds one model in both libraries from the same builder (one branch per
configuration, so each library compiles once per test), copies Keras's weights into
the kerax model with ``set_weights`` and compares ``predict``; models with weights
also take one SGD step through ``train_on_batch`` in both, and the losses and the
updated weights are compared.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax

TOL = {"rtol": 1e-5, "atol": 1e-5}


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, list | tuple) else [np.asarray(out)]


def _compare(build, data, *, train_targets=None, weight_seed=123, randomize=True):
    """Builds both models, gives them the same weights, compares ``predict`` and, with
    ``train_targets``, one SGD step (loss and updated weights)."""
    reference = build(keras)
    model = build(kerax)
    assert model.count_params() == reference.count_params()
    weights = reference.get_weights()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
    if randomize:
        # Keras's random initializers compile once per shape (slow on CPU): draw the
        # weights from NumPy instead, the same values for both libraries.
        rng = np.random.default_rng(weight_seed)
        weights = [rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in weights]
        reference.set_weights(weights)
    model.set_weights(reference.get_weights())
    expected = _as_list(reference.predict(data, verbose=0))
    got = _as_list(model.predict(data, verbose=0))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, **TOL)
    if train_targets is not None:
        reference.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.compile(optimizer=kerax.optimizers.SGD(0.1), loss="mse")
        expected_loss = reference.train_on_batch(data, train_targets)
        loss = model.train_on_batch(data, train_targets)
        np.testing.assert_allclose(np.asarray(loss), np.asarray(expected_loss), **TOL)
        for g, e in zip(model.get_weights(), reference.get_weights(), strict=True):
            np.testing.assert_allclose(g, e, **TOL)
    return model, reference


# --------------------------------------------------------------------------- merging
def test_merging_layers():
    def build(lib):
        L = lib.layers
        a, b, c = lib.Input((5, 4)), lib.Input((5, 4)), lib.Input((4,))
        d = L.Dense(4, kernel_initializer="zeros")(c)
        outputs = [
            L.Add()([a, b, a]),
            L.Subtract()([a, b]),
            L.Multiply()([a, b, a]),
            L.Average()([a, b]),
            L.Maximum()([a, b, c]),  # (None, 4) is lined up with (None, 5, 4)
            L.Minimum()([a, b]),
            L.Concatenate(axis=1)([a, b]),
            L.Dot(axes=-1)([a, b]),
            L.Dot(axes=1)([a, b]),
            L.Dot(axes=(2, 2), normalize=True)([a, b]),
            L.Dot(axes=1)([c, d]),
            L.Dot(axes=(2, 1))([a, d]),
            L.add([c, d]),
            L.subtract([d, c]),
            L.multiply([c, d]),
            L.average([c, d]),
            L.maximum([c, d]),
            L.minimum([c, d]),
            L.dot([c, d], axes=1, normalize=True),
        ]
        return lib.Model([a, b, c], outputs)

    data = [_data((3, 5, 4), 0), _data((3, 5, 4), 1), _data((3, 4), 2)]
    _compare(build, data)


def test_merging_masks():
    """Masks as Keras 3 propagates them: valid where any input is valid (only when every
    input is masked); Multiply / Maximum / Minimum skip masked values. An LSTM after
    each merge reads the output mask."""

    def build(lib):
        L = lib.layers
        a, b = lib.Input((4, 3)), lib.Input((4, 3))
        ma, mb = L.Masking()(a), L.Masking()(b)
        merges = [
            L.Add()([ma, mb]),
            L.Subtract()([ma, mb]),
            L.Multiply()([ma, mb]),
            L.Average()([ma, mb]),
            L.Maximum()([ma, mb]),
            L.Minimum()([ma, mb]),
            L.Multiply()([ma, b]),  # one mask: values masked, output unmasked
            L.Maximum()([ma, b]),
            L.Minimum()([a, mb]),
            L.Concatenate()([ma, mb]),
            L.Concatenate()([ma, b]),
            L.Concatenate(axis=1)([ma, b]),
        ]
        lstm = L.LSTM(2, kernel_initializer="zeros", recurrent_initializer="zeros")
        wide = L.LSTM(2, kernel_initializer="zeros", recurrent_initializer="zeros")
        read = [(wide if m.shape[-1] == 6 else lstm)(m) for m in merges]
        return lib.Model([a, b], merges + read)

    a, b = _data((3, 4, 3), 0), _data((3, 4, 3), 1)
    a[0, 1] = a[1, 3] = a[2, 0] = a[2, 2] = 0.0
    b[0, 2] = b[1, 3] = b[2, 0] = 0.0
    _compare(build, [a, b])


# --------------------------------------------------------------------------- activations
def test_activation_layers():
    def build(lib):
        L = lib.layers
        x = lib.Input((2, 6))
        h = L.Dense(6, kernel_initializer="zeros")(x)
        outputs = [
            L.ReLU()(h),
            L.ReLU(max_value=0.5)(h),
            L.ReLU(max_value=6.0)(h),
            L.ReLU(negative_slope=0.1)(h),
            L.ReLU(negative_slope=0.1, max_value=0.7, threshold=0.2)(h),
            L.ReLU(threshold=0.3)(h),
            L.LeakyReLU()(h),
            L.LeakyReLU(negative_slope=0.05)(h),
            L.PReLU()(h),
            L.PReLU(shared_axes=[1])(h),
            L.ELU()(h),
            L.ELU(alpha=0.5)(h),
            L.Softmax()(h),
            L.Softmax(axis=1)(h),
            L.Softmax(axis=[1, 2])(h),
        ]
        return lib.Model(x, L.Concatenate()(outputs))

    _compare(build, _data((4, 2, 6)), train_targets=_data((4, 2, 90), 7))


def test_softmax_with_mask():
    """Masked logits get no probability; a fully masked row is all zeros."""

    def build(lib):
        x = lib.Input((2, 6))
        mask = lib.Input((1, 6), dtype="bool")
        scores = lib.Input((3, 6))
        keep = lib.Input((1, 6))
        return lib.Model(
            [x, mask, scores, keep],
            [
                lib.layers.Softmax()(x, mask=mask),
                lib.layers.Softmax(axis=1)(x, mask=mask),
                lib.layers.Softmax()(scores, mask=keep),  # float mask: kept where > 0.5
            ],
        )

    mask = np.ones((4, 1, 6), bool)
    mask[0, :, :3] = mask[1, :, 5] = mask[2] = False
    keep = (np.random.default_rng(3).uniform(size=(4, 1, 6)) > 0.4).astype("float32")
    _compare(build, [_data((4, 2, 6)), mask, _data((4, 3, 6), 1), keep])


# --------------------------------------------------------------------------- normalization
def test_normalization_layers():
    def build(lib):
        L = lib.layers
        x = lib.Input((3, 6))
        h = L.Dense(6, kernel_initializer="zeros")(x)
        outputs = [
            L.LayerNormalization()(h),
            L.LayerNormalization(axis=[1, 2], epsilon=1e-5)(h),
            L.LayerNormalization(axis=1, center=False)(h),
            L.LayerNormalization(scale=False)(h),
            L.GroupNormalization(groups=3)(h),
            L.GroupNormalization(groups=-1, center=False)(h),
            L.GroupNormalization(groups=1, axis=1)(h),
            L.UnitNormalization()(h),
            L.UnitNormalization(axis=[1, 2])(h),
        ]
        return lib.Model(x, L.Concatenate()(outputs))

    _compare(build, _data((4, 3, 6)), train_targets=_data((4, 3, 54), 3))


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_layer_normalization_rms_scaling():
    def build(lib):
        x = lib.Input((5,))
        h = lib.layers.Dense(5, kernel_initializer="zeros")(x)
        return lib.Model(x, lib.layers.LayerNormalization(rms_scaling=True)(h))

    _compare(build, _data((4, 5)), train_targets=_data((4, 5), 1))


# --------------------------------------------------------------------------- regularization
def test_regularization_layers_at_inference():
    """At inference every random layer is the identity; ActivityRegularization always is."""

    def build(lib):
        L = lib.layers
        x, img, vol = lib.Input((4, 3)), lib.Input((3, 3, 2)), lib.Input((2, 2, 2, 2))
        outputs = [
            L.SpatialDropout1D(0.5)(x),
            L.SpatialDropout2D(0.5)(img),
            L.SpatialDropout2D(0.5, data_format="channels_first")(img),
            L.SpatialDropout3D(0.5)(vol),
            L.GaussianNoise(0.3)(x),
            L.GaussianDropout(0.3)(x),
            L.AlphaDropout(0.3)(x),
            L.ActivityRegularization(l1=0.1, l2=0.2)(x),
        ]
        return lib.Model([x, img, vol], outputs)

    _compare(build, [_data((2, 4, 3)), _data((2, 3, 3, 2), 1), _data((2, 2, 2, 2, 2), 2)])


def test_activity_regularization_step():
    """The penalty (divided by the batch size, as in Keras 3) enters the loss and the
    gradients."""

    def build(lib):
        x = lib.Input((4,))
        h = lib.layers.Dense(3, kernel_initializer="zeros")(x)
        h = lib.layers.ActivityRegularization(l1=0.05, l2=0.1)(h)
        return lib.Model(x, lib.layers.Dense(2, kernel_initializer="zeros")(h))

    _compare(build, _data((5, 4)), train_targets=_data((5, 2), 1))
