"""Parity with real Keras for the names kerax added to cover Keras's public API:
activations, constraints, ``kerax.tree``, and the settings in ``kerax.backend`` /
``kerax.config``. Tiny inputs, no compiles."""

from __future__ import annotations

import collections

import jax
import keras
import numpy as np
import pytest

import kerax

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 6)).astype("float32") * 2

ACTIVATIONS = [
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("glu", {}),
    ("glu", {"axis": 0}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}),
    ("hard_tanh", {}),
    ("log_sigmoid", {}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.5}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 1.0}),
    ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.5, "default_value": -1.0}),
    ("swish", {}),
    ("hard_swish", {}),
]


@pytest.mark.parametrize("name, kwargs", ACTIVATIONS)
def test_activation_matches_keras(name, kwargs):
    x = X[:2] if kwargs.get("axis") == 0 else X
    expected = np.asarray(getattr(keras.activations, name)(x, **kwargs))
    got = np.asarray(getattr(kerax.activations, name)(x, **kwargs))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert kerax.activations.get(name) is getattr(kerax.activations, name)


def _sparsemax_by_bisection(x: np.ndarray, axis: int) -> np.ndarray:
    """The Euclidean projection onto the simplex, found by bisection on the threshold
    (``sum(max(x - tau, 0)) == 1``), independent of the sort-based formula."""
    x = np.moveaxis(x.astype("float64"), axis, -1)
    lo, hi = x.min(-1, keepdims=True) - 1, x.max(-1, keepdims=True)
    for _ in range(100):
        tau = (lo + hi) / 2
        over = np.maximum(x - tau, 0).sum(-1, keepdims=True) > 1
        lo, hi = np.where(over, tau, lo), np.where(over, hi, tau)
    return np.moveaxis(np.maximum(x - (lo + hi) / 2, 0), -1, axis)


@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_is_the_simplex_projection(axis):
    # Against a numpy reference: Keras 3.15.1's JAX sparsemax returns rows that do
    # not sum to 1 (e.g. [0.1, 0.2, 0.15] unchanged), so it is no oracle here.
    sparsemax = jax.jit(kerax.activations.sparsemax, static_argnames="axis")  # one compile
    got = np.asarray(sparsemax(X, axis=axis))
    np.testing.assert_allclose(got, _sparsemax_by_bisection(X, axis), atol=1e-5)


@pytest.mark.parametrize("name", ["swish", "hard_swish", "celu", "sparsemax"])
def test_activation_serialize_and_deserialize_like_keras(name):
    keras_fn = getattr(keras.activations, name)
    ours = getattr(kerax.activations, name)
    assert kerax.activations.serialize(ours) == keras.activations.serialize(keras_fn)
    config = keras.saving.serialize_keras_object(keras_fn)
    assert kerax.activations.deserialize(config) is ours
    assert kerax.activations.deserialize(name) is ours


CONSTRAINTS = [
    ("MaxNorm", {}),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}),
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1]}),
    ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5, "axis": 1}),
    ("NonNeg", {}),
    ("UnitNorm", {}),
    ("UnitNorm", {"axis": 1}),
]


@pytest.mark.parametrize("name, kwargs", CONSTRAINTS)
def test_constraint_matches_keras(name, kwargs):
    theirs = getattr(keras.constraints, name)(**kwargs)
    ours = getattr(kerax.constraints, name)(**kwargs)
    np.testing.assert_allclose(np.asarray(ours(X)), np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)
    assert ours.get_config() == theirs.get_config()
    # Keras's config round-trips into kerax's class, and back.
    config = keras.constraints.serialize(theirs)
    again = kerax.constraints.deserialize(config)
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert kerax.constraints.serialize(ours)["class_name"] == config["class_name"]


@pytest.mark.parametrize("identifier", ["max_norm", "MaxNorm", "non_neg", "unit_norm", None])
def test_constraint_get_resolves_names_like_keras(identifier):
    theirs, ours = keras.constraints.get(identifier), kerax.constraints.get(identifier)
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert type(ours).__name__ == type(theirs).__name__


