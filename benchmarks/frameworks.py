"""One measurement per (workload, framework), run in a fresh process by ``run.py --one``.

Every function returns a dict with ``compile_s`` (the first step, call or epoch, minus
a steady one: tracing + compiling + first-call overheads) and ``step_ms`` (steady-state
time per training step, or per predicted batch).

Loops are timed in chunks: ``chunk`` steps are dispatched back to back, as a real loop
would, then one ``block_until_ready``; the median chunk, divided by its steps, is the
step time. ``fit`` is timed from its epoch ends (``fit`` syncs there anyway).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from workloads import (
    Workload,
    build_keras_style,
    build_nnx,
    jax_forward,
    jax_init,
    jax_loss,
    keras_style_optimizer,
    loss_spec,
    make_data,
    optax_tx,
)

Params = dict[str, Any]


def _time_loop(
    call: Callable[[Any, int], Any],
    state: Any,
    w: Workload,
    *,
    setup_s: float,
    init_s: float,
    steps_per_call: int = 1,
) -> dict[str, float]:
    """Times ``state = call(state, i)``: first call, then median chunk per step.

    ``setup_s`` (placing the data, the optimizer state) counts into the first step, as
    it does inside ``fit``'s first epoch; ``init_s`` is building the model's weights.
    """
    import jax

    t0 = time.perf_counter()
    state = call(state, 0)
    jax.block_until_ready(state)
    first = setup_s + time.perf_counter() - t0
    if steps_per_call == 1:
        chunk, chunks = w.chunk, w.chunks
    else:
        chunk, chunks = 1, max(3, w.chunk * w.chunks // steps_per_call)
    i = 1
    for _ in range(max(1, 2 * w.chunk // chunk) if steps_per_call == 1 else 1):  # warm-up
        state = call(state, i)
        i += 1
    jax.block_until_ready(state)
    per_step = []
    for _ in range(chunks):
        t = time.perf_counter()
        for _ in range(chunk):
            state = call(state, i)
            i += 1
        jax.block_until_ready(state)
        per_step.append((time.perf_counter() - t) / (chunk * steps_per_call))
    step = statistics.median(per_step)
    return {
        "init_s": init_s,
        "compile_s": first - step * steps_per_call,
        "step_ms": step * 1e3,
        "steps_timed": chunks * chunk * steps_per_call,
    }


def device_batches(w: Workload, xs: list[Any], ys: list[Any]) -> list[tuple[list, list]]:
    """The dataset on the device, cut into batches once."""
    import jax

    b = w.batch
    return [
        (
            [jax.device_put(x[i * b : (i + 1) * b]) for x in xs],
            [jax.device_put(y[i * b : (i + 1) * b]) for y in ys],
        )
        for i in range(w.steps_per_epoch)
    ]


# ---------------------------------------------------------------------------- hand-written
def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and its wall time (its result blocked on)."""
    import jax

    t0 = time.perf_counter()
    out = jax.block_until_ready(fn())
    return out, time.perf_counter() - t0


def hand_written_step(w: Workload) -> tuple[Callable[..., Any], Any]:
    """The hand-written reference step and its optax transformation:
    ``step(params, opt_state, bx, by) -> (params, opt_state, loss)``, jitted, the
    params and optimizer state donated."""
    import jax
    import optax

    tx = optax_tx(w)

    def train_step(params: Params, opt_state: Any, bx: list, by: list) -> Any:
        loss, grads = jax.value_and_grad(lambda p: jax_loss(w, by, jax_forward(w, p, bx)))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return jax.jit(train_step, donate_argnums=(0, 1)), tx


