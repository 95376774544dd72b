"""Run in a subprocess with 4 simulated CPU devices (the flag must precede JAX's start)."""

import os
import sys

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
os.environ.setdefault("KERAX_COMPILE_CACHE", "0")

import json  # noqa: E402

import jax  # noqa: E402
import numpy as np  # noqa: E402

import kerax  # noqa: E402
from kerax import distribution  # noqa: E402
from kerax.distribution import placement  # noqa: E402
from kerax.layers import Dense, Input  # noqa: E402


def build(optimizer="sgd"):
    kerax.backend.clear_session()
    kerax.set_random_seed(0)
    x = Input(shape=(6,))
    hidden = Dense(8, activation="relu")(x)  # named "dense"
    model = kerax.Model(x, Dense(1)(hidden))
    model.compile(optimizer=optimizer, loss="mse")
    return model


rng = np.random.default_rng(0)
data = rng.normal(size=(64, 6)).astype(np.float32)
target = data.sum(-1, keepdims=True)
mode = sys.argv[1]
result = {"devices": len(distribution.list_devices())}
if mode == "data_parallel":
    single = build()
    single.fit(data, target, batch_size=16, epochs=2, verbose=0)
    distribution.set_distribution(distribution.DataParallel())
    parallel = build()
    parallel.fit(data, target, batch_size=16, epochs=2, verbose=0)
    result["max_diff"] = max(
        float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), parallel.get_weights())
    )
    # The same with the dataset split by rows (what larger datasets get).
    small_limit, placement.REPLICATE_MAX_BYTES = placement.REPLICATE_MAX_BYTES, 0
    split = build()
    split.fit(data, target, batch_size=16, epochs=2, verbose=0)
    placement.REPLICATE_MAX_BYTES = small_limit
    result["split_max_diff"] = max(
        float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), split.get_weights())
    )
    result["eval_diff"] = abs(
        single.evaluate(data, target, verbose=0) - parallel.evaluate(data, target, verbose=0)
    )
    # 50 rows: the last batch of 16 is padded, and the padding is dropped.
    result["predict_diff"] = float(
        np.max(
            np.abs(single.predict(data[:50], verbose=0) - parallel.predict(data[:50], verbose=0))
        )
    )
    # Batch sizes that do not split over 4 devices: evaluation and prediction round
    # their batches up (padding rows are masked); one-batch calls pad the batch.
    three, ten = data[:3], data[:10]
    checks = {
        "predict_6": (
            single.predict(ten, verbose=0),
            parallel.predict(ten, batch_size=6, verbose=0),
        ),
        "evaluate_6": (
            single.evaluate(ten, target[:10], verbose=0),
            parallel.evaluate(ten, target[:10], batch_size=6, verbose=0),
        ),
        "predict_on_batch_3": (single.predict_on_batch(three), parallel.predict_on_batch(three)),
        "test_on_batch_3": (
            single.test_on_batch(three, target[:3]),
            parallel.test_on_batch(three, target[:3]),
        ),
        "predict_iter": (
            single.predict(ten, verbose=0),
            parallel.predict(iter([(ten[:8],), (ten[8:],)]), verbose=0),
        ),
        "evaluate_iter": (
            single.evaluate(data[:6], target[:6], verbose=0),
            parallel.evaluate(iter([(data[:6], target[:6])]), verbose=0),
        ),
        "train_on_batch_3": (
            single.train_on_batch(three, target[:3]),
            parallel.train_on_batch(three, target[:3]),
        ),
    }
    result["odd_batches"] = {
        k: [np.shape(a) == np.shape(b), float(np.max(np.abs(np.asarray(a) - np.asarray(b))))]
        for k, (a, b) in checks.items()
    }
    # A small dataset is copied to each device; a large one is split by rows over the
    # devices (66 rows are padded to 68, 17 per device).
    rows66 = np.concatenate([data, data[:2]])
    placed = placement.place_rows(distribution.distribution(), [[rows66]], 66)
    result["copies"] = [list(s.data.shape) for s in placed.groups[0][0].addressable_shards]
    placement.REPLICATE_MAX_BYTES = rows66.nbytes - 1
    placed = placement.place_rows(distribution.distribution(), [[rows66]], 66)
    result["data_shards"] = [list(s.data.shape) for s in placed.groups[0][0].addressable_shards]
    placement.REPLICATE_MAX_BYTES = small_limit
    try:
        parallel.fit(data, target, batch_size=6, epochs=1, verbose=0)
    except ValueError as err:
        result["batch_error"] = str(err)
