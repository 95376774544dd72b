"""kerax's optimizers against Keras 3's, on the same weights and gradients.

Most checks drive the optax transformation of a kerax optimizer and Keras's
``apply_gradients`` with the same gradient sequence, and compare the weights after each
run (the optimizer alone, no model). A few run whole models through ``train_on_batch``.
"""

from __future__ import annotations

import jax
import keras
import numpy as np
import optax
import pytest

import kerax
from kerax import optimizers

STEPS = 6
NAMES = ("kernel", "bias")


def _problem() -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(0)
    init = {
        "kernel": rng.normal(size=(4, 3)).astype(np.float32),
        "bias": rng.normal(size=(3,)).astype(np.float32),
    }
    # Gradients that grow over the steps, so that clipping and decays matter.
    grads = [
        {k: (rng.normal(size=v.shape) * (1 + i)).astype(np.float32) for k, v in init.items()}
        for i in range(STEPS)
    ]
    return init, grads


INIT, GRADS = _problem()


def _run_keras(opt: keras.optimizers.Optimizer, finalize: bool = False) -> dict[str, np.ndarray]:
    # Under the scope "dense", the variables' paths ("dense/kernel") are kerax's.
    with keras.name_scope("dense"):
        variables = [keras.Variable(INIT[k], name=k) for k in NAMES]
    for g in GRADS:
        opt.apply_gradients(zip([g[k] for k in NAMES], variables, strict=True))
    if finalize:
        opt.finalize_variable_values(variables)
    return {k: np.asarray(v.numpy()) for k, v in zip(NAMES, variables, strict=True)}


def _run_kerax(opt: optimizers.Optimizer, finalize: bool = False) -> dict[str, np.ndarray]:
    tx = opt.transform()
    params = {"dense": dict(INIT)}
    state = tx.init(params)
    update = jax.jit(tx.update)
    for g in GRADS:
        updates, state = update({"dense": g}, state, params)
        params = optax.apply_updates(params, updates)
    if finalize:
        params = opt.finalize_variable_values(params, state)
    return {k: np.asarray(v) for k, v in params["dense"].items()}


def _assert_same(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    for k in NAMES:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=0, atol=1e-5, err_msg=k)
    # The weights moved: a comparison of two no-ops would prove nothing.
    assert max(np.max(np.abs(theirs[k] - INIT[k])) for k in NAMES) > 1e-2


FTRL_REG = dict(
    l1_regularization_strength=0.01,
    l2_regularization_strength=0.01,
    l2_shrinkage_regularization_strength=0.01,
    beta=0.1,
)

