"""The benchmark workloads: sizes, synthetic data, and one model per framework.

Every framework trains the same model (the Keras functional-API guide's) on the same
synthetic data, with the same batch size and optimizer. Models are built lazily, so
that a subprocess imports only the framework it measures.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

VOCAB, EMBED, SEQ = 10000, 512, 100  # workload B
SIAMESE_T, SIAMESE_D = 40, 256  # workload D (the guide uses T=280; reduced to fit the time budget)


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark workload.

    Attributes:
        key: Short name (``A32``, ``A512``, ``B``, ``C``, ``D``, ``PA``, ``PC``).
        title: What it is, for the table.
        kind: ``mlp``, ``guide``, ``conv`` or ``siamese`` (the model).
        batch: Examples per step.
        steps_per_epoch: Batches in the synthetic dataset (one epoch).
        optimizer: ``rmsprop`` or ``adam``.
        chunk: Steps dispatched back to back per timed chunk (one sync per chunk).
        chunks: Timed chunks in a full run (the median chunk gives the step time).
        fit_epochs: Timed epochs of ``fit`` after the first (compile) epoch.
        scan_len: Steps per compiled call in the many-steps-per-call variants.
        scan_unroll: Unroll that scan (convolutions in a rolled scan are slow on CPU).
        kerax_layers: kerax layer classes the model needs.
        predict: A ``predict`` throughput workload (no training).
    """

    key: str
    title: str
    kind: str
    batch: int
    steps_per_epoch: int
    optimizer: str
    chunk: int
    chunks: int
    fit_epochs: int
    scan_len: int
    scan_unroll: bool = False
    kerax_layers: tuple[str, ...] = ("Dense",)
    predict: bool = False

    @property
    def n(self) -> int:
        return self.batch * self.steps_per_epoch


WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in [
        Workload("A32", "A: MLP 784-64-64-10, RMSprop, batch 32", "mlp", 32, 200, "rmsprop",
                 chunk=50, chunks=20, fit_epochs=4, scan_len=100),
        Workload("A512", "A: MLP 784-64-64-10, RMSprop, batch 512", "mlp", 512, 40, "rmsprop",
                 chunk=10, chunks=16, fit_epochs=4, scan_len=40),
        Workload("B", "B: guide model, Embedding 10000x512 + LSTM(32), 2 in / 2 out, RMSprop, batch 32",
                 "guide", 32, 20, "rmsprop", chunk=5, chunks=6, fit_epochs=2, scan_len=20,
                 kerax_layers=("Dense", "Embedding", "LSTM", "Concatenate")),
        Workload("C", "C: Conv32-Pool-Conv64-Pool-Dense10, Adam, batch 128", "conv", 128, 10, "adam",
                 chunk=2, chunks=5, fit_epochs=2, scan_len=10, scan_unroll=True,
                 kerax_layers=("Dense", "Conv2D", "MaxPooling2D", "Flatten")),
        Workload("D", f"D: shared LSTM(64) siamese, 2x({SIAMESE_T}, {SIAMESE_D}), RMSprop, batch 32",
                 "siamese", 32, 20, "rmsprop", chunk=5, chunks=6, fit_epochs=2, scan_len=20,
                 kerax_layers=("Dense", "LSTM", "Concatenate")),
        Workload("PA", "predict A: MLP, batch 512, 20480 examples", "mlp", 512, 40, "rmsprop",
                 chunk=1, chunks=12, fit_epochs=0, scan_len=1, predict=True),
        Workload("PC", "predict C: convnet, batch 128, 2560 examples", "conv", 128, 20, "adam",
                 chunk=1, chunks=6, fit_epochs=0, scan_len=1, predict=True,
                 kerax_layers=("Dense", "Conv2D", "MaxPooling2D", "Flatten")),
    ]
}  # fmt: skip


