"""Weight creation without a program per model: the values are those of one jitted
program over every layer's ``init`` (the reference), and the small programs are shared
across layers and models."""

from __future__ import annotations

import jax
import numpy as np

import kerax
from kerax import initializers, layers
from kerax.layers import _weights


def _model(blocks: int) -> kerax.Model:
    inputs = layers.Input((6,))
    h = layers.Dense(8, kernel_initializer="he_normal")(inputs)
    for _ in range(blocks):
        a = layers.Dense(8, activation="relu")(h)
        a = layers.Dense(8, bias_initializer=initializers.RandomNormal(stddev=0.3))(a)
        h = layers.BatchNormalization()(layers.Add()([h, a]))
    out = layers.Dense(3, kernel_initializer=initializers.Orthogonal())(h)
    return kerax.Model(inputs, out)


def _leaves(tree) -> list[np.ndarray]:
    return [np.asarray(v) for v in jax.tree_util.tree_leaves(tree)]


def test_lazy_weights_equal_one_jitted_program_over_all_layers():
    model = _model(1)
    kerax.utils.set_random_seed(3)
    model.lowered.layout.current()  # creates them, as fit and get_variables do
    owners = model.lowered.layout.layers
    kerax.utils.set_random_seed(3)  # the same key the facade drew
    keys = jax.random.split(kerax.random.next_key(), len(owners))
    reference = jax.jit(lambda ks: [la.init(k) for la, k in zip(owners, ks)])(keys)
    count = 0
    for layer, expected in zip(owners, reference, strict=True):
        for a, b in zip(_leaves(layer._values), _leaves(expected), strict=True):
            np.testing.assert_array_equal(a, b)
            count += 1
    assert count == 12


def test_lowered_init_is_pure_and_jit_gives_the_same_values():
    model = _model(1)
    key = jax.random.key(7)
    eager = _leaves(model.lowered.init(key))
    jitted = _leaves(jax.jit(model.lowered.init)(key))
    again = _leaves(model.lowered.init(key))
    for a, b, c in zip(eager, jitted, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_programs_are_shared_so_depth_adds_none():
    _model(1).get_weights()
    before = len(_weights._PROGRAMS)
    deeper = _model(6)
    deeper.get_weights()
    assert len(_weights._PROGRAMS) == before
    # distinct layers still get distinct values
    kernels = [w for w in deeper.get_weights() if w.shape == (8, 8)]
    assert len({k.tobytes() for k in kernels}) == len(kernels) == 12


def test_weights_created_inside_a_trace_are_concrete():
    model = _model(1)
    out = jax.jit(lambda x: model(x))(np.ones((2, 6), np.float32))
    assert out.shape == (2, 3)
    created = jax.tree_util.tree_leaves(model.lowered.layout.current())
    assert len(created) == 12
    assert not any(isinstance(v, jax.core.Tracer) for v in created)
    again = jax.tree_util.tree_leaves(model.lowered.layout.current())  # not re-created
    assert all(a is b for a, b in zip(created, again, strict=True))


class _Scaled(initializers.Initializer):
    """State outside ``get_config``: instances must not share a program."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def __call__(self, key, shape, dtype="float32"):
        return self.scale * jax.random.normal(key, shape, dtype)


def test_user_initializers_with_state_outside_their_config_are_not_merged():
    inputs = layers.Input((4,))
    a = layers.Dense(5, kernel_initializer=_Scaled(1.0), name="unit")(inputs)
    b = layers.Dense(5, kernel_initializer=_Scaled(0.0), name="zero")(inputs)
    model = kerax.Model(inputs, [a, b])
    values = model.lowered.init(jax.random.key(0))["params"]
    assert np.abs(np.asarray(values["unit"]["kernel"])).sum() > 0
    np.testing.assert_array_equal(np.asarray(values["zero"]["kernel"]), 0.0)


def test_the_layer_keys_are_those_of_a_split():
    from kerax.graph.layout import _split

    key = jax.random.key(11)
    expected = np.asarray(jax.random.key_data(jax.random.split(key, 5)))
    got = np.stack([np.asarray(jax.random.key_data(k)) for k in _split(key, 5)])
    np.testing.assert_array_equal(got, expected)


def test_variance_scaling_drawn_flat_equals_a_draw_of_the_shape():
    key = jax.random.key(5)
    shape = (3, 3, 4, 6)  # fans 36 and 54
    limit = np.sqrt(6.0 / (36 + 54))
    got = initializers.GlorotUniform()(key, shape, "float32")
    expected = jax.random.uniform(key, shape, "float32", -limit, limit)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    stddev = np.sqrt(2.0 / 5) / 0.87962566103423978
    got = initializers.HeNormal()(key, (5, 7), "float32")
    expected = stddev * jax.random.truncated_normal(key, -2.0, 2.0, (5, 7), "float32")
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))


def test_bucketed_draws_equal_draws_of_each_shape_from_one_program():
    key = jax.random.key(11)
    inits = [initializers.GlorotUniform(), initializers.HeNormal(), initializers.LecunNormal()]
    inits.append(initializers.VarianceScaling(distribution="untruncated_normal", mode="fan_out"))
    shapes = [(3,), (8, 8), (3, 3, 4, 5), (300, 250)]  # the last one over the first bucket
    for init in inits:
        for shape in shapes:
            spec = _weights.WeightSpec("w", shape, "float32", init)
            assert _weights._bucketable(init, key, spec)
            got = np.asarray(_weights._draw(spec, key, 2))
            # What a program of the weight's own shape gave (a jitted draw: XLA
            # compiles ``factor * normal`` with a bit of difference from eager calls).
            own = jax.jit(lambda k, init=init, shape=shape: init(k, shape, "float32"))
            expected = np.asarray(own(jax.random.fold_in(key, 2)))
            np.testing.assert_array_equal(got, expected)
    bucketed = [k for k in _weights._PROGRAMS if k[0] == "bucketed"]
    # one program per (distribution, bucket, dtype): three distributions, two buckets
    assert len(bucketed) <= 6
    seeded = initializers.GlorotUniform(seed=1)  # Keras's numbers: its own path
    assert not _weights._bucketable(seeded, key, _weights.WeightSpec("w", (2,), "float32", seeded))


def test_fills_are_placed_from_the_host_without_compiling(caplog):
    """Zeros, ones and constants are filled by NumPy and placed: no program per shape
    (each was a compile before the first step), the values and dtypes of ``jnp.full``."""
    kerax.random.next_key()  # the key stream's own programs, compiled once per process
    inputs = layers.Input((5,))
    h = layers.Dense(7, kernel_initializer="zeros", bias_initializer=initializers.Constant(0.25))(
        inputs
    )
    h = layers.LayerNormalization(dtype="mixed_bfloat16")(h)
    out = layers.Dense(3, kernel_initializer="ones", bias_initializer="ones", dtype="float16")(h)
    model = kerax.Model(inputs, out)
    with jax.log_compiles(), caplog.at_level("WARNING", logger="jax"):
        weights = model.get_weights()
    compiles = [r.getMessage() for r in caplog.records if "XLA compilation" in r.getMessage()]
    assert compiles == []
    expected = [
        (np.zeros((5, 7)), "float32"),
        (np.full(7, 0.25), "float32"),
        (np.ones(7), "float32"),  # gamma: a mixed policy keeps float32 variables
        (np.zeros(7), "float32"),
        (np.ones((7, 3)), "float16"),
        (np.ones(3), "float16"),
    ]
    assert len(weights) == len(expected)
    for w, (values, dtype) in zip(weights, expected, strict=True):
        assert w.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(w, values.astype(dtype))