def run_jax(w: Workload, sync: bool = False) -> dict[str, Any]:
    """Hand-written JAX + optax: one jitted, donated step per batch (the 1.00x reference).
    With ``sync``, each step's loss is read on the host (a device sync per step)."""
    import jax

    xs, ys = make_data(w)
    params, init_s = _timed(lambda: jax_init(w, jax.random.key(0)))
    step, tx = hand_written_step(w)
    (batches, opt_state), setup_s = _timed(lambda: (device_batches(w, xs, ys), tx.init(params)))
    nb = len(batches)

    losses: list[float] = []

    def call(state: Any, i: int) -> Any:
        bx, by = batches[i % nb]
        out = step(state[0], state[1], bx, by)
        if sync:
            losses.append(float(out[2]))
        return out

    return _time_loop(call, (params, opt_state, None), w, setup_s=setup_s, init_s=init_s)


def run_jax_sync(w: Workload) -> dict[str, Any]:
    """The hand-written loop, reading each step's loss on the host (``float(loss)``): one
    device sync per step, what a callback reading ``logs["loss"]`` costs any framework."""
    out = run_jax(w, sync=True)
    out["note"] = "float(loss) each step"
    return out


def run_jax_scan(w: Workload) -> dict[str, Any]:
    """The same step, ``scan_len`` steps per compiled call (``lax.scan``): the limit."""
    import jax
    import jax.numpy as jnp
    import optax

    xs, ys = make_data(w)
    params, init_s = _timed(lambda: jax_init(w, jax.random.key(0)))
    tx = optax_tx(w)
    b, k, nb = w.batch, w.scan_len, w.steps_per_epoch

    def many(params: Params, opt_state: Any, dx: list, dy: list, start: jax.Array) -> Any:
        def body(carry: Any, i: jax.Array) -> Any:
            params, opt_state = carry
            bx = [jax.lax.dynamic_slice_in_dim(x, (i % nb) * b, b) for x in dx]
            by = [jax.lax.dynamic_slice_in_dim(y, (i % nb) * b, b) for y in dy]
            loss_fn = lambda p: jax_loss(w, by, jax_forward(w, p, bx))  # noqa: E731
            loss, grads = jax.value_and_grad(loss_fn)(params)
            updates, opt_state = tx.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        steps = start + jnp.arange(k)
        carry, losses = jax.lax.scan(body, (params, opt_state), steps, unroll=w.scan_unroll)
        return carry[0], carry[1], losses[-1]

    step = jax.jit(many, donate_argnums=(0, 1))
    (data, opt_state), setup_s = _timed(
        lambda: (
            ([jax.device_put(x) for x in xs], [jax.device_put(y) for y in ys]),
            tx.init(params),
        )
    )

    def call(state: Any, i: int) -> Any:
        return step(state[0], state[1], data[0], data[1], jnp.int32(i * k))

    state = (params, opt_state, None)
    out = _time_loop(call, state, w, setup_s=setup_s, init_s=init_s, steps_per_call=k)
    out["note"] = f"{k} steps/call" + (", unrolled" if w.scan_unroll else "")
    return out


# ---------------------------------------------------------------------------- kerax
def _kerax_missing(w: Workload) -> str | None:
    import kerax.layers

    missing = [name for name in w.kerax_layers if not hasattr(kerax.layers, name)]
    return f"n/a (layer missing: {', '.join(missing)})" if missing else None


def _kerax_model(w: Workload) -> tuple[Any, float]:
    """The kerax model with its weights created (kerax creates them lazily), and the time."""
    import jax

    import kerax

    t0 = time.perf_counter()
    model = build_keras_style(w, kerax)
    jax.block_until_ready(model.get_variables())
    return model, time.perf_counter() - t0