# ---------------------------------------------------------------------------- data
def make_data(w: Workload) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Synthetic inputs and targets (flat lists in the model's input / output order)."""
    rng = np.random.default_rng(0)
    n = w.n
    if w.kind == "mlp":
        x = rng.standard_normal((n, 784), dtype=np.float32)
        y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
        return [x], [y]
    if w.kind == "conv":
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
        return [x], [y]
    if w.kind == "guide":
        main = rng.integers(0, VOCAB, (n, SEQ), dtype=np.int32)
        aux = rng.standard_normal((n, 5), dtype=np.float32)
        y = rng.integers(0, 2, (n, 1)).astype(np.float32)
        return [main, aux], [y, y.copy()]
    if w.kind == "siamese":
        a = rng.standard_normal((n, SIAMESE_T, SIAMESE_D), dtype=np.float32)
        b = rng.standard_normal((n, SIAMESE_T, SIAMESE_D), dtype=np.float32)
        y = rng.integers(0, 2, (n, 1)).astype(np.float32)
        return [a, b], [y]
    raise KeyError(w.kind)


def loss_spec(w: Workload) -> tuple[str, list[float] | None]:
    """The Keras loss name and loss weights of a workload."""
    if w.kind in ("mlp", "conv"):
        return "categorical_crossentropy", None
    if w.kind == "guide":
        return "binary_crossentropy", [1.0, 0.2]
    return "binary_crossentropy", None


# ---------------------------------------------------------------------------- Keras-style models
def build_keras_style(w: Workload, keras: Any) -> Any:
    """The workload's model with a Keras-compatible API (``keras`` or ``kerax``)."""
    L = keras.layers
    if w.kind == "mlp":
        inputs = L.Input(shape=(784,))
        x = L.Dense(64, activation="relu")(inputs)
        x = L.Dense(64, activation="relu")(x)
        outputs = L.Dense(10, activation="softmax")(x)
        return keras.Model(inputs=inputs, outputs=outputs)
    if w.kind == "conv":
        inputs = L.Input(shape=(28, 28, 1))
        x = L.Conv2D(32, 3, activation="relu")(inputs)
        x = L.MaxPooling2D(2)(x)
        x = L.Conv2D(64, 3, activation="relu")(x)
        x = L.MaxPooling2D(2)(x)
        x = L.Flatten()(x)
        outputs = L.Dense(10, activation="softmax")(x)
        return keras.Model(inputs=inputs, outputs=outputs)
    if w.kind == "guide":
        main_input = L.Input(shape=(SEQ,), dtype="int32", name="main_input")
        x = L.Embedding(output_dim=EMBED, input_dim=VOCAB)(main_input)
        lstm_out = L.LSTM(32)(x)
        auxiliary_output = L.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
        auxiliary_input = L.Input(shape=(5,), name="aux_input")
        x = L.concatenate([lstm_out, auxiliary_input])
        x = L.Dense(64, activation="relu")(x)
        x = L.Dense(64, activation="relu")(x)
        x = L.Dense(64, activation="relu")(x)
        main_output = L.Dense(1, activation="sigmoid", name="main_output")(x)
        return keras.Model(
            inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output]
        )
    if w.kind == "siamese":
        tweet_a = L.Input(shape=(SIAMESE_T, SIAMESE_D))
        tweet_b = L.Input(shape=(SIAMESE_T, SIAMESE_D))
        shared_lstm = L.LSTM(64)
        merged = L.concatenate([shared_lstm(tweet_a), shared_lstm(tweet_b)], axis=-1)
        predictions = L.Dense(1, activation="sigmoid")(merged)
        return keras.Model(inputs=[tweet_a, tweet_b], outputs=predictions)
    raise KeyError(w.kind)


def keras_style_optimizer(w: Workload, keras: Any) -> Any:
    if w.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=1e-3)
    return keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-7)


# ---------------------------------------------------------------------------- hand-written JAX
def optax_tx(w: Workload) -> Any:
    """The optimizer of the hand-written loops (and of kerax's pure step)."""
    import optax

    if w.optimizer == "adam":
        return optax.adam(1e-3, eps=1e-7)
    return optax.rmsprop(1e-3, decay=0.9, eps=1e-7)


def _glorot(key: Any, shape: tuple[int, ...]) -> Any:
    import jax
    import numpy as onp

    fan_in = int(onp.prod(shape[:-1]))
    fan_out = shape[-1] if len(shape) == 2 else int(onp.prod(shape[:-2])) * shape[-1]
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return jax.random.uniform(key, shape, minval=-limit, maxval=limit)