CASES = [
    ("SGD", {}),
    ("SGD", dict(momentum=0.9)),
    ("SGD", dict(momentum=0.9, nesterov=True)),
    ("RMSprop", {}),
    ("RMSprop", dict(momentum=0.5)),
    ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(momentum=0.5, centered=True)),
    ("Adam", {}),
    ("Adam", dict(amsgrad=True, beta_2=0.9)),
    ("AdamW", {}),
    ("AdamW", dict(weight_decay=0.5, amsgrad=True)),
    ("Adamax", {}),
    ("Adagrad", {}),
    ("Adagrad", dict(initial_accumulator_value=0.5)),
    ("Adadelta", dict(learning_rate=50.0)),  # Adadelta barely moves at small rates
    ("Nadam", {}),
    ("Lion", {}),
    ("Ftrl", {}),
    ("Ftrl", FTRL_REG),
    ("Adafactor", {}),
    ("Lamb", {}),
    ("Lamb", dict(beta_1=0.5, epsilon=1e-3)),
    ("Muon", {}),  # the kernel takes the Muon step, the bias the Adam step
    ("Muon", dict(nesterov=False, rms_rate=None, momentum=0.5)),
    ("Muon", dict(exclude_layers=["dense"])),  # matched on the path: Adam for both
    ("Muon", dict(weight_decay=0.3, adam_weight_decay=0.1, adam_lr_ratio=0.5, ns_steps=3)),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", dict(warmup_steps=3, beta_1=0.8)),
    # the common arguments
    ("Adam", dict(weight_decay=0.1)),
    ("SGD", dict(weight_decay=0.1, momentum=0.9)),
    ("Adam", dict(clipnorm=0.5)),
    ("SGD", dict(clipnorm=0.5)),
    ("Adam", dict(clipvalue=0.3)),
    ("Adam", dict(global_clipnorm=0.5)),
    ("SGD", dict(global_clipnorm=0.5)),
    ("Adam", dict(gradient_accumulation_steps=2)),
    ("Nadam", dict(gradient_accumulation_steps=3)),
    ("SGD", dict(gradient_accumulation_steps=2, momentum=0.9, weight_decay=0.1)),
    ("Adam", dict(use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)),
    ("SGD", dict(use_ema=True, ema_overwrite_frequency=1, momentum=0.9)),
    ("Adam", dict(use_ema=True, gradient_accumulation_steps=2, ema_overwrite_frequency=2)),
    ("Lamb", dict(weight_decay=0.1, clipnorm=0.5)),
    ("ScheduleFreeAdamW", dict(weight_decay=0.1, gradient_accumulation_steps=2)),
    ("Muon", dict(global_clipnorm=0.5, use_ema=True, ema_overwrite_frequency=2)),
]


def _ids(case: tuple[str, dict]) -> str:
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_keras_apply_gradients(case):
    name, kwargs = case
    kwargs = {"learning_rate": 0.1, **kwargs}
    theirs = _run_keras(getattr(keras.optimizers, name)(**kwargs))
    ours = _run_kerax(getattr(optimizers, name)(**kwargs))
    _assert_same(ours, theirs)


SCHEDULE_CASES = [
    ("SGD", dict(momentum=0.9)),  # Keras's velocity carries the rate: differs from optax.sgd
    ("SGD", dict(momentum=0.9, nesterov=True)),
    ("RMSprop", dict(momentum=0.5)),
    ("Adam", {}),
    ("AdamW", {}),
    ("Ftrl", FTRL_REG),
    ("Adafactor", {}),
    ("Lamb", {}),
    ("Muon", {}),
    ("ScheduleFreeAdamW", dict(warmup_steps=2)),
    ("Adam", dict(gradient_accumulation_steps=2)),  # the schedule sees raw calls
]


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=[_ids(c) for c in SCHEDULE_CASES])
def test_matches_keras_with_a_schedule(case):
    name, kwargs = case
    args = dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)
    theirs = getattr(keras.optimizers, name)(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(**args), **kwargs
    )
    ours = getattr(optimizers, name)(
        learning_rate=optimizers.schedules.ExponentialDecay(**args), **kwargs
    )
    _assert_same(_run_kerax(ours), _run_keras(theirs))


def test_sgd_momentum_with_a_schedule_is_not_optax_sgd():
    """The case the custom SGD exists for: optax.sgd's trace leaves the rate out."""
    schedule = optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
    ours = _run_kerax(optimizers.SGD(learning_rate=schedule, momentum=0.9))
    tx = optax.sgd(schedule, momentum=0.9)
    params = {"dense": dict(INIT)}
    state = tx.init(params)
    for g in GRADS:
        updates, state = tx.update({"dense": g}, state, params)
        params = optax.apply_updates(params, updates)
    assert np.max(np.abs(ours["kernel"] - np.asarray(params["dense"]["kernel"]))) > 1e-3


def test_ema_without_overwrite_and_finalize():
    kwargs = dict(learning_rate=0.1, use_ema=True, ema_momentum=0.7)
    theirs = _run_keras(keras.optimizers.Adam(**kwargs), finalize=True)
    ours = _run_kerax(optimizers.Adam(**kwargs), finalize=True)
    _assert_same(ours, theirs)
    # Without finalizing, the weights are the raw (non-averaged) ones.
    raw = _run_kerax(optimizers.Adam(**kwargs))
    assert np.max(np.abs(raw["kernel"] - ours["kernel"])) > 1e-3


