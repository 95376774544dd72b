"""kerax LSTM vs Keras 3's LSTM on JAX: forward and forward+backward, same process.

    python benchmarks/lstm_vs_keras.py [--batch 32] [--time 100] [--features 512]
                                       [--units 32] [--runs 50]

Both sides are one ``jax.jit`` of a pure function of the weights (kerax:
``model.lowered.apply``; Keras: ``model.stateless_call``), with the same weights and
data; the script checks that they agree before timing. Times are the median of
``--runs`` calls after warm-up, each ended by ``block_until_ready``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerax  # noqa: E402


def _median_ms(fn: Callable[[], Any], runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        jax.block_until_ready(fn())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--time", type=int, default=100)
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    shape = (args.time, args.features)
    x = np.random.default_rng(0).normal(size=(args.batch, *shape)).astype("float32")

    k_in = keras.Input(shape)
    k_model = keras.Model(k_in, keras.layers.LSTM(args.units)(k_in))
    x_in = kerax.Input(shape)
    x_model = kerax.Model(x_in, kerax.layers.LSTM(args.units)(x_in))
    x_model.set_weights(k_model.get_weights())

    lowered = x_model.lowered
    variables = x_model.get_variables()

    def kerax_forward(params: Any, data: jax.Array) -> jax.Array:
        out, _ = lowered.apply({**variables, "params": params}, data)
        return out

    def keras_forward(trainable: Any, data: jax.Array) -> jax.Array:
        out, _ = k_model.stateless_call(trainable, keras_frozen, data)
        return out

    def loss_of(forward: Callable[[Any, jax.Array], jax.Array]) -> Callable[..., Any]:
        return lambda w, data: jnp.mean(jnp.square(forward(w, data)))

    kerax_params = variables["params"]
    keras_params = [v.value for v in k_model.trainable_variables]
    keras_frozen = [v.value for v in k_model.non_trainable_variables]  # seed state
    cases = {
        "forward": (jax.jit(kerax_forward), jax.jit(keras_forward)),
        "forward+backward": (
            jax.jit(jax.value_and_grad(loss_of(kerax_forward))),
            jax.jit(jax.value_and_grad(loss_of(keras_forward))),
        ),
    }
    data = jnp.asarray(x)
    np.testing.assert_allclose(
        np.asarray(cases["forward"][0](kerax_params, data)),
        np.asarray(cases["forward"][1](keras_params, data)),
        rtol=1e-4,
        atol=1e-5,
    )

    print(
        f"LSTM({args.units}) on ({args.batch}, {args.time}, {args.features}), "
        f"jax {jax.__version__} on {jax.devices()[0].platform}, keras {keras.__version__}, "
        f"median of {args.runs} runs"
    )
    print(f"{'':18} {'kerax ms':>10} {'keras ms':>10} {'keras/kerax':>12}")
    for name, (ours, theirs) in cases.items():
        ours_ms = _median_ms(lambda f=ours: f(kerax_params, data), args.runs)
        theirs_ms = _median_ms(lambda f=theirs: f(keras_params, data), args.runs)
        print(f"{name:18} {ours_ms:10.3f} {theirs_ms:10.3f} {theirs_ms / ours_ms:11.2f}x")


if __name__ == "__main__":
    main()