elif mode == "model_parallel":
    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense/kernel"] = (None, "model")
    distribution.set_distribution(distribution.ModelParallel(layout_map=layout_map))
    model = build("adam")
    model.fit(data, target, batch_size=16, epochs=1, verbose=0)
    kernel = model.get_layer("dense").kernel.value
    result["spec"] = [str(a) for a in kernel.sharding.spec]
    result["shard_shape"] = list(kernel.addressable_shards[0].data.shape)
    # The optimizer's slots for that kernel are sharded like it.
    slots = [
        leaf
        for leaf in jax.tree_util.tree_leaves(model._opt_state)
        if getattr(leaf, "shape", None) == (6, 8)
    ]
    result["slot_specs"] = [[str(a) for a in leaf.sharding.spec] for leaf in slots]
    try:
        x = Input(shape=(6,))
        m = kerax.Model(x, Dense(3, name="odd")(x))
        m.compile(optimizer="sgd", loss="mse")
        lm = distribution.LayoutMap(mesh)
        lm["odd/kernel"] = (None, "model")
        distribution.set_distribution(distribution.ModelParallel(layout_map=lm))
        m.fit(data, data[:, :3], batch_size=16, epochs=1, verbose=0)
    except ValueError as err:
        result["divide_error"] = str(err)
    try:
        distribution.LayoutMap(mesh)["x"] = ("nope",)
    except ValueError as err:
        result["axis_error"] = str(err)
elif mode == "custom_step":
    import jax.numpy as jnp

    from kerax.training import keras_loop

    class Own(kerax.Model):
        """The guide's pattern: its own train_step and a tracker."""

        def __init__(self):
            super().__init__()
            self.hidden = Dense(8, activation="relu")
            self.out = Dense(1)
            self.tracker = kerax.metrics.Mean(name="loss")

        @property
        def metrics(self):
            return [self.tracker]

        def call(self, x):
            return self.out(self.hidden(x))

        def train_step(self, state, data):
            trainable, non_trainable, opt_vars, metric_vars = state
            x, y = data

            def loss_fn(values):
                pred, nt = self.stateless_call(values, non_trainable, x, training=True)
                return jnp.mean((pred - y) ** 2), nt

            (loss, non_trainable), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
            trainable, opt_vars = self.optimizer.stateless_apply(opt_vars, grads, trainable)
            metric_vars = self.tracker.stateless_update_state(metric_vars, loss)
            logs = {"loss": self.tracker.stateless_result(metric_vars)}
            return logs, (trainable, non_trainable, opt_vars, metric_vars)

    def own():
        kerax.backend.clear_session()
        kerax.set_random_seed(0)
        model = Own()
        model(data[:1])
        model.compile(optimizer="sgd")
        return model

    single = own()
    single.fit(data[:60], target[:60], batch_size=16, epochs=2, verbose=0, shuffle=False)
    distribution.set_distribution(distribution.DataParallel())
    placed = []
    real_on_device = keras_loop._on_device

    def spy(tree):
        out = real_on_device(tree)
        placed.append([len(a.sharding.device_set) for a in jax.tree_util.tree_leaves(out)])
        return out

    keras_loop._on_device = spy
    parallel = own()
    history = parallel.fit(
        data[:60], target[:60], batch_size=16, epochs=2, verbose=0, shuffle=False
    )
    result["max_diff"] = max(
        float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), parallel.get_weights())
    )
    # Batches of 16 split over the 4 devices; the short last batch (12 rows) too.
    result["batch_devices"] = placed
    result["weight_devices"] = sorted(
        len(v.value.sharding.device_set) for v in parallel.trainable_variables
    )
    result["loss_finite"] = bool(np.isfinite(history.history["loss"]).all())
print(json.dumps(result))
