"""kerax.distribution's API next to real keras.distribution, on 4 simulated CPU devices.

Run in a subprocess (the device flag must precede JAX's start). Nothing here compiles:
it builds meshes, layouts and distributions, places two small arrays, and traces one
function. Prints one JSON object:

- ``pairs``: ``{check: [keras's answer, kerax's answer]}``, to be equal;
- ``signatures``: every difference between the public surfaces that the allow-list
  does not excuse, plus ``allowed``: the allow-list entries that were used;
- ``kerax``: answers of kerax's own behaviour where Keras has none to compare with.
"""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("KERAX_COMPILE_CACHE", "0")

import inspect  # noqa: E402
import json  # noqa: E402
import warnings  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import distribution as kd  # noqa: E402
from keras.src.distribution import distribution_lib as keras_lib  # noqa: E402

from kerax import distribution as xd  # noqa: E402
from kerax.layers import Input as kerax_input  # noqa: E402

# Differences between the surfaces that are meant, each with its reason.
ALLOWED = {
    # Keras's tf.data sharding; kerax has no TensorFlow dependency. Its
    # distribute_dataset cuts arrays and iterables of batches instead.
    ("Distribution", "distribute_tf_dataset"),
    ("DataParallel", "distribute_tf_dataset"),
    ("ModelParallel", "distribute_tf_dataset"),
}
# Protocol methods compared besides the public ones (LayoutMap is a mapping).
DUNDERS = ("__init__", "__getitem__", "__setitem__", "__delitem__", "__iter__", "__len__")


def _params(fn):
    return [
        [p.name, p.kind.name, repr(p.default)] for p in inspect.signature(fn).parameters.values()
    ]


def _member_kind(cls, name):
    static = inspect.getattr_static(cls, name)
    if isinstance(static, property):
        return "property+setter" if static.fset else "property"
    return "method" if callable(static) else "attribute"


def compare_surfaces():
    problems, allowed = [], []

    def differ(what, key):
        if key in ALLOWED:
            allowed.append(list(key))
        else:
            problems.append(what)

    public = sorted(n for n in dir(kd) if not n.startswith("_"))
    for name in public:
        if name not in xd.__all__ or not hasattr(xd, name):
            differ(f"kerax.distribution lacks {name}", ("module", name))
    classes = {n: (getattr(kd, n), getattr(xd, n, None)) for n in public}
    classes["Distribution"] = (keras_lib.Distribution, xd.Distribution)  # not exported by Keras
    for name, (theirs, ours) in sorted(classes.items()):
        if ours is None:
            continue
        if not inspect.isclass(theirs):
            if _params(theirs) != _params(ours):
                differ(f"{name}{_params(theirs)} vs {_params(ours)}", ("module", name))
            continue
        members = [m for m in dir(theirs) if not m.startswith("_") or m in DUNDERS]
        for member in members:
            if not hasattr(ours, member):
                differ(f"{name}.{member} is missing", (name, member))
                continue
            kind = _member_kind(theirs, member)
            if kind != _member_kind(ours, member):
                differ(f"{name}.{member}: {kind} vs {_member_kind(ours, member)}", (name, member))
            elif kind == "method":
                a, b = _params(getattr(theirs, member)), _params(getattr(ours, member))
                if a != b:
                    differ(f"{name}.{member}{a} vs {b}", (name, member))
    return problems, allowed


def outcome(fn):
    """What ``fn()`` gives, or the name of the exception it raises."""
    try:
        return ["ok", plain(fn())]
    except Exception as err:  # the type is what is compared
        return ["raises", type(err).__name__]