def test_exclude_from_weight_decay_by_name():
    theirs = keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    theirs.exclude_from_weight_decay(var_names=["bias"])
    ours = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    ours.exclude_from_weight_decay(var_names=["bias"])
    _assert_same(_run_kerax(ours), _run_keras(theirs))


# ---------------------------------------------------------------------------- models
def _models(seed: int = 0):
    def build(lib):
        x = lib.Input(shape=(4,))
        h = lib.layers.Dense(5, activation="tanh")(x)
        return lib.Model(x, lib.layers.Dense(2)(h))

    ours, theirs = build(kerax), build(keras)
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def _batches(n: int = 4):
    rng = np.random.default_rng(1)
    return [
        (rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=(8, 2)).astype(np.float32))
        for _ in range(n)
    ]


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adam", dict(learning_rate=0.05, amsgrad=True, clipnorm=1.0)),
        ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("RMSprop", dict(centered=True, gradient_accumulation_steps=2)),
    ],
)
def test_train_on_batch_matches_keras(name, kwargs):
    ours, theirs = _models()
    ours.compile(optimizer=getattr(optimizers, name)(**kwargs), loss="mse")
    theirs.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="mse")
    for x, y in _batches():
        ours.train_on_batch(x, y)
        theirs.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_train_on_batch_with_a_schedule_matches_keras():
    ours, theirs = _models()
    args = dict(initial_learning_rate=0.1, decay_steps=1, decay_rate=0.5)
    ours.compile(
        optimizer=optimizers.SGD(optimizers.schedules.ExponentialDecay(**args), momentum=0.9),
        loss="mse",
    )
    theirs.compile(
        optimizer=keras.optimizers.SGD(
            keras.optimizers.schedules.ExponentialDecay(**args), momentum=0.9
        ),
        loss="mse",
    )
    for x, y in _batches():
        ours.train_on_batch(x, y)
        theirs.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    assert ours.optimizer.learning_rate == pytest.approx(float(theirs.optimizer.learning_rate))


def test_learning_rate_set_between_fits_without_retracing():
    ours, _ = _models()
    ours.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
    x, y = _batches(1)[0]
    ours.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert ours.optimizer.learning_rate == pytest.approx(0.01)
    before = ours.get_weights()
    ours.optimizer.learning_rate = 0.0
    assert ours.optimizer.learning_rate == 0.0
    ours.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(ours.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)  # a zero rate leaves Adam's weights in place
    ours.optimizer.learning_rate = 0.02
    ours.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert ours.optimizer.learning_rate == pytest.approx(0.02)
    assert any(np.any(a != b) for a, b in zip(ours.get_weights(), before, strict=True))
    assert ours.train_step_traces == 1


