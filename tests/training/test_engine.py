"""The fit engine: one trace per fit, chunking without recompiles, determinism."""

from __future__ import annotations

import numpy as np
import pytest

import kerax
from kerax.layers import Conv2D, Dense, Flatten, Input


def _mlp():
    x = Input(shape=(5,))
    model = kerax.Model(x, Dense(3, activation="softmax")(Dense(8, activation="relu")(x)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _data(n=70):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 1).astype(np.int32)


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_whole_fit_traces_the_step_once_partial_batch_included(verbose, capsys):
    model = _mlp()
    x, y = _data(70)  # 70 = 2 * 32 + 6: a partial last batch
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=verbose, validation_split=0.1)
    assert model.train_step_traces == 1
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_split=0.1)
    assert model.train_step_traces == 1  # a second fit on the same data reuses it
    if verbose == 1:
        out = capsys.readouterr().out
        assert "Epoch 4/4" in out and "━" in out and "loss:" in out and "val_loss:" in out


def test_steps_per_execution_and_batch_callbacks_share_one_compile():
    model = _mlp()
    x, y = _data(96)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", steps_per_execution=2)
    seen = []
    cb = kerax.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[cb])
    assert seen == [0, 1, 2]
    assert model.train_step_traces == 1


def test_padded_last_batch_matches_unpadded_training():
    """A padded, masked last batch trains exactly like the real partial batch."""
    x, y = _data(40)
    a, b = _mlp(), _mlp()
    b.set_weights(a.get_weights())
    a.compile(optimizer=kerax.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    b.compile(optimizer=kerax.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    a.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    b.train_on_batch(x[:32], y[:32])
    b.train_on_batch(x[32:], y[32:])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_seeded_fit_is_bit_for_bit_reproducible():
    def run():
        kerax.backend.clear_session()
        kerax.set_random_seed(123)
        model = _mlp()
        x, y = _data(64)
        model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_conv_models_run_one_step_per_call_on_cpu():
    x = Input(shape=(6, 6, 1))
    model = kerax.Model(x, Dense(2)(Flatten()(Conv2D(2, 3)(x))))
    model.compile(optimizer="sgd", loss="mse")
    assert not model._loops_well()
    model.fit(np.ones((8, 6, 6, 1), np.float32), np.ones((8, 2), np.float32), epochs=2, verbose=0)
    assert model.train_step_traces == 1
    assert _mlp()._loops_well()


def test_conv_steps_per_execution_unrolls_and_trains_like_single_steps():
    """On CPU a conv model is not looped; steps_per_execution=3 unrolls 3 steps per
    call (7 batches: two unrolled calls and one single step) with the same result."""

    def run(spe):
        kerax.backend.clear_session()
        kerax.set_random_seed(3)
        x = Input(shape=(6, 6, 1))
        model = kerax.Model(x, Dense(2)(Flatten()(Conv2D(2, 3)(x))))
        model.compile(optimizer="adam", loss="mse", steps_per_execution=spe)
        calls = []
        programs = model._programs()
        real = programs.train_runner

        def spy(batch_size, looped, unroll=1):
            fn = real(batch_size, looped, unroll)
            return lambda *a: (calls.append(unroll), fn(*a))[1]

        programs.train_runner = spy
        rng = np.random.default_rng(0)
        data = rng.normal(size=(14, 6, 6, 1)).astype(np.float32)
        history = model.fit(data, data[:, :2, 0, 0], batch_size=2, epochs=2, verbose=0)
        return model.get_weights(), history.history["loss"], calls

    single_w, single_loss, single_calls = run(1)
    unrolled_w, unrolled_loss, unrolled_calls = run(3)
    assert single_calls == [1] * 14
    assert unrolled_calls == [3, 3, 1] * 2
    np.testing.assert_allclose(single_loss, unrolled_loss, rtol=1e-6)
    for a, b in zip(single_w, unrolled_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fit_before_compile_and_recovery():
    x = Input(shape=(5,))
    model = kerax.Model(x, Dense(1)(x))
    with pytest.raises(RuntimeError, match=r"compile\(\)"):
        model.fit(np.ones((4, 5)), np.ones((4, 1)), verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(
        ValueError, match=r"Data cardinality is ambiguous.*x\['input_layer'\]: 4.*y\['dense'\]: 3"
    ):
        model.fit(np.ones((4, 5)), np.ones((3, 1)), verbose=0)
    before = model.get_weights()
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(np.ones((4, 5)), np.ones((4, 1)), verbose=0)


def test_activity_penalties_follow_keras_with_a_padded_batch():
    import keras

    def build(lib):
        x = lib.Input(shape=(3,))
        y = lib.layers.Dense(
            2,
            kernel_initializer="ones",
            bias_initializer="ones",
            activity_regularizer=lib.regularizers.L2(0.1),
        )(x)
        model = lib.Model(x, y)
        model.compile(optimizer="sgd", loss="mse")
        return model

    data = np.arange(15, dtype=np.float32).reshape(5, 3) / 10
    target = np.zeros((5, 2), np.float32)
    for batch_size in (5, 4):  # one exact batch, then a padded partial one
        ours = build(kerax).evaluate(data, target, batch_size=batch_size, verbose=0)
        theirs = build(keras).evaluate(data, target, batch_size=batch_size, verbose=0)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)


def test_ignore_class_and_weighted_mean_reductions_follow_keras():
    import keras

    def build(lib, loss):
        x = lib.Input(shape=(4,))
        model = lib.Model(x, lib.layers.Dense(3, activation="softmax")(x))
        model.compile(optimizer="sgd", loss=loss)
        return model

    rng = np.random.default_rng(0)
    data = rng.normal(size=(10, 4)).astype(np.float32)
    labels = np.array([0, 1, 2, 1, 0, 2, 1, 1, 0, 2])
    weights = rng.uniform(0.5, 2.0, size=10).astype(np.float32)
    cases = [
        (lambda lib: lib.losses.SparseCategoricalCrossentropy(ignore_class=1), None),
        (
            lambda lib: lib.losses.SparseCategoricalCrossentropy(
                reduction="mean_with_sample_weight"
            ),
            weights,
        ),
    ]
    for make, sw in cases:
        theirs = build(keras, make(keras))
        ours = build(kerax, make(kerax))
        ours.set_weights(theirs.get_weights())
        for batch_size in (10, 4):
            a = ours.evaluate(data, labels, sample_weight=sw, batch_size=batch_size, verbose=0)
            b = theirs.evaluate(data, labels, sample_weight=sw, batch_size=batch_size, verbose=0)
            np.testing.assert_allclose(a, b, rtol=1e-5)


def test_step_keys_are_drawn_only_when_needed_and_never_repeat():
    import jax

    from kerax.training import make_train_step
    from kerax.training.steps import Batch, init_train_state

    model = _mlp()  # no random layer: the step derives no key at all
    lowered, mask = model.lowered, model.lowered.layout.trainable_mask()
    step = make_train_step(lowered, model._tx, model._loss, model._metrics, mask)
    ts = init_train_state(model.get_variables(), model._tx, mask, model._metrics, jax.random.key(0))
    x, y = _data(4)
    batch = Batch([x], [y], [None], np.ones(4, np.float32))
    assert "random" not in str(jax.make_jaxpr(step)(ts, batch))

    # With Dropout, every step draws a new mask, also across separate fits / calls.
    inputs = Input(shape=(5,))
    drop = kerax.Model(inputs, Dense(1)(kerax.layers.Dropout(0.5)(inputs)))
    drop.compile(optimizer=kerax.optimizers.SGD(0.0), loss="mse")
    losses = {drop.train_on_batch(x, y[:, None].astype(np.float32)) for _ in range(4)}
    assert len(losses) == 4