def test_constraint_get_rejects_unknown_names():
    with pytest.raises(ValueError, match="max_nrm"):
        kerax.constraints.get("max_nrm")


Point = collections.namedtuple("Point", ["x", "y"])
STRUCTURES = [
    1,
    None,
    [1, 2, (3, None)],
    {"b": [1, 2], "a": {"d": 3, "c": (4,)}},
    (Point(1, [2, 3]), []),
    {"x": None, "y": ()},
]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_tree_flatten_and_pack_match_keras(structure):
    flat = kerax.tree.flatten(structure)
    assert flat == keras.tree.flatten(structure)
    assert kerax.tree.is_nested(structure) == keras.tree.is_nested(structure)
    assert kerax.tree.flatten_with_path(structure) == keras.tree.flatten_with_path(structure)
    fresh = [f"leaf{i}" for i in range(len(flat))]
    assert kerax.tree.pack_sequence_as(structure, fresh) == keras.tree.pack_sequence_as(
        structure, fresh
    )
    assert kerax.tree.lists_to_tuples(structure) == keras.tree.lists_to_tuples(structure)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_tree_map_structure_matches_keras(structure):
    def fn(a):
        return None if a is None else str(a) * 2

    assert kerax.tree.map_structure(fn, structure) == keras.tree.map_structure(fn, structure)
    assert kerax.tree.map_structure(fn, structure, none_is_leaf=False) == keras.tree.map_structure(
        fn, structure, none_is_leaf=False
    )


def _pair(*leaves):
    return leaves


def _raises(fn, *args):
    try:
        fn(*args)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize(
    "a, b",
    [
        ([1, 2], [3, 4]),
        ([1, 2], (3, 4)),
        ([1, [2]], [3, 4]),
        ({"a": 1}, {"b": 1}),
        ({"a": 1, "b": [2]}, {"b": [5], "a": 0}),
    ],
)
def test_tree_assertions_match_keras(a, b):
    assert _raises(kerax.tree.assert_same_structure, a, b) == _raises(
        keras.tree.assert_same_structure, a, b
    )
    assert _raises(kerax.tree.assert_same_paths, a, b) == _raises(
        keras.tree.assert_same_paths, a, b
    )
    assert _raises(kerax.tree.map_structure, _pair, a, b) == _raises(
        keras.tree.map_structure, _pair, a, b
    )


def test_tree_map_structure_up_to_and_shapes_match_keras():
    shallow = {"a": 0, "b": [0, 0]}
    deep = {"a": [1, 2], "b": [(3,), {"z": 4}]}
    assert kerax.tree.map_structure_up_to(shallow, repr, deep) == keras.tree.map_structure_up_to(
        shallow, repr, deep
    )
    shapes = {"x": (None, 3), "y": [(2,), [4, 5]], "z": ()}
    assert kerax.tree.map_shape_structure(repr, shapes) == keras.tree.map_shape_structure(
        repr, shapes
    )


@pytest.mark.parametrize("top_down", [True, False])
def test_tree_traverse_matches_keras(top_down):
    structure = {"a": [1, 2, (3, 4)], "b": 5}

    def visitor(MAP_TO_NONE):  # noqa: N803 - each library's sentinel
        def fn(node):
            if isinstance(node, tuple):
                return "tuple"
            if node == 2:
                return MAP_TO_NONE
            return None

        return fn

    assert kerax.tree.traverse(
        visitor(kerax.tree.MAP_TO_NONE), structure, top_down=top_down
    ) == keras.tree.traverse(visitor(keras.tree.MAP_TO_NONE), structure, top_down=top_down)


DTYPES = [None, int, float, bool, "int", "float64", "bfloat16", np.float16, np.dtype("uint8")]