def plain(value):
    """JSON-able form: layouts by their axes, meshes by shape / names / devices."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, kd.TensorLayout | xd.TensorLayout):
        return {"axes": plain(value.axes), "mesh": plain(value.device_mesh)}
    if isinstance(value, kd.DeviceMesh | xd.DeviceMesh):
        return {
            "shape": list(value.shape),
            "axis_names": list(value.axis_names),
            "devices": [str(d) for d in value.devices.ravel()],
            "devices_shape": list(value.devices.shape),
            "backend": [list(value.backend_mesh.axis_names), mesh_ids(value.backend_mesh)],
        }
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise TypeError(type(value))


def mesh_ids(mesh):
    return np.vectorize(lambda d: d.id)(mesh.devices).tolist()


pairs = {}


def pair(name, build):
    """Runs ``build(lib)`` with keras.distribution and kerax.distribution."""
    pairs[name] = [outcome(lambda: build(kd)), outcome(lambda: build(xd))]


def var(path, shape):
    return SimpleNamespace(path=path, shape=shape)


def describe(dist):
    """Keras's attributes of a distribution, and its layouts for a few shapes / paths."""
    return [
        dist.batch_dim_name,
        dist.device_mesh,
        dist.num_model_replicas,
        dist.num_processes,
        dist.data_shard_id,
        dist.auto_shard_dataset,
        [dist.get_data_layout(s) for s in [(8,), (8, 3), (16, 4, 4, 3)]],
        [
            dist.get_variable_layout(var(p, s))
            for p, s in [
                ("dense/kernel", (6, 8)),
                ("dense/bias", (8,)),
                ("dense_1/kernel", (8, 4)),
                ("conv2d/kernel", (3, 3, 2, 4)),
                ("model/dense/kernel", (6, 8)),
                ("lstm/recurrent_kernel", (4, 16)),
            ]
        ],
        [dist.get_tensor_layout(p) for p in ["dense/output", "dense_2/output", "nothing"]],
    ]


# ---------------------------------------------------------------- devices and meshes
pair("list_devices", lambda d: [d.list_devices(), d.list_devices("CPU")])
pair("get_device_count", lambda d: [d.get_device_count(), d.get_device_count("cpu")])
pair("mesh_2x2", lambda d: d.DeviceMesh((2, 2), ["batch", "model"]))
pair("mesh_4_list", lambda d: d.DeviceMesh([4], ["data"]))
pair(
    "mesh_reordered",
    lambda d: d.DeviceMesh((2, 2), ("batch", "model"), ["cpu:3", "cpu:1", "cpu:2", "cpu:0"]),
)
pair("mesh_jax_devices", lambda d: d.DeviceMesh((4, 1), ("batch", "model"), jax.devices()))
pair("mesh_wrong_count", lambda d: d.DeviceMesh((2, 3), ("batch", "model")))
pair("mesh_rank_mismatch", lambda d: d.DeviceMesh((2, 2), ("batch",)))
pair("mesh_empty", lambda d: d.DeviceMesh((), ()))

# ---------------------------------------------------------------- tensor layouts
pair("layout_no_mesh", lambda d: d.TensorLayout([None, "model"]))
pair("layout_mesh", lambda d: d.TensorLayout((None, "model"), d.DeviceMesh((2, 2), ("b", "model"))))
pair("layout_bad_axis", lambda d: d.TensorLayout(("nope",), d.DeviceMesh((4,), ("batch",))))


def set_mesh_twice(d):
    layout = d.TensorLayout(("batch",))
    layout.device_mesh = d.DeviceMesh((4,), ("batch",))
    first = plain(layout)
    layout.device_mesh = d.DeviceMesh((4,), ("batch",))
    return first


def set_mesh_bad_axis(d):
    layout = d.TensorLayout(("model",))
    layout.device_mesh = d.DeviceMesh((4,), ("batch",))


pair("layout_set_mesh_twice", set_mesh_twice)
pair("layout_set_mesh_bad_axis", set_mesh_bad_axis)


def backend_spec(d):
    layout = d.TensorLayout((None, "model"), d.DeviceMesh((2, 2), ("batch", "model")))
    sharding = layout.backend_layout
    return [type(sharding).__name__, [str(a) for a in sharding.spec], mesh_ids(sharding.mesh)]