def test_learning_rate_set_before_the_first_step_is_used():
    ours, _ = _models()
    ours.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    ours.optimizer.learning_rate = 0.0
    before = ours.get_weights()
    ours.train_on_batch(*_batches(1)[0])
    assert ours.optimizer.learning_rate == 0.0
    for a, b in zip(ours.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_schedule_learning_rate_cannot_be_set_to_a_number():
    opt = optimizers.SGD(optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    assert opt.learning_rate == pytest.approx(0.1)
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.5


def test_compile_accepts_an_optax_transformation():
    ours, _ = _models()
    tx = optax.sgd(0.1)
    ours.compile(optimizer=tx, loss="mse")
    before = ours.get_weights()
    x, y = _batches(1)[0]
    ours.train_on_batch(x, y)
    assert ours.optimizer is tx
    assert any(np.any(a != b) for a, b in zip(ours.get_weights(), before, strict=True))


# ---------------------------------------------------------------------------- API
@pytest.mark.parametrize("name", sorted(optimizers._BY_NAME))
def test_get_by_name_and_defaults_match_keras(name):
    ours = optimizers.get(name)
    # Keras 3.15's `get` does not know "lamb": compare with the class of the same name.
    theirs = getattr(keras.optimizers, type(ours).__name__)()
    assert type(ours).__name__.lower() == name
    theirs_config = theirs.get_config()
    for key, value in ours.get_config().items():
        if key == "name":
            continue
        assert theirs_config[key] == pytest.approx(value), key


def test_get_rejects_unknown_names_with_close_ones():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'.*'adam'"):
        optimizers.get("adamm")
    ours, _ = _models()
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'rmsprob'.*'rmsprop'"):
        ours.compile(optimizer="rmsprob", loss="mse")
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'lam'.*'lamb'"):
        optimizers.get("lam")
    with pytest.raises(ValueError, match="wraps another optimizer"):
        optimizers.get("loss_scale_optimizer")


def test_new_optimizers_by_name_in_compile():
    for name, cls in (
        ("lamb", optimizers.Lamb),
        ("muon", optimizers.Muon),
        ("schedule_free_adamw", optimizers.ScheduleFreeAdamW),
    ):
        ours, _ = _models()
        ours.compile(optimizer=name, loss="mse")
        before = ours.get_weights()
        ours.train_on_batch(*_batches(1)[0])
        assert type(ours.optimizer) is cls
        assert all(np.any(a != b) for a, b in zip(ours.get_weights(), before, strict=True))


def test_get_config_round_trip():
    schedule = optimizers.schedules.CosineDecay(0.1, decay_steps=10)
    for opt in (
        optimizers.Ftrl(learning_rate=0.3, **FTRL_REG, clipvalue=1.0),
        optimizers.AdamW(learning_rate=schedule, use_ema=True, ema_overwrite_frequency=3),
        optimizers.SGD(0.2, momentum=0.5, nesterov=True, gradient_accumulation_steps=4),
        optimizers.Adam(0.01, loss_scale_factor=256.0),
        optimizers.Lamb(0.01, beta_1=0.8, weight_decay=0.1),
        optimizers.Muon(0.01, exclude_layers=["out"], rms_rate=None, nesterov=False),
        optimizers.ScheduleFreeAdamW(warmup_steps=10, epsilon=1e-6),
    ):
        config = opt.get_config()
        clone = type(opt).from_config(config)
        assert clone.get_config() == config
        again = optimizers.deserialize(optimizers.serialize(opt))
        assert type(again) is type(opt) and again.get_config() == config
    # Keras reads kerax's config (schedule included) and builds the same optimizer.
    config = optimizers.AdamW(learning_rate=schedule).get_config()
    theirs = keras.optimizers.AdamW.from_config(config)
    assert type(theirs._learning_rate).__name__ == "CosineDecay"
    assert theirs.weight_decay == pytest.approx(0.004)


def test_schedules_namespace():
    from kerax.optimizers.schedules import ExponentialDecay

    assert ExponentialDecay is kerax.schedules.ExponentialDecay
    assert kerax.optimizers.schedules.PolynomialDecay is kerax.schedules.PolynomialDecay


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0), "clipnorm"),
        (lambda: optimizers.SGD(clipvalue=1.0, clipnorm=1.0), "clipvalue"),
        (lambda: optimizers.Adam(learning_rate=-0.1), "learning_rate.*-0.1"),
        (lambda: optimizers.Adam(learning_rate="fast"), "learning_rate"),
        (lambda: optimizers.SGD(momentum=1.5), "momentum.*1.5"),
        (lambda: optimizers.Adam(weight_decay=-1.0), "weight_decay=-1.0"),
        (lambda: optimizers.Adam(clipnorm=-1.0), "clipnorm=-1.0"),
        (lambda: optimizers.Adam(gradient_accumulation_steps=1), "gradient_accumulation_steps"),
        (lambda: optimizers.Adam(use_ema=True, ema_momentum=2.0), "ema_momentum"),
        (lambda: optimizers.Adam(ema_overwrite_frequency=0), "ema_overwrite_frequency"),
        (lambda: optimizers.Adagrad(initial_accumulator_value=-1.0), "initial_accumulator"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power"),
        (lambda: optimizers.Lion(beta_1=0.0), "beta_1"),
        (lambda: optimizers.AdamW(weight_decay=None), "weight_decay"),
        (lambda: optimizers.Adam(betta=0.9), "not recognized"),
    ],
)
def test_invalid_arguments_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_loss_scale_factor_helpers():
    opt = optimizers.SGD(loss_scale_factor=128.0)
    assert float(opt.scale_loss(2.0)) == 256.0
    grads = opt.unscale_gradients({"w": np.float32(256.0)})
    assert float(grads["w"]) == 2.0
    with pytest.raises(ValueError, match="loss_scale_factor"):
        optimizers.SGD(loss_scale_factor=0.0)