def jax_init(w: Workload, key: Any) -> dict[str, Any]:
    """Parameters of the hand-written model (Keras's shapes and initial scales)."""
    import jax
    import jax.numpy as jnp

    keys = iter(jax.random.split(key, 16))

    def dense(i: int, o: int) -> dict[str, Any]:
        return {"w": _glorot(next(keys), (i, o)), "b": jnp.zeros((o,))}

    def lstm(i: int, h: int) -> dict[str, Any]:
        bias = jnp.zeros((4 * h,)).at[h : 2 * h].set(1.0)  # unit forget bias
        rec = jax.nn.initializers.orthogonal()(next(keys), (h, 4 * h))
        return {"w": _glorot(next(keys), (i, 4 * h)), "u": rec, "b": bias}

    if w.kind == "mlp":
        return {"d1": dense(784, 64), "d2": dense(64, 64), "d3": dense(64, 10)}
    if w.kind == "conv":
        return {
            "c1": {"w": _glorot(next(keys), (3, 3, 1, 32)), "b": jnp.zeros((32,))},
            "c2": {"w": _glorot(next(keys), (3, 3, 32, 64)), "b": jnp.zeros((64,))},
            "d": dense(5 * 5 * 64, 10),
        }
    if w.kind == "guide":
        return {
            "emb": jax.random.uniform(next(keys), (VOCAB, EMBED), minval=-0.05, maxval=0.05),
            "lstm": lstm(EMBED, 32),
            "aux": dense(32, 1),
            "d1": dense(37, 64),
            "d2": dense(64, 64),
            "d3": dense(64, 64),
            "out": dense(64, 1),
        }
    if w.kind == "siamese":
        return {"lstm": lstm(SIAMESE_D, 64), "out": dense(128, 1)}
    raise KeyError(w.kind)


def _lstm(p: dict[str, Any], x: Any) -> Any:
    """Keras's LSTM (gates i, f, c, o), last output; the input projection is hoisted."""
    import jax
    import jax.numpy as jnp

    b, _, _ = x.shape
    h_dim = p["u"].shape[0]
    xw = jnp.einsum("btd,dk->tbk", x, p["w"]) + p["b"]  # all timesteps at once, time major

    def cell(carry: Any, xw_t: Any) -> Any:
        h, c = carry
        z = xw_t + h @ p["u"]
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), None

    zeros = jnp.zeros((b, h_dim), x.dtype)
    (h, _), _ = jax.lax.scan(cell, (zeros, zeros), xw)
    return h