pair("layout_backend", backend_spec)
pair("layout_backend_no_mesh", lambda d: d.TensorLayout(("batch",)).backend_layout)


# ---------------------------------------------------------------- layout maps
def layout_map(d, mesh=None):
    lm = d.LayoutMap(mesh or d.DeviceMesh((2, 2), ("batch", "model")))
    lm["dense.*kernel"] = (None, "model")
    lm["dense.*bias"] = ("model",)
    lm["conv2d.*kernel"] = d.TensorLayout((None, None, None, "model"))
    lm["lstm/recurrent_kernel"] = ("batch", "model")
    lm["dense_2/output"] = ("batch", None)
    return lm


def map_lookups(d):
    lm = layout_map(d)
    paths = [
        "dense/kernel",
        "dense_1/kernel",
        "dense/bias",
        "conv2d/kernel",
        "conv3d/kernel",
        "model/dense/kernel",  # the patterns match whole paths: no layout
        "lstm/recurrent_kernel",
        "dense_2/output",
        "dense/output",
    ]
    return [
        len(lm),
        list(lm),
        [lm[p] for p in paths],
        [lm.get(p) for p in paths],
        "dense/kernel" in lm,
        lm.device_mesh,
    ]


def map_two_matches(d):
    lm = layout_map(d)
    lm["dense/.*"] = (None, None)
    return lm["dense/kernel"]


def map_duplicate(d):
    lm = layout_map(d)
    lm["dense.*bias"] = ("batch",)


def map_replace(d):
    lm = layout_map(d)
    del lm["dense.*bias"]
    lm["dense.*bias"] = ("batch",)
    return [len(lm), list(lm), lm["dense/bias"]]


def map_bad_axis(d):
    layout_map(d)["x"] = ("nope",)


def map_bad_value(d):
    layout_map(d)["x"] = "model"


def map_own_mesh(d):
    lm = layout_map(d)
    lm["y"] = d.TensorLayout(("data",), d.DeviceMesh((4,), ("data",)))
    return lm["y"]


pair("map_lookups", map_lookups)
pair("map_two_matches", map_two_matches)
pair("map_duplicate", map_duplicate)
pair("map_replace", map_replace)
pair("map_bad_axis", map_bad_axis)
pair("map_bad_value", map_bad_value)
pair("map_own_mesh", map_own_mesh)
pair("map_delete_missing", lambda d: layout_map(d).__delitem__("nope"))

# ---------------------------------------------------------------- distributions
pair("data_parallel_default", lambda d: describe(d.DataParallel()))
pair("data_parallel_devices", lambda d: describe(d.DataParallel(devices=d.list_devices()[:2])))
pair("data_parallel_jax_devices", lambda d: describe(d.DataParallel(devices=jax.devices()[1:])))
pair(
    "data_parallel_mesh",
    lambda d: describe(d.DataParallel(device_mesh=d.DeviceMesh((4,), ("data",)))),
)
pair("data_parallel_not_a_mesh", lambda d: d.DataParallel(device_mesh="mesh"))
pair("data_parallel_no_shard", lambda d: describe(d.DataParallel(auto_shard_dataset=False)))


def shard_setter(d):
    dist = d.DataParallel()
    dist.auto_shard_dataset = False
    return dist.auto_shard_dataset


pair("data_parallel_shard_setter", shard_setter)
pair("model_parallel", lambda d: describe(d.ModelParallel(layout_map=layout_map(d))))
pair(
    "model_parallel_batch_dim",
    lambda d: describe(d.ModelParallel(layout_map=layout_map(d), batch_dim_name="model")),
)


def model_parallel_4x1(d):
    mesh = d.DeviceMesh((4, 1), ("batch", "model"))
    return describe(d.ModelParallel(layout_map=layout_map(d, mesh), auto_shard_dataset=False))