def run_kerax_step(w: Workload) -> dict[str, Any]:
    """kerax's pure ``make_train_step`` over ``model.lowered``, jitted and donated, user loop."""
    import jax
    import jax.numpy as jnp

    from kerax.training import (
        Batch,
        CompiledLoss,
        CompiledMetrics,
        init_train_state,
        make_train_step,
    )

    if missing := _kerax_missing(w):
        return {"status": missing}
    xs, ys = make_data(w)
    model, init_s = _kerax_model(w)
    variables = model.get_variables()

    def setup() -> Any:
        lowered = model.lowered
        name, weights = loss_spec(w)
        loss = CompiledLoss.build(name, weights, model.output_names)
        specs = model.graph.output_specs
        metrics = CompiledMetrics.build(None, None, model.output_names, specs, loss)
        mask = lowered.layout.trainable_mask()
        tx = optax_tx(w)
        step = jax.jit(make_train_step(lowered, tx, loss, metrics, mask), donate_argnums=0)
        ts = init_train_state(variables, tx, mask, metrics, jax.random.key(1))
        valid = jnp.ones((w.batch,), jnp.float32)
        batches = [Batch(bx, by, [None] * len(by), valid) for bx, by in device_batches(w, xs, ys)]
        return step, ts, batches

    (step, ts, batches), setup_s = _timed(setup)
    nb = len(batches)
    call = lambda ts, i: step(ts, batches[i % nb])  # noqa: E731
    return _time_loop(call, ts, w, setup_s=setup_s, init_s=init_s)


def _fit_timing(
    w: Workload, fit: Callable[[Any], Any], make_callback: Callable, init_s: float
) -> dict:
    """Runs ``fit`` (a compile epoch, then timed ones); times epochs from their ends."""
    ends: list[float] = []
    callback = make_callback(ends)
    t0 = time.perf_counter()
    fit(callback)
    epochs = [b - a for a, b in zip([t0, *ends[:-1]], ends)]
    steady = statistics.median(epochs[1:]) / w.steps_per_epoch
    return {
        "init_s": init_s,
        "compile_s": epochs[0] - steady * w.steps_per_epoch,
        "step_ms": steady * 1e3,
        "steps_timed": (len(epochs) - 1) * w.steps_per_epoch,
    }


def _fit_args(w: Workload) -> tuple[Any, Any]:
    xs, ys = make_data(w)
    return (xs[0] if len(xs) == 1 else xs), (ys[0] if len(ys) == 1 else ys)


#: ``fit`` with callbacks (issue 12): mode -> note in the table.
CALLBACK_MODES = {
    None: "",
    "timer": "timer callback: on_train_batch_begin records perf_counter()",
    "logs": 'on_train_batch_end reads logs["loss"]',
    "verbose": "verbose=1, stdout to a null sink",
}


def _fit_callback(base: type, mode: str | None, ends: list[float]) -> Any:
    """The callback a ``fit`` row runs with; its ``on_epoch_end`` records the epoch ends.

    - ``None`` and ``"verbose"``: only ``on_epoch_end``;
    - ``"timer"``: the issue's timer, ``on_train_begin`` / ``on_epoch_begin`` /
      ``on_epoch_end`` / ``on_train_batch_begin`` record ``time.perf_counter()`` (a
      callback that only observes batches);
    - ``"logs"``: ``on_train_batch_end`` reads ``logs["loss"]`` (a host sync per step,
      in any framework).
    """

    class EpochEnds(base):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            ends.append(time.perf_counter())

    class Timer(base):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_train_begin(self, logs: Any = None) -> None:
            self.times.append(time.perf_counter())

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter())

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            now = time.perf_counter()
            self.times.append(now)
            ends.append(now)

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter())

    class LossReader(EpochEnds):
        def __init__(self) -> None:
            super().__init__()
            self.losses: list[float] = []

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.losses.append(logs["loss"])

    return {"timer": Timer, "logs": LossReader}.get(mode, EpochEnds)()


