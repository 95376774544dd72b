"""Keras's stateful optimizer API on kerax optimizers, against Keras 3 (the oracle):
apply_gradients on a model's trainable variables, iterations, variables, the
stateless form, set/save/load of the state, and the state shared with ``fit``."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerax
from tests.optimizers._stateful_helpers import (
    assert_same,
    fixed_grads,
    make_model,
    model_pair,
    stateless_steps,
)

OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
]


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS)
def test_apply_gradients_matches_keras(cls, kwargs):
    ours, theirs = model_pair()
    start = ours.get_weights()
    opt_a, opt_b = (
        getattr(kerax.optimizers, cls)(**kwargs),
        getattr(keras.optimizers, cls)(**kwargs),
    )
    assert opt_a.iterations == 0 and not opt_a.built
    for step in range(3):
        grads = fixed_grads(ours, step)
        opt_a.apply_gradients(zip(grads, ours.trainable_variables))
        opt_b.apply_gradients(zip(grads, theirs.trainable_variables))
        assert opt_a.iterations == int(opt_b.iterations) == step + 1
    assert not np.allclose(ours.get_weights()[0], start[0])  # the layers' weights moved
    assert_same(ours.get_weights(), theirs.get_weights())
    assert [(v.name, tuple(v.shape)) for v in opt_a.variables] == [
        (v.name, tuple(v.shape)) for v in opt_b.variables
    ]
    assert_same(opt_a.variables, opt_b.variables)


@pytest.mark.parametrize(("cls", "kwargs"), OPTIMIZERS[::2])
def test_stateless_apply_matches_keras_and_writes_nothing(cls, kwargs):
    ours, theirs = model_pair()
    opt_a, opt_b = (
        getattr(kerax.optimizers, cls)(**kwargs),
        getattr(keras.optimizers, cls)(**kwargs),
    )
    before = ours.get_weights()
    values_a, opt_values_a, values_b, opt_values_b = stateless_steps(
        ours, theirs, opt_a, opt_b, steps=3
    )
    assert_same(ours.get_weights(), before)  # nothing was written
    assert opt_a.iterations == 0
    # Writing the stateless results back gives the stateful optimizer's next step.
    opt_a.set_weights(opt_values_a)
    for handle, value in zip(ours.trainable_variables, values_a, strict=True):
        handle.assign(value)
    assert opt_a.iterations == 3
    grads = fixed_grads(ours, 3)
    opt_a.apply_gradients(zip(grads, ours.trainable_variables))
    theirs_values, _ = opt_b.stateless_apply(opt_values_b, grads, values_b)
    assert_same(ours.get_weights(), [np.asarray(v) for v in theirs_values])


@pytest.mark.filterwarnings("ignore:Gradients do not exist")  # Keras warns on None
def test_none_gradients_leave_their_variables_alone_as_keras():
    ours, theirs = model_pair()
    opt_a, opt_b = kerax.optimizers.Adam(0.01), keras.optimizers.Adam(0.01)
    for step in range(3):
        skip = (1,) if step == 1 else ()
        opt_a.apply_gradients(zip(fixed_grads(ours, step, skip), ours.trainable_variables))
        opt_b.apply_gradients(zip(fixed_grads(theirs, step, skip), theirs.trainable_variables))
    assert_same(ours.get_weights(), theirs.get_weights())
    assert_same(opt_a.variables, opt_b.variables)


def test_learning_rate_set_between_steps_and_unknown_variables():
    ours, theirs = model_pair()
    opt_a, opt_b = kerax.optimizers.SGD(0.1, momentum=0.5), keras.optimizers.SGD(0.1, momentum=0.5)
    for step, lr in enumerate((0.1, 0.03)):
        opt_a.learning_rate, opt_b.learning_rate = lr, lr
        opt_a.apply_gradients(zip(fixed_grads(ours, step), ours.trainable_variables))
        opt_b.apply_gradients(zip(fixed_grads(theirs, step), theirs.trainable_variables))
    assert opt_a.learning_rate == pytest.approx(float(opt_b.learning_rate))
    assert_same(ours.get_weights(), theirs.get_weights())
    other = make_model(kerax)
    with pytest.raises(ValueError, match="Unknown variable"):
        opt_a.apply_gradients(zip(fixed_grads(other, 0), other.trainable_variables))


def test_save_and_load_own_variables_round_trip():
    model = make_model(kerax)
    opt = kerax.optimizers.Adam(0.01)
    opt.apply_gradients(zip(fixed_grads(model, 0), model.trainable_variables))
    store: dict[str, np.ndarray] = {}
    opt.save_own_variables(store)
    fresh = kerax.optimizers.Adam(0.01)
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        fresh.load_own_variables(store)  # not built: nothing to load into
    fresh.build(model.trainable_variables)
    fresh.load_own_variables(store)
    assert fresh.iterations == 1
    assert_same(fresh.variables, opt.variables)
    with pytest.raises(ValueError, match="not compatible"):
        fresh.set_weights([np.zeros((7,))] + [v.numpy() for v in opt.variables[1:]])


def test_ema_finalize_variable_values_matches_keras():
    ours, theirs = model_pair()
    kwargs = {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.9}
    opt_a, opt_b = kerax.optimizers.SGD(**kwargs), keras.optimizers.SGD(**kwargs)
    for step in range(3):
        opt_a.apply_gradients(zip(fixed_grads(ours, step), ours.trainable_variables))
        opt_b.apply_gradients(zip(fixed_grads(theirs, step), theirs.trainable_variables))
    opt_a.finalize_variable_values(ours.trainable_variables)
    opt_b.finalize_variable_values(theirs.trainable_variables)
    assert_same(ours.get_weights(), theirs.get_weights())


def test_compiled_optimizer_shares_its_state_with_fit():
    model = make_model(kerax)
    opt = kerax.optimizers.Adam(0.01)
    model.compile(optimizer=opt, loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert opt.iterations == 2
    # Built on the model's variables, the optimizer continues fit's state, as Keras.
    assert [v.name for v in opt.variables][:4] == [
        "iteration",
        "learning_rate",
        "d1_kernel_momentum",
        "d1_kernel_velocity",
    ]
    before = model.get_weights()
    opt.apply_gradients(zip(fixed_grads(model, 0), model.trainable_variables))
    assert opt.iterations == 3
    assert not np.allclose(model.get_weights()[0], before[0])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert opt.iterations == 5
    assert int(opt.variables[0].numpy()) == 5
    # Compiled with another optimizer, the model's state is no longer this one's.
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="another optimizer"):
        opt.apply_gradients(zip(fixed_grads(model, 1), model.trainable_variables))


def test_loss_scale_optimizer_skips_non_finite_steps_and_adjusts_its_scale():
    model, reference = make_model(kerax), make_model(kerax)
    reference.set_weights(model.get_weights())
    opt = kerax.optimizers.LossScaleOptimizer(
        kerax.optimizers.SGD(0.1), initial_scale=4.0, dynamic_growth_steps=2
    )
    plain = kerax.optimizers.SGD(0.1)
    grads = fixed_grads(model, 0)
    opt.apply_gradients(zip([g * 4.0 for g in grads], model.trainable_variables))
    plain.apply_gradients(zip(grads, reference.trainable_variables))
    assert_same(model.get_weights(), reference.get_weights())
    bad = [g * np.inf for g in grads]
    before = model.get_weights()
    opt.apply_gradients(zip(bad, model.trainable_variables))
    assert_same(model.get_weights(), before)
    assert opt.dynamic_scale == 2.0 and opt.iterations == 1
    for _ in range(2):
        opt.apply_gradients(zip([g * 2.0 for g in grads], model.trainable_variables))
    assert opt.dynamic_scale == 4.0 and opt.iterations == 3


def _hand_stepped_pair():
    """Twin models and Adam optimizers after two steps of apply_gradients, and data."""
    ours, theirs = model_pair()
    opt_a, opt_b = kerax.optimizers.Adam(0.01), keras.optimizers.Adam(0.01)
    for step in range(2):
        opt_a.apply_gradients(zip(fixed_grads(ours, step), ours.trainable_variables))
        opt_b.apply_gradients(zip(fixed_grads(theirs, step), theirs.trainable_variables))
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    return ours, theirs, opt_a, opt_b, x, y


def test_fit_after_apply_gradients_continues_the_state_as_keras():
    ours, theirs, opt_a, opt_b, x, y = _hand_stepped_pair()
    for model, opt in ((ours, opt_a), (theirs, opt_b)):
        model.compile(optimizer=opt, loss="mse")
    assert opt_a.iterations == 2
    for model in (ours, theirs):
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert opt_a.iterations == int(opt_b.iterations) == 4
    assert_same(ours.get_weights(), theirs.get_weights())
    assert_same(opt_a.variables, opt_b.variables)


def test_fit_right_after_compile_continues_the_hand_stepped_state():
    """No read of the optimizer between compile and fit: fit still starts from the
    state apply_gradients built (live.start hands it over)."""
    ours, theirs, opt_a, opt_b, x, y = _hand_stepped_pair()
    for model, opt in ((ours, opt_a), (theirs, opt_b)):
        model.compile(optimizer=opt, loss="mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert opt_a.iterations == int(opt_b.iterations) == 4
    assert_same(ours.get_weights(), theirs.get_weights())