def jax_forward(w: Workload, p: dict[str, Any], xs: list[Any]) -> list[Any]:
    """The hand-written model: inputs -> outputs (probabilities, as Keras's models)."""
    import jax
    import jax.numpy as jnp

    dense = lambda q, x: x @ q["w"] + q["b"]  # noqa: E731
    if w.kind == "mlp":
        x = jax.nn.relu(dense(p["d1"], xs[0]))
        x = jax.nn.relu(dense(p["d2"], x))
        return [jax.nn.softmax(dense(p["d3"], x))]
    if w.kind == "conv":

        def conv(q: dict[str, Any], x: Any) -> Any:
            y = jax.lax.conv_general_dilated(
                x, q["w"], (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
            )
            return jax.nn.relu(y + q["b"])

        def pool(x: Any) -> Any:
            return jax.lax.reduce_window(
                x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"
            )

        x = pool(conv(p["c1"], xs[0]))
        x = pool(conv(p["c2"], x))
        x = x.reshape(x.shape[0], -1)
        return [jax.nn.softmax(dense(p["d"], x))]
    if w.kind == "guide":
        emb = jnp.take(p["emb"], xs[0], axis=0)
        h = _lstm(p["lstm"], emb)
        aux = jax.nn.sigmoid(dense(p["aux"], h))
        x = jnp.concatenate([h, xs[1]], axis=-1)
        for k in ("d1", "d2", "d3"):
            x = jax.nn.relu(dense(p[k], x))
        return [jax.nn.sigmoid(dense(p["out"], x)), aux]
    if w.kind == "siamese":
        merged = jnp.concatenate([_lstm(p["lstm"], xs[0]), _lstm(p["lstm"], xs[1])], axis=-1)
        return [jax.nn.sigmoid(dense(p["out"], merged))]
    raise KeyError(w.kind)


def jax_loss(w: Workload, ys: list[Any], outs: list[Any]) -> Any:
    """Keras's losses on probabilities (clipped logs), weighted as the workload says."""
    import jax.numpy as jnp

    eps = 1e-7
    name, weights = loss_spec(w)
    weights = weights or [1.0] * len(outs)
    total = 0.0
    for y, out, wt in zip(ys, outs, weights):
        p = jnp.clip(out, eps, 1.0 - eps)
        if name == "categorical_crossentropy":
            per = -jnp.sum(y * jnp.log(p), axis=-1)
        else:
            per = -jnp.mean(y * jnp.log(p) + (1.0 - y) * jnp.log(1.0 - p), axis=-1)
        total = total + wt * jnp.mean(per)
    return total


# ---------------------------------------------------------------------------- Flax NNX
def build_nnx(w: Workload) -> Any:
    """The workload's model as a Flax NNX module (idiomatic Flax layers)."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    rngs = nnx.Rngs(0)

    class MLP(nnx.Module):
        def __init__(self) -> None:
            self.d1 = nnx.Linear(784, 64, rngs=rngs)
            self.d2 = nnx.Linear(64, 64, rngs=rngs)
            self.d3 = nnx.Linear(64, 10, rngs=rngs)

        def __call__(self, xs: list[Any]) -> list[Any]:
            x = jax.nn.relu(self.d1(xs[0]))
            x = jax.nn.relu(self.d2(x))
            return [jax.nn.softmax(self.d3(x))]

    class ConvNet(nnx.Module):
        def __init__(self) -> None:
            self.c1 = nnx.Conv(1, 32, (3, 3), padding="VALID", rngs=rngs)
            self.c2 = nnx.Conv(32, 64, (3, 3), padding="VALID", rngs=rngs)
            self.d = nnx.Linear(5 * 5 * 64, 10, rngs=rngs)

        def __call__(self, xs: list[Any]) -> list[Any]:
            x = nnx.max_pool(jax.nn.relu(self.c1(xs[0])), (2, 2), (2, 2))
            x = nnx.max_pool(jax.nn.relu(self.c2(x)), (2, 2), (2, 2))
            return [jax.nn.softmax(self.d(x.reshape(x.shape[0], -1)))]

    class Guide(nnx.Module):
        def __init__(self) -> None:
            self.emb = nnx.Embed(VOCAB, EMBED, rngs=rngs)
            self.lstm = nnx.RNN(nnx.OptimizedLSTMCell(EMBED, 32, rngs=rngs), rngs=rngs)
            self.aux = nnx.Linear(32, 1, rngs=rngs)
            self.d1 = nnx.Linear(37, 64, rngs=rngs)
            self.d2 = nnx.Linear(64, 64, rngs=rngs)
            self.d3 = nnx.Linear(64, 64, rngs=rngs)
            self.out = nnx.Linear(64, 1, rngs=rngs)

        def __call__(self, xs: list[Any]) -> list[Any]:
            h = self.lstm(self.emb(xs[0]))[:, -1]
            aux = jax.nn.sigmoid(self.aux(h))
            x = jnp.concatenate([h, xs[1]], axis=-1)
            x = jax.nn.relu(self.d3(jax.nn.relu(self.d2(jax.nn.relu(self.d1(x))))))
            return [jax.nn.sigmoid(self.out(x)), aux]

    class Siamese(nnx.Module):
        def __init__(self) -> None:
            cell = nnx.OptimizedLSTMCell(SIAMESE_D, 64, rngs=rngs)
            self.lstm = nnx.RNN(cell, rngs=rngs)
            self.out = nnx.Linear(128, 1, rngs=rngs)

        def __call__(self, xs: list[Any]) -> list[Any]:
            a = self.lstm(xs[0])[:, -1]
            b = self.lstm(xs[1])[:, -1]
            return [jax.nn.sigmoid(self.out(jnp.concatenate([a, b], axis=-1)))]

    cls = {"mlp": MLP, "conv": ConvNet, "guide": Guide, "siamese": Siamese}[w.kind]
    return cls()