@pytest.mark.parametrize("dtype", DTYPES, ids=repr)
def test_backend_dtype_helpers_match_keras(dtype):
    b, ours = keras.backend, kerax.backend
    assert ours.standardize_dtype(dtype) == b.standardize_dtype(dtype)
    assert ours.is_float_dtype(dtype) == b.is_float_dtype(dtype)
    assert ours.is_int_dtype(dtype) == b.is_int_dtype(dtype)


@pytest.mark.parametrize(
    "dtypes",
    [
        (),
        ("int32", "float16"),
        (int, "int8"),
        (float, "int32"),
        ("bfloat16", "float16"),
        ("uint8", "int8"),
        ("int16", "float32"),
        (bool, "int16"),
    ],
    ids=repr,
)
def test_backend_result_type_matches_keras(dtypes):
    assert kerax.backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)


def test_backend_settings_match_keras_defaults():
    for name in ["epsilon", "floatx", "image_data_format", "backend"]:
        assert getattr(kerax.backend, name)() == getattr(keras.backend, name)()
        assert getattr(kerax.config, name)() == getattr(keras.config, name)()
    assert kerax.backend.is_keras_tensor(kerax.Input((2,)))
    assert not kerax.backend.is_keras_tensor(np.zeros(2))


def test_get_uid_counts_like_keras():
    keras.backend.clear_session()
    kerax.backend.clear_session()
    keras.layers.Dense(1)
    kerax.layers.Dense(1)
    for prefix in ["dense", "dense", "new"]:
        assert kerax.backend.get_uid(prefix) == keras.backend.get_uid(prefix)


def test_set_floatx_sets_the_dtype_of_new_layers():
    try:
        kerax.config.set_floatx("float16")
        assert kerax.config.floatx() == "float16"
        assert kerax.layers.Dense(2).dtype == "float16"
    finally:
        kerax.config.set_floatx("float32")
    assert kerax.layers.Dense(2).dtype == "float32"
    with pytest.raises(ValueError, match="int8"):
        kerax.config.set_floatx("int8")


def test_set_image_data_format_is_the_default_data_format():
    try:
        kerax.config.set_image_data_format("channels_first")
        layer = kerax.layers.Conv2D(2, 3)
        assert layer.data_format == "channels_first"
    finally:
        kerax.config.set_image_data_format("channels_last")
    assert kerax.layers.Conv2D(2, 3).data_format == "channels_last"
    with pytest.raises(ValueError, match="channels_middle"):
        kerax.config.set_image_data_format("channels_middle")


def test_set_epsilon_refuses_what_it_cannot_honour():
    kerax.config.set_epsilon(1e-7)
    with pytest.raises(NotImplementedError, match="set_epsilon"):
        kerax.backend.set_epsilon(1e-5)


