"""Loss scaling in the train step: an optimizer's constant ``loss_scale_factor`` and
``LossScaleOptimizer``'s dynamic scale, against Keras 3 on the same weights and data."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import kerax
from kerax import optimizers
from kerax.training import (
    Batch,
    CompiledLoss,
    CompiledMetrics,
    init_train_state,
    make_train_step,
)
from kerax.training import loss_scale as _loss_scale


def _pair(seed: int = 0):
    """The same two-layer model in kerax and Keras, with the same weights."""

    def build(lib):
        x = lib.Input(shape=(4,))
        h = lib.layers.Dense(5, activation="tanh", name="hidden")(x)
        return lib.Model(x, lib.layers.Dense(2, name="out")(h))

    ours, theirs = build(kerax), build(keras)
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def _data(n: int = 3, scale: float = 1.0):
    rng = np.random.default_rng(1)
    return [
        (
            rng.normal(size=(8, 4)).astype(np.float32),
            (rng.normal(size=(8, 2)) * scale).astype(np.float32),
        )
        for _ in range(n)
    ]


def _assert_close(a_weights, b_weights, atol: float = 1e-6) -> None:
    for a, b in zip(a_weights, b_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


# ---------------------------------------------------------------------- constant factor
@pytest.mark.parametrize("factor", [2.0**10, 1000.0])
def test_loss_scale_factor_trains_like_no_factor_and_like_keras(factor):
    ours, theirs = _pair()
    plain, _ = _pair()
    ours.compile(optimizer=optimizers.Adam(0.05, loss_scale_factor=factor), loss="mse")
    plain.compile(optimizer=optimizers.Adam(0.05), loss="mse")
    theirs.compile(optimizer=keras.optimizers.Adam(0.05, loss_scale_factor=factor), loss="mse")
    for x, y in _data():
        ours_loss = ours.train_on_batch(x, y)
        plain.train_on_batch(x, y)
        theirs_loss = theirs.train_on_batch(x, y)
        # The logged loss is the unscaled one, in both.
        assert ours_loss == pytest.approx(float(theirs_loss), rel=1e-5)
    _assert_close(ours.get_weights(), plain.get_weights(), atol=1e-6)
    _assert_close(ours.get_weights(), theirs.get_weights(), atol=1e-5)
    # A power of two scales exactly: the very same weights.
    if factor == 2.0**10:
        for a, b in zip(ours.get_weights(), plain.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_loss_scale_factor_multiplies_the_differentiated_loss():
    """A factor that overflows float32 gradients breaks training, in Keras as in kerax:
    the scaled loss is what is differentiated, and a constant factor skips no step."""
    x, y = _data(1, scale=100.0)[0]
    ours, theirs = _pair()
    ours.compile(optimizer=optimizers.SGD(0.01, loss_scale_factor=1e38), loss="mse")
    theirs.compile(optimizer=keras.optimizers.SGD(0.01, loss_scale_factor=1e38), loss="mse")
    ours_loss = ours.train_on_batch(x, y)
    theirs_loss = theirs.train_on_batch(x, y)
    assert np.isfinite(ours_loss) and ours_loss == pytest.approx(float(theirs_loss), rel=1e-5)
    kernel = ours.get_weights()[0]
    assert not np.all(np.isfinite(kernel))
    np.testing.assert_array_equal(np.isfinite(kernel), np.isfinite(theirs.get_weights()[0]))


def _half_precision_pair():
    """A float16 hidden layer whose gradients flush to zero unless the loss is scaled."""

    def build(lib):
        x = lib.Input(shape=(4,))
        h = lib.layers.Dense(3, use_bias=False, dtype="mixed_float16", name="h")(x)
        return lib.Model(x, lib.layers.Dense(1, use_bias=False, dtype="float32", name="out")(h))

    ours, theirs = build(kerax), build(keras)
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=w.shape).astype(np.float32) for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x = rng.normal(size=(8, 4)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    return ours, theirs, weights, x, y


@pytest.mark.parametrize("factor", [None, 2.0**30])
def test_loss_scale_factor_saves_float16_gradients_in_a_custom_step(factor):
    """Through ``make_train_step`` without dynamic scaling: a loss weighted by 1e-10
    gives the float16 layer gradients below float16's range. Unscaled they vanish (the
    layer does not move), scaled by 2**30 they survive and match Keras's update."""
    ours, theirs, weights, x, y = _half_precision_pair()
    lowered = ours.lowered
    mask = lowered.layout.trainable_mask()
    loss = CompiledLoss.build("mse", [1e-10], ours.output_names)
    metrics = CompiledMetrics.build(None, None, ours.output_names, ours.graph.output_specs, loss)
    tx = optimizers.SGD(1e9, loss_scale_factor=factor).transform()
    assert _loss_scale.config_of(tx).factor == factor
    ts = init_train_state(ours.get_variables(), tx, mask, metrics, jax.random.key(0))
    assert ts.loss_scale is None  # no dynamic scaling: the constant factor acts alone
    step = jax.jit(make_train_step(lowered, tx, loss, metrics, mask))
    ts = step(ts, Batch([jnp.asarray(x)], [jnp.asarray(y)], [None], jnp.ones((8,))))
    ours_h = np.asarray(ts.params["h"]["kernel"])

    theirs.compile(
        optimizer=keras.optimizers.SGD(1e9, loss_scale_factor=factor),
        loss="mse",
        loss_weights=[1e-10],
        auto_scale_loss=False,
    )
    theirs.train_on_batch(x, y)
    theirs_h = theirs.get_weights()[0]
    if factor is None:
        np.testing.assert_array_equal(ours_h, weights[0])
        np.testing.assert_array_equal(theirs_h, weights[0])
    else:
        assert np.min(np.abs(ours_h - weights[0])) > 1e-3
        np.testing.assert_allclose(ours_h, theirs_h, rtol=1e-3, atol=1e-4)
    # The float32 output layer gets its gradient either way.
    np.testing.assert_allclose(
        np.asarray(ts.params["out"]["kernel"]), theirs.get_weights()[1], rtol=1e-3
    )