def _run_fit(
    w: Workload, model: Any, base: type, init_s: float, mode: str | None
) -> dict[str, Any]:
    """Times ``model.fit`` (already compiled) with the callback of ``mode``."""
    import contextlib
    import os

    x, y = _fit_args(w)
    verbose = 1 if mode == "verbose" else 0
    # The callback rows time 3 epochs after the first in quick mode too (the issue's
    # ``epochs=3`` plus the compile epoch).
    timed = w.fit_epochs if mode is None else max(w.fit_epochs, 3)

    def fit(callback: Any) -> None:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            model.fit(
                x, y, batch_size=w.batch, epochs=1 + timed, verbose=verbose, callbacks=[callback]
            )

    out = _fit_timing(w, fit, lambda ends: _fit_callback(base, mode, ends), init_s)
    if CALLBACK_MODES[mode]:
        out["note"] = CALLBACK_MODES[mode]
    return out


def run_kerax_fit(
    w: Workload, steps_per_execution: int = 1, mode: str | None = None
) -> dict[str, Any]:
    """kerax ``model.fit`` (``verbose=0``, default ``steps_per_execution``)."""
    import kerax

    if missing := _kerax_missing(w):
        return {"status": missing}
    model, init_s = _kerax_model(w)
    name, weights = loss_spec(w)
    model.compile(
        optimizer=keras_style_optimizer(w, kerax),
        loss=name,
        loss_weights=weights,
        steps_per_execution=steps_per_execution,
    )
    return _run_fit(w, model, kerax.callbacks.Callback, init_s, mode)


def run_kerax_fit_spe(w: Workload) -> dict[str, Any]:
    """kerax ``fit`` with ``steps_per_execution`` = the scan's K, for the workloads whose
    scan is unrolled (C): there kerax unrolls K steps per call as the reference does."""
    out = run_kerax_fit(w, steps_per_execution=w.scan_len)
    if out.get("status", "ok") == "ok":
        out["note"] = f"steps_per_execution={w.scan_len}, unrolled"
    return out


# ---------------------------------------------------------------------------- Keras 3
def _keras_model(w: Workload) -> tuple[Any, float]:
    import keras

    keras.utils.set_random_seed(0)
    t0 = time.perf_counter()
    model = build_keras_style(w, keras)  # Keras 3 creates the weights as it builds
    return model, time.perf_counter() - t0


def run_keras_fit(w: Workload, mode: str | None = None) -> dict[str, Any]:
    """Keras 3 ``model.fit`` on the JAX backend (``verbose=0``)."""
    import keras

    model, init_s = _keras_model(w)
    name, weights = loss_spec(w)
    model.compile(
        optimizer=keras_style_optimizer(w, keras),
        loss=[name] * len(model.outputs),
        loss_weights=weights,
    )
    return _run_fit(w, model, keras.callbacks.Callback, init_s, mode)


def partial_fit(runner: Callable[..., Any], mode: str) -> Callable[[Workload], Any]:
    """``runner`` with the callback ``mode`` (see :data:`CALLBACK_MODES`)."""

    def run(w: Workload) -> dict[str, Any]:
        return runner(w, mode=mode)

    run.__name__ = f"{runner.__name__}_{mode}"
    return run


# ---------------------------------------------------------------------------- Flax NNX
def run_nnx(w: Workload) -> dict[str, Any]:
    """Flax NNX: ``nnx.Optimizer`` and an ``nnx.jit`` train step."""
    from flax import nnx

    xs, ys = make_data(w)
    model, init_s = _timed(lambda: build_nnx(w))

    @nnx.jit
    def step(model: Any, optimizer: Any, bx: list, by: list) -> Any:
        loss, grads = nnx.value_and_grad(lambda m: jax_loss(w, by, m(bx)))(model)
        optimizer.update(model, grads)
        return loss

    (batches, optimizer), setup_s = _timed(
        lambda: (device_batches(w, xs, ys), nnx.Optimizer(model, optax_tx(w), wrt=nnx.Param))
    )
    nb = len(batches)

    def call(state: Any, i: int) -> Any:
        step(model, optimizer, *batches[i % nb])
        return nnx.state(model)  # blocking on the weights waits for the last update

    return _time_loop(call, None, w, setup_s=setup_s, init_s=init_s)