SERIALIZED = [
    ("regularizers", lambda lib: lib.regularizers.L1L2(0.1, 0.2)),
    ("regularizers", lambda lib: lib.regularizers.L2(0.3)),
    ("optimizers.schedules", lambda lib: lib.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
    ("optimizers.schedules", lambda lib: lib.optimizers.schedules.CosineDecay(0.1, 100)),
]


@pytest.mark.parametrize("namespace, make", SERIALIZED)
def test_serialize_and_deserialize_read_keras_configs(namespace, make):
    def ns(lib):
        for part in namespace.split("."):
            lib = getattr(lib, part)
        return lib

    theirs, ours = make(keras), make(kerax)
    config = ns(keras).serialize(theirs)
    again = ns(kerax).deserialize(config)
    assert type(again) is type(ours) and again.get_config() == theirs.get_config()
    mine = ns(kerax).serialize(ours)
    assert (mine["class_name"], mine["config"]) == (config["class_name"], config["config"])
    assert ns(keras).deserialize(mine).get_config() == theirs.get_config()


def test_layers_deserialize_reads_a_keras_layer_config():
    config = keras.layers.serialize(keras.layers.Dense(3, activation="relu", name="d"))
    layer = kerax.layers.deserialize(config)
    assert (type(layer).__name__, layer.units, layer.name) == ("Dense", 3, "d")
    assert kerax.layers.serialize(layer)["class_name"] == config["class_name"]


def test_config_switches_kerax_cannot_honour_are_refused():
    assert kerax.config.is_nnx_enabled() == keras.config.is_nnx_enabled()
    assert kerax.config.is_flash_attention_enabled() == keras.config.is_flash_attention_enabled()
    assert kerax.config.is_traceback_filtering_enabled() is False  # kerax never filters
    kerax.config.disable_traceback_filtering()
    kerax.config.set_backend("jax")
    try:
        kerax.config.disable_flash_attention()
        assert kerax.config.is_flash_attention_enabled() is False
    finally:
        kerax._settings._STATE.pop("flash_attention")
    for fn in (kerax.config.enable_flash_attention, kerax.config.enable_traceback_filtering):
        with pytest.raises(NotImplementedError, match=fn.__name__):
            fn()
    with pytest.raises(ValueError, match="torch"):
        kerax.config.set_backend("torch")


INITIALIZERS = [
    ("RandomNormal", {"mean": 1.0, "stddev": 2.0, "seed": 7}),
    ("RandomUniform", {"minval": -1.0, "maxval": 3.0, "seed": 7}),
    ("TruncatedNormal", {"seed": 7}),
    (
        "VarianceScaling",
        {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal", "seed": 1},
    ),
    ("glorot_uniform", {"seed": 3}),
    ("glorot_uniform", {"seed": 3, "input_axes": [0], "output_axes": [1]}),
    ("VarianceScaling", {"mode": "fan_avg", "seed": 2, "input_axes": [1], "output_axes": [0]}),
    ("glorot_normal", {"seed": 3}),
    ("he_uniform", {"seed": 3}),
    ("he_normal", {"seed": 3}),
    ("lecun_uniform", {"seed": 3}),
    ("lecun_normal", {"seed": 3}),
    ("orthogonal", {"gain": 2.0, "seed": 3}),
    ("constant", {"value": 1.5}),
    ("zeros", {}),
    ("ones", {}),
    ("identity", {"gain": 3.0}),
]


@pytest.mark.parametrize("name, kwargs", INITIALIZERS)
def test_initializer_called_keras_style_matches_keras(name, kwargs):
    theirs = getattr(keras.initializers, name)(**kwargs)
    ours = getattr(kerax.initializers, name)(**kwargs)
    for shape in [(3, 4), (2, 2, 3)] if name != "identity" else [(3, 4)]:
        expected = np.asarray(theirs(shape))
        got = np.asarray(ours(shape))
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(ours(shape=(2, 2), dtype="float16")).dtype, "float16")


def test_seeded_initializers_give_layers_keras_weights():
    def dense(lib):
        layer = lib.layers.Dense(
            3,
            kernel_initializer=lib.initializers.GlorotUniform(seed=11),
            bias_initializer=lib.initializers.RandomNormal(seed=12),
        )
        layer(np.zeros((1, 4), "float32"))
        return layer

    for got, expected in zip(dense(kerax).get_weights(), dense(keras).get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["float32", "bfloat16", "mixed_float16", "mixed_bfloat16"])
def test_dtype_policies_match_keras(name):
    theirs, ours = keras.dtype_policies.get(name), kerax.dtype_policies.get(name)
    assert (ours.name, ours.compute_dtype, ours.variable_dtype) == (
        theirs.name,
        theirs.compute_dtype,
        theirs.variable_dtype,
    )
    config = keras.dtype_policies.serialize(theirs)
    assert kerax.dtype_policies.serialize(ours) == config
    assert kerax.dtype_policies.deserialize(config) == ours
    assert kerax.dtype_policies.get(config) == ours
    assert kerax.dtype_policies.get(None) == kerax.mixed_precision.global_policy()
    float_config = keras.dtype_policies.serialize(keras.FloatDTypePolicy(name))
    again = kerax.dtype_policies.deserialize(float_config)
    assert type(again) is kerax.FloatDTypePolicy and again.compute_dtype == theirs.compute_dtype
    assert kerax.dtype_policies.serialize(again) == float_config