def test_fit_ends_with_the_ema_weights_like_keras():
    import keras as real_keras

    def build(lib, opt):
        x = lib.Input(shape=(3,))
        model = lib.Model(x, lib.layers.Dense(1)(x))
        model.compile(optimizer=opt, loss="mse")
        return model

    rng = np.random.default_rng(0)
    data = rng.normal(size=(16, 3)).astype("float32")
    target = data.sum(-1, keepdims=True)
    theirs = build(real_keras, real_keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9))
    ours = build(kerax, kerax.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9))
    ours.set_weights(theirs.get_weights())
    theirs.fit(data, target, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ours.fit(data, target, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_muon_splits_a_models_variables_by_path_like_keras():
    """Embeddings (by name) and an excluded output layer take Adam; the hidden kernel Muon."""

    def build(lib):
        x = lib.Input(shape=(3,), dtype="int32")
        h = lib.layers.Embedding(5, 4, name="embedding")(x)
        h = lib.layers.Dense(6, activation="tanh", name="hidden")(lib.layers.Flatten()(h))
        return lib.Model(x, lib.layers.Dense(2, name="out")(h))

    ours, theirs = build(kerax), build(keras)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    kwargs = dict(learning_rate=0.05, exclude_layers=["out"], weight_decay=0.1)
    ours.compile(optimizer=optimizers.Muon(**kwargs), loss="mse")
    theirs.compile(optimizer=keras.optimizers.Muon(**kwargs), loss="mse")
    for _ in range(3):
        x = rng.integers(0, 5, size=(8, 3)).astype(np.int32)
        y = rng.normal(size=(8, 2)).astype(np.float32)
        ours.train_on_batch(x, y)
        theirs.train_on_batch(x, y)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    opt = optimizers.Muon(exclude_layers=["out"])
    uses_adam = {
        path: opt._uses_adam(np.zeros(shape), path)
        for path, shape in [
            ("embedding/embeddings", (5, 4)),
            ("hidden/kernel", (12, 6)),
            ("hidden/bias", (6,)),
            ("out/kernel", (6, 2)),
        ]
    }
    assert uses_adam == {
        "embedding/embeddings": True,
        "hidden/kernel": False,
        "hidden/bias": True,
        "out/kernel": True,
    }


def test_keras_reads_the_new_optimizers_configs():
    for opt in (
        optimizers.Lamb(0.01, beta_1=0.8),
        optimizers.Muon(0.01, exclude_layers=["out"], rms_rate=None),
        optimizers.ScheduleFreeAdamW(warmup_steps=10),
    ):
        config = opt.get_config()
        theirs = getattr(keras.optimizers, type(opt).__name__).from_config(config)
        theirs_config = theirs.get_config()
        for key, value in config.items():
            assert theirs_config[key] == pytest.approx(value), key