# ---------------------------------------------------------------------------- predict
def _time_predict(w: Workload, predict: Callable[[], Any], init_s: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    predict()
    first = time.perf_counter() - t0
    predict()  # warm-up
    times = []
    for _ in range(w.chunks):
        t = time.perf_counter()
        predict()
        times.append(time.perf_counter() - t)
    call = statistics.median(times)
    return {
        "init_s": init_s,
        "compile_s": first - call,
        "step_ms": call / w.steps_per_epoch * 1e3,
        "steps_timed": w.chunks * w.steps_per_epoch,
    }


def run_jax_apply(w: Workload) -> dict[str, Any]:
    """Hand-written jitted apply, batch by batch from the NumPy array; NumPy out."""
    import jax
    import numpy as np

    (x,), _ = make_data(w)
    params, init_s = _timed(lambda: jax_init(w, jax.random.key(0)))
    apply = jax.jit(lambda params, xb: jax_forward(w, params, [xb])[0])
    b = w.batch

    def predict() -> Any:
        outs = [apply(params, x[i * b : (i + 1) * b]) for i in range(w.steps_per_epoch)]
        return np.concatenate([np.asarray(o) for o in outs])

    return _time_predict(w, predict, init_s)


def run_kerax_predict(w: Workload) -> dict[str, Any]:
    """kerax ``model.predict(x, batch_size, verbose=0)``."""
    if missing := _kerax_missing(w):
        return {"status": missing}
    (x,), _ = make_data(w)
    model, init_s = _kerax_model(w)
    return _time_predict(w, lambda: model.predict(x, batch_size=w.batch, verbose=0), init_s)


def run_keras_predict(w: Workload) -> dict[str, Any]:
    """Keras 3 ``model.predict(x, batch_size, verbose=0)`` on the JAX backend."""
    (x,), _ = make_data(w)
    model, init_s = _keras_model(w)
    return _time_predict(w, lambda: model.predict(x, batch_size=w.batch, verbose=0), init_s)


#: name -> (column title, runner)
TRAIN = {
    "jax": ("hand-written JAX loop", run_jax),
    "jax_scan": ("hand-written, lax.scan K steps/call", run_jax_scan),
    "kerax_step": ("kerax make_train_step, user loop", run_kerax_step),
    "kerax_fit": ("kerax fit", run_kerax_fit),
    "kerax_fit_spe": ("kerax fit, steps_per_execution=K", run_kerax_fit_spe),
    "keras_fit": ("Keras 3 fit (JAX)", run_keras_fit),
    "nnx": ("Flax NNX nnx.jit", run_nnx),
}
#: ``fit`` with callbacks (issue 12), run with ``run.py --callbacks``; "base" rows are
#: the plain ``fit`` rows (``kerax_fit``, ``keras_fit``) they compare with.
CALLBACKS = {
    "jax_sync": ("hand-written JAX loop, float(loss) each step", run_jax_sync),
    "kerax_fit_timer": ("kerax fit + batch callback", partial_fit(run_kerax_fit, "timer")),
    "keras_fit_timer": ("Keras fit + batch callback", partial_fit(run_keras_fit, "timer")),
    "kerax_fit_logs": (
        "kerax fit + logs-reading batch callback",
        partial_fit(run_kerax_fit, "logs"),
    ),
    "keras_fit_logs": (
        "Keras fit + logs-reading batch callback",
        partial_fit(run_keras_fit, "logs"),
    ),
    "kerax_fit_verbose": ("kerax fit, verbose=1", partial_fit(run_kerax_fit, "verbose")),
    "keras_fit_verbose": ("Keras fit, verbose=1", partial_fit(run_keras_fit, "verbose")),
}
PREDICT = {
    "jax_apply": ("hand-written jitted apply", run_jax_apply),
    "kerax_predict": ("kerax predict", run_kerax_predict),
    "keras_predict": ("Keras 3 predict (JAX)", run_keras_predict),
}