def test_a_transformation_without_a_tag_asks_for_no_scaling():
    import optax

    assert _loss_scale.config_of(optax.sgd(0.1)) == _loss_scale.LossScaleConfig()
    assert _loss_scale.config_of(optimizers.SGD().transform()).factor is None


# ---------------------------------------------------------------------- LossScaleOptimizer
@pytest.mark.parametrize(
    "initial_scale, growth_steps",
    [(2.0**15, 2), (2.0**127, 3)],  # 2**127 overflows the gradients: skipped steps
)
def test_loss_scale_optimizer_matches_keras(initial_scale, growth_steps):
    ours, theirs = _pair()
    ours.compile(
        optimizer=optimizers.LossScaleOptimizer(
            optimizers.SGD(0.05, momentum=0.9), initial_scale, growth_steps
        ),
        loss="mse",
    )
    theirs.compile(
        optimizer=keras.optimizers.LossScaleOptimizer(
            keras.optimizers.SGD(0.05, momentum=0.9), initial_scale, growth_steps
        ),
        loss="mse",
    )
    for x, y in _data(5, scale=10.0):
        ours_loss = ours.train_on_batch(x, y)
        theirs_loss = theirs.train_on_batch(x, y)
        assert ours_loss == pytest.approx(float(theirs_loss), rel=1e-5)
    _assert_close(ours.get_weights(), theirs.get_weights(), atol=1e-5)
    assert ours.optimizer.dynamic_scale == float(theirs.optimizer.dynamic_scale)
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations)
    if initial_scale == 2.0**127:
        assert ours.optimizer.iterations < 5  # some steps were skipped
    assert ours.optimizer.learning_rate == pytest.approx(0.05)


def test_loss_scale_optimizer_delegates_to_its_inner_optimizer():
    inner = optimizers.Adam(0.01, loss_scale_factor=8.0, use_ema=True)
    opt = optimizers.LossScaleOptimizer(inner)
    assert inner.loss_scale_factor is None  # switched off, as Keras does
    assert opt.loss_scale_factor is None and opt.use_ema
    assert opt.dynamic_scale == 2.0**15
    assert float(opt.scale_loss(2.0)) == 2.0**16
    ours, _ = _pair()
    ours.compile(optimizer=opt, loss="mse")
    ours.optimizer.learning_rate = 0.0
    before = ours.get_weights()
    x, y = _data(1)[0]
    ours.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert inner.learning_rate == 0.0 and opt.iterations == 2
    _assert_close(ours.get_weights(), before, atol=0)


def test_loss_scale_optimizer_config_round_trips_with_keras():
    opt = optimizers.LossScaleOptimizer(
        optimizers.Adam(0.125, clipnorm=1.0), initial_scale=128.0, dynamic_growth_steps=10
    )
    config = opt.get_config()
    assert config["inner_optimizer"]["class_name"] == "Adam"
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is optimizers.LossScaleOptimizer
    assert again.get_config() == config
    theirs = keras.optimizers.LossScaleOptimizer.from_config(dict(config))
    assert theirs.initial_scale == 128.0 and theirs.dynamic_growth_steps == 10
    assert theirs.inner_optimizer.clipnorm == 1.0
    ours = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert ours.get_config() == config


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(dynamic=False), ValueError, "dynamic=False"),
        (dict(clipnorm=1.0), ValueError, "clipnorm"),
        (dict(momentum=0.9), ValueError, "does not support arguments"),
        (dict(initial_scale=0.0), ValueError, "initial_scale"),
        (dict(dynamic_growth_steps=0), ValueError, "dynamic_growth_steps"),
    ],
)
def test_loss_scale_optimizer_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimizers.LossScaleOptimizer(optimizers.SGD(), **kwargs)


def test_loss_scale_optimizer_needs_a_kerax_optimizer():
    with pytest.raises(TypeError, match="inner_optimizer"):
        optimizers.LossScaleOptimizer(keras.optimizers.SGD())