def model_parallel_with_mesh(d):
    lm = layout_map(d)
    return describe(d.ModelParallel(layout_map=lm, device_mesh=lm.device_mesh))


pair("model_parallel_4x1", model_parallel_4x1)
pair("model_parallel_device_mesh_kwarg", model_parallel_with_mesh)
pair("model_parallel_no_map", lambda d: d.ModelParallel())
pair("model_parallel_dict_map", lambda d: d.ModelParallel(layout_map={"a": (None,)}))


def data_shard_ids(d):
    """data_shard_id for simulated processes (both libraries read these two fields)."""
    out = []
    for replicas, processes in [(2, 4), (4, 2), (2, 2), (1, 4)]:
        mesh = d.DeviceMesh((replicas, 4 // replicas), ("batch", "model"))
        dist = d.ModelParallel(layout_map=d.LayoutMap(mesh))
        dist._num_processes = processes
        out.append([])
        for pid in range(processes):
            dist._process_id = pid
            out[-1].append(dist.data_shard_id)
    return out


pair("data_shard_id", data_shard_ids)


def scopes(d):
    first, second = d.DataParallel(), d.ModelParallel(layout_map=layout_map(d))
    d.set_distribution(None)
    seen = [d.distribution() is None]
    with first.scope():
        seen.append(d.distribution() is first)
        with second.scope():
            seen.append(d.distribution() is second)
        seen.append(d.distribution() is first)
    seen.append(d.distribution() is None)
    d.set_distribution(second)
    try:
        with first.scope():
            raise RuntimeError
    except RuntimeError:
        seen.append(d.distribution() is second)  # restored on an exception too
    d.set_distribution(None)
    return seen


pair("scope", scopes)


def one_process_datasets(d):
    x = np.arange(20.0).reshape(10, 2)
    batches = [(x[:4], x[:4]), (x[4:8], x[4:8])]
    dist = d.DataParallel()
    return [dist.distribute_dataset(x) is x, dist.distribute_dataset(batches) is batches]


pair("distribute_dataset_one_process", one_process_datasets)


# ---------------------------------------------------------------- distribute_tensor
def placed(d):
    mesh = d.DeviceMesh((2, 2), ("batch", "model"))
    layout = d.TensorLayout((None, "model"), mesh)
    a = d.distribute_tensor(np.arange(32.0).reshape(4, 8), layout)
    b = d.distribute_tensor(a, layout)  # already laid out so: the same array
    c = d.distribute_tensor(np.ones((4, 8)), layout.backend_layout)
    return [
        [str(s) for s in a.sharding.spec],
        sorted(list(s.data.shape) for s in a.addressable_shards),
        np.asarray(a).tolist() == np.arange(32.0).reshape(4, 8).tolist(),
        b is a,
        [str(s) for s in c.sharding.spec],
    ]


def traced(d):
    layout = d.TensorLayout(("batch", None), d.DeviceMesh((4,), ("batch",)))
    jaxpr = jax.make_jaxpr(lambda x: d.distribute_tensor(x * 2, layout))(np.ones((8, 3)))
    eqn = jaxpr.jaxpr.eqns[-1]
    return [eqn.primitive.name, [str(s) for s in eqn.params["sharding"].spec]]


pair("distribute_tensor", placed)
pair("distribute_tensor_traced", traced)


def symbolic(d):
    """A functional model's symbolic tensor is returned as it is."""
    t = (keras.Input if d is kd else kerax_input)(shape=(3,))
    layout = d.TensorLayout(("batch", None), d.DeviceMesh((4,), ("batch",)))
    return [type(t).__name__, d.distribute_tensor(t, layout) is t]


pair("distribute_tensor_symbolic", symbolic)
pair("initialize_address_count", lambda d: d.initialize("a:1,b:2", num_processes=3))

# ---------------------------------------------------------------- kerax only
kerax = {}


def kerax_datasets():
    dist = xd.DataParallel()
    dist._num_processes, dist._process_id = 2, 1  # as process 1 of 2
    x, y = np.arange(22.0).reshape(11, 2), np.arange(11)
    out = {
        "array": dist.distribute_dataset(x).tolist(),
        "tuple": [a.tolist() for a in dist.distribute_dataset((x, y))],
        "dict": {k: v.tolist() for k, v in dist.distribute_dataset({"a": x, "b": y}).items()},
        "lists": dist.distribute_dataset([[1, 2], [3, 4], [5, 6]]).tolist(),
    }
    dist._process_id = 0
    out["array_0"] = dist.distribute_dataset(x).tolist()
    # A list of batches would be in-memory data (as for fit): an iterable class instead.
    batches = SimpleNamespace(items=[(x[:8], y[:8]), (x[8:10], y[8:10])])
    shares = dist.distribute_dataset(
        type("Batches", (), {"__iter__": lambda _: iter(batches.items)})()
    )
    out["batches"] = [[a.tolist() for a in batch] for batch in shares]
    out["batches_again"] = [[a.tolist() for a in batch] for batch in shares]
    out["odd_batch"] = outcome(lambda: list(dist.distribute_dataset(iter([x[:3]]))))
    out["not_data"] = outcome(lambda: dist.distribute_dataset(3))
    dist.auto_shard_dataset = False
    out["no_shard"] = dist.distribute_dataset(x) is x
    # 2 replicas over 4 processes: processes 2 and 3 read share 1 of 2.
    mesh = xd.DeviceMesh((2, 2), ("batch", "model"))
    mp = xd.ModelParallel(layout_map=xd.LayoutMap(mesh))
    mp._num_processes, mp._process_id = 4, 3
    out["replicas"] = mp.distribute_dataset(np.arange(8)).tolist()
    return out


kerax["datasets"] = kerax_datasets()
kerax["contains_unmatched"] = "conv3d/kernel" in layout_map(xd)  # Keras says True for any key
lm = xd.LayoutMap(xd.DeviceMesh((4,), ("batch",)))
lm["a"] = ["batch", None]  # Keras takes only tuples
kerax["list_value"] = plain(lm["a"])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # Keras 3.15 raises TypeError here (it passes the mesh rank as a warning category).
    dp = xd.DataParallel(device_mesh=xd.DeviceMesh((2, 2), ("batch", "model")))
kerax["data_parallel_2d"] = [
    dp.batch_dim_name,
    [str(w.category.__name__) for w in caught],
    plain(dp.get_data_layout((8, 3)).axes),
    dp.num_batch_shards,
]
kerax["data_parallel_both"] = outcome(
    lambda: xd.DataParallel(device_mesh=xd.DeviceMesh((4,), ("batch",)), devices=["cpu:0"])
)
kerax["model_parallel_other_mesh"] = outcome(
    lambda: xd.ModelParallel(
        layout_map=layout_map(xd), device_mesh=xd.DeviceMesh((2, 2), ("batch", "model"))
    )
)
kerax["model_parallel_unknown_kwarg"] = outcome(
    lambda: xd.ModelParallel(layout_map=layout_map(xd), devices=None)
)


class RowSplit(xd.DataParallel):
    def get_variable_layout(self, variable):
        return xd.TensorLayout(("batch",) + (None,) * (len(variable.shape) - 1), self.device_mesh)


# fit places variables by variable_layout, which asks get_variable_layout and checks it.
kerax["override"] = [
    plain(RowSplit().variable_layout("dense/kernel", (8, 2)).axes),
    outcome(lambda: RowSplit().variable_layout("dense/kernel", (6, 2))),
    plain(xd.ModelParallel(layout_map=layout_map(xd)).variable_layout("dense/kernel", (6, 8)).axes),
]
signatures, allowed = compare_surfaces()
print(json.dumps({"pairs": pairs, "signatures": signatures, "allowed": allowed, "kerax": kerax}))
