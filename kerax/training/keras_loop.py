"""``fit`` / ``evaluate`` / ``predict`` through a model's Keras-style steps.

A model whose class overrides ``train_step``, ``test_step``, ``predict_step``,
``compute_loss`` or the ``metrics`` property trains with those methods, as in Keras 3
on JAX (see :mod:`kerax.models.keras_steps` for the signatures). The step is traced
once by ``jax.jit``; the step's PRNG key is the base key of the
fit folded with the step number (:mod:`kerax.graph.step_context`), so layers that draw
randomness and ``SeedGenerator`` draws in the step get new numbers every step.

Batches are exact, as in Keras: a user's step sees real rows only, so the last, short
batch of an epoch is its own batch (one more trace), never padded. In-memory data is
placed on the device once per ``fit`` and each batch gathered there by index; an
epoch's full batches run in compiled loops over the step
(:mod:`kerax.training.keras_epochs`), sized as kerax's own step's are
(:mod:`kerax.training.chunker`): the whole epoch in one call when nothing watches the
batches, ``steps_per_execution`` steps per call when compiled with it, calls of about
0.1 s under a live progress bar, and one step per call for callbacks that act between
steps or read each batch's logs. The state lives on
the device for the whole call and is written back to the model's variables, the
optimizer and the metric objects at each epoch's end and when the call ends, normally
or not. As with kerax's own steps, the state is not donated: a step that fails while
running leaves the state of the last completed step, which the model keeps.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import config as _config
from kerax import random as _random
from kerax.callbacks import Callback, CallbackList, History
from kerax.layers._overrides import user_defines
from kerax.models import keras_steps as _steps
from kerax.training import chunker as _chunker
from kerax.training import data as _data
from kerax.training import devices as _devices
from kerax.training import fit_loop as _fit_loop
from kerax.training import keras_epochs as _epochs

_LOSS_HOOKS = ("compute_loss_and_updates", "stateless_compute_loss", "compute_loss")
_TRAIN_HOOKS = ("train_step", *_LOSS_HOOKS, "compute_metrics", "metrics")
_TEST_HOOKS = ("test_step", *_LOSS_HOOKS, "compute_metrics", "metrics")
_PREDICT_HOOKS = ("predict_step",)


def uses_keras_steps(model: Any, entry: str) -> bool:
    """Whether ``entry`` (``"fit"``, ``"evaluate"``, ...) runs the model's Keras-style
    steps (its class overrides one of them) instead of kerax's compiled ones."""
    hooks = {
        "fit": _TRAIN_HOOKS,
        "train_on_batch": _TRAIN_HOOKS,
        "evaluate": _TEST_HOOKS,
        "test_on_batch": _TEST_HOOKS,
        "predict": _PREDICT_HOOKS,
        "predict_on_batch": _PREDICT_HOOKS,
    }[entry]
    if any(user_defines(type(model), h) for h in hooks):
        return True
    if entry in ("predict", "predict_on_batch"):
        return False
    # Compiled without a loss: the model trains on what its layers add (``add_loss``),
    # through Keras's default steps.
    no_loss = getattr(model, "compiled", False) and getattr(model, "_loss", None) is None
    return no_loss or loss_reduces_batch(model)


def loss_reduces_batch(model: Any) -> bool:
    """Whether a compiled loss returns one number for the whole batch (a function that
    reduces with ``ops.mean`` itself). Such a loss cannot leave out the padding rows
    of kerax's fixed-size batches, so the model trains and evaluates on exact batches
    through Keras's default steps (the short last batch compiles a second program, as
    in Keras). Decided from the output specs, by abstract evaluation (nothing runs)."""
    loss = getattr(model, "_loss", None)
    if loss is None or getattr(model, "_graph", None) is None:
        return False
    cached = model.__dict__.get("_reduces_batch")
    if cached is not None and cached[0] is loss:
        return cached[1]
    result = False
    for fn, tensor in zip(loss.losses, model.outputs, strict=False):
        if fn is None:
            continue
        pred = jax.ShapeDtypeStruct((2, *tensor.shape[1:]), "float32")
        for target in (pred, jax.ShapeDtypeStruct((2, *tensor.shape[1:-1]), "int32")):
            try:
                out = jax.eval_shape(fn.call, target, pred)
            except Exception:  # noqa: BLE001 - this guess at the targets does not fit
                continue
            result = result or out.ndim == 0
            break
    model.__dict__["_reduces_batch"] = (loss, result)
    return result


def check_signature(model: Any, hook: str, arity: int) -> None:
    """Refuses the backend-agnostic ``train_step(self, data)`` form, naming the one
    kerax runs (it has no stateful scope to run stateful code in a traced step), and
    a model that maps raw strings on the host, which Keras-style steps do not do yet."""
    import inspect

    steps = model.lowered.host_prefix if getattr(model, "_graph", None) is not None else ()
    if steps:
        names = ", ".join(step.layer.name for step in steps)
        raise NotImplementedError(
            f"Model '{model.name}' maps raw strings on the host ({names}), which its own "
            f"`{hook}` cannot take yet. Map the text first (`layer(texts)`) and train a "
            "model that starts at the layers' integer output."
        )

    params = [
        p
        for p in inspect.signature(getattr(model, hook)).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(params) != arity:
        state = {
            "train_step": "(trainable_variables, non_trainable_variables, "
            "optimizer_variables, metrics_variables)",
            "test_step": "(trainable_variables, non_trainable_variables, metrics_variables)",
            "predict_step": "(trainable_variables, non_trainable_variables)",
        }[hook]
        raise TypeError(
            f"{type(model).__name__}.{hook} takes {len(params)} argument(s). kerax runs "
            f"Keras 3's JAX form, `def {hook}(self, state, data)` with state = {state} "
            f"and returns (logs, state); the TensorFlow-style `{hook}(self, data)` with "
            "stateful updates cannot run inside a compiled step. See Keras's guide "
            "'Customizing what happens in fit() with JAX'."
        )


# ---------------------------------------------------------------------- state
def _variables(model: Any) -> tuple[list[Any], list[Any]]:
    return (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
    )


def model_optimizers(model: Any) -> list[tuple[str, Any]]:
    """``model.optimizer`` and the other optimizers the model holds as attributes
    (``self.d_optimizer`` set in a GAN's own ``compile``), by attribute name."""
    from kerax.optimizers import Optimizer

    found: list[tuple[str, Any]] = []
    if getattr(model, "optimizer", None) is not None:
        found.append(("optimizer", model.optimizer))
    for name, value in vars(model).items():
        if isinstance(value, Optimizer) and all(value is not o for _, o in found):
            found.append((name, value))
    return found


def _optimizer_values(model: Any) -> list[Any] | dict[str, list[Any]]:
    """The ``optimizer_variables`` of a step's state: the values of
    ``model.optimizer.variables`` as in Keras; a model that holds other optimizers
    too gets ``{attribute name: values}`` (see :mod:`kerax.models.keras_steps`)."""
    optimizers = model_optimizers(model)
    if not optimizers:
        return []
    values: dict[str, list[Any]] = {}
    for name, optimizer in optimizers:
        if not hasattr(optimizer, "variables"):  # an optax transformation
            values[name] = []
            continue
        if not optimizer.built:
            if name != "optimizer":
                raise ValueError(
                    f"{type(model).__name__}.{name} is not built, so kerax cannot tell which "
                    "variables it updates and cannot give its state to `train_step`. Build "
                    f"it in your `compile`: `self.{name}.build(<the sub-model>."
                    "trainable_variables)`."
                )
            optimizer.build(model.trainable_variables)
        values[name] = [v.value for v in optimizer.variables]
    return values["optimizer"] if list(values) == ["optimizer"] else values


def _write_back(model: Any, state: Sequence[Any], kind: str) -> None:
    """Makes the values of ``state`` the model's (and optimizer's, metrics') own."""
    trainable, non_trainable = state[0], state[1]
    for handle, value in zip(model.trainable_variables, trainable, strict=True):
        handle.assign(value)
    for handle, value in zip(model.non_trainable_variables, non_trainable, strict=True):
        handle.assign(value)
    if kind == "train" and isinstance(state[2], dict):
        for name, optimizer in model_optimizers(model):
            if state[2].get(name):
                optimizer.set_weights(list(state[2][name]))
    elif kind == "train" and state[2]:
        model.optimizer.set_weights(list(state[2]))
    metrics = state[3] if kind == "train" else state[2] if kind == "test" else None
    if metrics is not None:
        _steps.set_metric_values(model, metrics)


def _program(model: Any, kind: str) -> _epochs.StepPrograms:
    """The jitted programs of the step ``kind`` for the model's current compile (cached
    on it)."""
    cache = model.__dict__.setdefault("_keras_step_cache", {})
    token = (kind, id(model.lowered), id(model.optimizer), id(model._loss), id(model._metrics))
    if token not in cache:
        if len(cache) > 8:
            cache.clear()
        fn = {"train": model.train_step, "test": model.test_step, "predict": model.predict_step}
        cache[token] = _epochs.StepPrograms(fn[kind])
    return cache[token]


# ---------------------------------------------------------------------- data
def _on_device(tree: Any) -> Any:
    """A host batch on the device(s): under a distribution, each array split over the
    batch axis when its rows divide evenly (else copied to every device: a short last
    batch is exact, not padded, so it may not split)."""
    dist = _devices.distribution()

    def put(a: Any) -> Any:
        if a is None:
            return None
        if dist is None:
            return jnp.asarray(a)
        a = np.asarray(a)
        split = a.ndim and a.shape[0] % dist.num_batch_shards == 0
        return jax.device_put(a, dist.batch_sharding(a.ndim) if split else dist.replicated())

    return jax.tree_util.tree_map(put, tree, is_leaf=lambda a: a is None)


def _placed(model: Any, state: Sequence[Any]) -> tuple[Any, ...]:
    """A step's state where the current distribution wants it: the model's variables
    by their layouts, the rest (optimizer and metric values) on every device. Without
    a distribution the state is left as it is."""
    dist = _devices.distribution()
    if dist is None:
        return tuple(state)
    if dist.num_processes > 1:
        raise NotImplementedError(
            f"{type(model).__name__} has its own steps, which kerax does not run over "
            "several processes yet; use one process (all its local devices), or the "
            "built-in step."
        )

    def by_layout(handles: Sequence[Any], values: Sequence[Any]) -> list[Any]:
        return [
            jax.device_put(v, dist.variable_layout(h.path, np.shape(v)).sharding())
            for h, v in zip(handles, values, strict=True)
        ]

    placed = [
        by_layout(model.trainable_variables, state[0]),
        by_layout(model.non_trainable_variables, state[1]),
    ]
    return (*placed, *(_everywhere(part) for part in state[2:]))


def _everywhere(tree: Any) -> Any:
    """``tree`` on every device of the current distribution's mesh (as it is without
    one)."""
    dist = _devices.distribution()
    return tree if dist is None else jax.device_put(tree, dist.replicated())


class _ArrayBatches:
    """Exact batches of in-memory ``(x, y, sample_weight)``, in an epoch's order."""

    def __init__(self, model: Any, x: Any, y: Any, sw: Any, batch_size: int) -> None:
        self.x, self.y, self.sw = x, y, sw
        leaves = [a for a in jax.tree_util.tree_leaves((x, y, sw)) if a is not None]
        counts = {len(a) for a in leaves}
        if len(counts) != 1:
            raise ValueError(
                f"Model '{model.name}': the arrays of x, y and sample_weight have different "
                f"numbers of rows: {sorted(counts)}."
            )
        self.rows = counts.pop()
        if self.rows == 0:
            raise ValueError(f"Model '{model.name}' received no rows of data (0 examples).")
        self.batch_size = batch_size
        self.steps = math.ceil(self.rows / batch_size)

    def epoch(self, order: np.ndarray) -> Any:
        for i in range(self.steps):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            take = lambda a, idx=idx: None if a is None else np.asarray(a)[idx]  # noqa: E731
            yield _steps.pack_data(
                *(
                    jax.tree_util.tree_map(take, part, is_leaf=lambda a: a is None)
                    for part in (self.x, self.y, self.sw)
                )
            )

    def split(self, fraction: float) -> tuple[Any, Any]:
        cut = int(self.rows * (1.0 - fraction))
        if cut <= 0:
            raise ValueError(
                f"validation_split={fraction} leaves no rows to train on ({self.rows} in all)."
            )
        head = lambda a: None if a is None else np.asarray(a)[:cut]  # noqa: E731
        tail = lambda a: None if a is None else np.asarray(a)[cut:]  # noqa: E731
        parts = (self.x, self.y, self.sw)
        first = [jax.tree_util.tree_map(head, p, is_leaf=lambda a: a is None) for p in parts]
        second = [jax.tree_util.tree_map(tail, p, is_leaf=lambda a: a is None) for p in parts]
        return first, second


def _iterable_batches(data: Any) -> Any:
    for x, y, sw in _data.iterate_batches(data):
        yield _steps.pack_data(x, y, sw)


def _floats(logs: dict[str, Any] | _epochs.Packed) -> dict[str, Any]:
    """Host values of a step's logs, keys sorted as Keras 3 hands them to callbacks."""
    if isinstance(logs, _epochs.Packed):
        return logs.to_host()
    out = {}
    for k, v in sorted(logs.items()):
        arr = np.asarray(v)
        out[k] = float(arr) if arr.ndim == 0 else arr
    return out


# ---------------------------------------------------------------------- fit
def fit(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    epochs: int,
    verbose: int,
    callbacks: Sequence[Callback] | None,
    validation_split: float,
    validation_data: Any,
    shuffle: bool,
    sample_weight: Any,
    initial_epoch: int,
    steps_per_epoch: int | None,
    validation_steps: int | None,
    validation_batch_size: int | None,
    validation_freq: int,
) -> History:
    """``fit`` through the model's ``train_step`` (arguments as :meth:`Model.fit`)."""
    check_signature(model, "train_step", 2)
    epochs, steps_per_epoch = _config.capped_fit(epochs, steps_per_epoch)
    validation_steps = _config.capped_steps(validation_steps)
    arrays = None
    if _data.is_in_memory(x):
        arrays = _ArrayBatches(model, x, y, sample_weight, batch_size)
        if validation_split and validation_data is None:
            (tx, ty, tsw), (vx, vy, vsw) = arrays.split(validation_split)
            arrays = _ArrayBatches(model, tx, ty, tsw, batch_size)
            validation_data = (vx, vy, vsw) if vsw is not None else (vx, vy)
    steps = steps_per_epoch
    if arrays is not None:
        steps = steps_per_epoch or arrays.steps
    if steps is None:
        from kerax.training.batches import known_length

        steps = known_length(x)

    cb, history = _fit_loop.fit_callbacks(model, callbacks, epochs, steps, verbose)
    model.stop_training = False
    if model._order_seed is None:
        model._order_seed = _devices.new_order_seed()
    program = _program(model, "train")
    key = _random.next_key()
    trainable, non_trainable = _variables(model)
    state = (trainable, non_trainable, _optimizer_values(model), _steps.metric_values(model))
    state = _placed(model, state)
    watched = cb.watches_training_batches()
    # In-memory data goes to the device once; under a distribution, batches are placed
    # from the host as before (exact batches need not divide over the devices).
    resident = None
    if arrays is not None and _devices.distribution() is None:
        resident = _epochs.Resident(arrays.x, arrays.y, arrays.sw)
    loop = _Epoch(model, cb, program, key, watched, verbose)
    logs: dict[str, Any] = {}
    try:
        cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cb.on_epoch_begin(epoch)
            state = (*state[:3], _everywhere(_steps.metric_initial_values(model)))
            if arrays is not None:
                # Consecutive batches of a pass over the data, as in kerax's own loop
                # (``fit_loop.epoch_schedule``); each pass has its own order.
                npass, first, count = _fit_loop.epoch_schedule(
                    epoch, steps, arrays.steps, initial_epoch
                )
                rng = np.random.default_rng([model._order_seed, npass]) if shuffle else None
                order = rng.permutation(arrays.rows) if rng else np.arange(arrays.rows)
                if resident is not None:
                    step_logs, state = loop.resident(state, resident, order, arrays, count, first)
                else:
                    batches = itertools.islice(arrays.epoch(order), first, first + count)
                    step_logs, state = loop.host(state, batches)
                if count < steps:
                    _fit_loop.warn_ran_out(stacklevel=4)  # here, fit, Model.fit, the user
            else:
                batches = itertools.islice(_iterable_batches(x), steps_per_epoch)
                step_logs, state = loop.host(state, batches)
            logs = _floats(step_logs)
            # The epoch's values become the model's, for validation and for epoch-end
            # callbacks (checkpoints).
            _write_back(model, state, "train")
            if validation_data is not None and (epoch + 1 - initial_epoch) % validation_freq == 0:
                val = _validate(
                    model, validation_data, validation_batch_size or batch_size, validation_steps
                )
                logs.update({f"val_{k}": v for k, v in val.items()})
            cb.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        cb.on_train_end(logs)
    finally:
        _keep(model, state, "train")
    return history


class _Epoch:
    """One epoch of ``fit``'s steps: fused when nothing watches batches, else one step
    per call with the batch hooks and the progress bar around each."""

    def __init__(
        self, model: Any, cb: CallbackList, program: Any, key: Any, watched: bool, verbose: int
    ) -> None:
        self.model, self.cb, self.program, self.key = model, cb, program, key
        self.watched, self.verbose = watched, verbose
        self.ends = watched and cb.watches("on_train_batch_end")

    @property
    def counter(self) -> int:
        return int(self.model.__dict__.get("_keras_step_count", 0))

    def _advance(self, steps: int) -> None:
        self.model.__dict__["_keras_step_count"] = self.counter + steps

    def resident(
        self,
        state: Any,
        data: _epochs.Resident,
        order: np.ndarray,
        arrays: Any,
        count: int,
        first: int = 0,
    ) -> tuple[dict[str, Any], Any]:
        """``count`` batches of ``order`` from batch ``first``, over device-resident
        ``data``: the full batches in calls of as many steps as
        :class:`~kerax.training.chunker.Chunker` sizes them (a whole epoch when nothing
        watches), the short last batch on its own."""
        size = arrays.batch_size
        full, short = _epochs.full_batches(arrays.rows - first * size, size, count)
        order = jnp.asarray(order, jnp.int32)
        watch = _fit_loop.watch_mode(self.cb)
        # Observers that read each batch's logs get them from a table the loop fills.
        per_step = watch == _chunker.OBSERVED and self.cb.reads_batch_logs()
        if per_step and not self.program.tabled:
            watch = _chunker.SYNCED  # logs that fit no table: one step per call
        chunk = _chunker.Chunker(
            full, self.program.loopable, self.model._steps_per_execution, self.verbose, watch
        )
        rows = full if per_step and watch == _chunker.OBSERVED else 0
        logs: dict[str, Any] = {}
        done = 0
        while chunk.looped and self.program.loopable and done < full:
            if self.model.stop_training:
                return logs, state
            n = chunk.next(done)
            try:
                logs, state, each = self.program.steps(
                    state, data, order, size, first + done, n, self.key, self.counter, rows
                )
            except _epochs.NotLoopable:
                break  # state shapes change, or logs fit no table: one step per call
            self._advance(n)
            if watch != _chunker.FREE:
                for k in range(n):
                    self.cb.on_train_batch_begin(done + k)
                    self.cb.on_train_batch_end(done + k, each[k] if each else {})
            if self.verbose == 1 and chunk.report_due():
                self.cb.progress(done + n, _floats(logs))
            elif chunk.adaptive:
                jax.block_until_ready(logs)
            done += n
            chunk.measured(n)
        sizes = [size] * (full - done) + ([short] if short else [])

        def calls() -> Iterable[Any]:
            for j, n in enumerate(sizes):
                start = (first + done + j) * size
                yield lambda s, c, start=start, n=n: self.program.gathered(
                    s, data, order, start, n, self.key, c
                )

        more, state = self._one_by_one(state, calls(), done)
        return (more if sizes else logs), state

    def host(self, state: Any, batches: Iterable[Any]) -> tuple[dict[str, Any], Any]:
        """One step per host batch of ``batches``."""
        calls = (
            lambda s, c, d=data: self.program.host(s, _on_device(d), self.key, c)
            for data in batches
        )
        return self._one_by_one(state, calls, 0)

    def _one_by_one(self, state: Any, calls: Iterable[Any], first: int) -> tuple[dict, Any]:
        cb, model = self.cb, self.model
        last_report = time.monotonic()
        logs: dict[str, Any] = {}
        for i, call in enumerate(calls, first):
            if self.watched:
                cb.on_train_batch_begin(i)
            logs, state = call(state, self.counter)
            self._advance(1)
            if self.watched:
                # Only a hook that reads the logs waits for the step to finish.
                cb.on_train_batch_end(i, _floats(logs) if self.ends else {})
            now = time.monotonic()
            if self.verbose == 1 and now - last_report > 0.1:
                cb.progress(i + 1, _floats(logs))
                last_report = now
            if model.stop_training:
                break
        return logs, state


def _keep(model: Any, state: Sequence[Any], kind: str) -> None:
    """The final write-back: the state of the last completed step (a failing step
    leaves its input intact)."""
    _write_back(model, state, kind)


def _validate(model: Any, data: Any, batch_size: int, steps: int | None) -> dict[str, Any]:
    kwargs = {"batch_size": batch_size, "steps": steps, "verbose": 0, "return_dict": True}
    if isinstance(data, tuple | list) and len(data) in (2, 3):
        vsw = data[2] if len(data) == 3 else None
        return model.evaluate(data[0], data[1], sample_weight=vsw, **kwargs)
    return model.evaluate(data, **kwargs)


def class_sample_weight(model: Any, x: Any, y: Any, sample_weight: Any, class_weight: Any) -> Any:
    """``class_weight`` as per-example weights of in-memory targets, which the step
    receives in its data as Keras hands them (``(x, y, sample_weight)``)."""
    if not _data.is_in_memory(x):
        raise NotImplementedError(
            "`class_weight` with an iterable of batches and a model's own train_step is not "
            "supported: put the per-example weights in the batches, (x, y, sample_weight)."
        )
    if sample_weight is not None:
        raise ValueError("Give `class_weight` or `sample_weight`, not both.")
    ys = _data.flatten_y(model.graph, y)
    if len(ys) != 1:
        raise ValueError("`class_weight` is only supported for models with one output.")
    return _data.class_weights_to_sample_weights(ys[0], class_weight)


# ---------------------------------------------------------------------- evaluate
def evaluate(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    sample_weight: Any,
    steps: int | None,
    verbose: int,
    callbacks: Sequence[Callback] | None,
) -> dict[str, Any]:
    """``evaluate`` through the model's ``test_step``; returns the last logs."""
    check_signature(model, "test_step", 2)
    program = _program(model, "test")
    if _data.is_in_memory(x):
        arrays = _ArrayBatches(model, x, y, sample_weight, batch_size)
        batches, count = arrays.epoch(np.arange(arrays.rows)), arrays.steps
    else:
        batches, count = _iterable_batches(x), steps
    cb = CallbackList(list(callbacks or []), model=model, steps=count, verbose=verbose)
    trainable, non_trainable = _variables(model)
    state = _placed(model, (trainable, non_trainable, _steps.metric_initial_values(model)))
    key = _random.next_key()
    logs: dict[str, Any] = {}
    try:
        cb.on_test_begin()
        for i, data in enumerate(batches):
            if steps is not None and i >= steps:
                break
            cb.on_test_batch_begin(i)
            logs, state = program.host(state, _on_device(data), key, i)
            cb.on_test_batch_end(i, _floats(logs))
        logs = _floats(logs)
        cb.on_test_end(logs)
    finally:
        _keep(model, state, "test")
    return logs


# ---------------------------------------------------------------------- predict
def predict(
    model: Any,
    x: Any,
    *,
    batch_size: int,
    steps: int | None,
    callbacks: Sequence[Callback] | None,
) -> Any:
    """``predict`` through the model's ``predict_step``; outputs concatenated."""
    check_signature(model, "predict_step", 2)
    program = _program(model, "predict")
    if _data.is_in_memory(x):
        arrays = _ArrayBatches(model, x, None, None, batch_size)
        batches, count = arrays.epoch(np.arange(arrays.rows)), arrays.steps
    else:
        batches, count = _iterable_batches(x), steps
    cb = CallbackList(list(callbacks or []), model=model, steps=count, verbose=0)
    trainable, non_trainable = _placed(model, _variables(model))
    key = _random.next_key()
    outputs: list[Any] = []
    cb.on_predict_begin()
    for i, data in enumerate(batches):
        if steps is not None and i >= steps:
            break
        cb.on_predict_batch_begin(i)
        out, non_trainable = program.host((trainable, non_trainable), _on_device(data), key, i)
        outputs.append(jax.tree_util.tree_map(np.asarray, out))
        cb.on_predict_batch_end(i, {"outputs": outputs[-1]})
    cb.on_predict_end()
    for handle, value in zip(model.non_trainable_variables, non_trainable, strict=True):
        handle.assign(value)
    if not outputs:
        raise ValueError(f"Model '{model.name}': predict received no batches.")
    return jax.tree_util.tree_map(lambda *parts: np.concatenate(parts), *outputs)


# ---------------------------------------------------------------------- on one batch
def train_on_batch(model: Any, x: Any, y: Any, sample_weight: Any) -> dict[str, Any]:
    """One ``train_step`` on one batch; returns its logs."""
    check_signature(model, "train_step", 2)
    counter = int(model.__dict__.get("_keras_step_count", 0))
    trainable, non_trainable = _variables(model)
    state = (trainable, non_trainable, _optimizer_values(model), _steps.metric_values(model))
    state = _placed(model, state)
    data = _on_device(_steps.pack_data(x, y, sample_weight))
    try:
        logs, state = _program(model, "train").host(state, data, _random.next_key(), counter)
        model.__dict__["_keras_step_count"] = counter + 1
    finally:
        _keep(model, state, "train")
    return _floats(logs)


def test_on_batch(model: Any, x: Any, y: Any, sample_weight: Any) -> dict[str, Any]:
    """One ``test_step`` on one batch, metrics fresh; returns its logs."""
    check_signature(model, "test_step", 2)
    trainable, non_trainable = _variables(model)
    state = _placed(model, (trainable, non_trainable, _steps.metric_initial_values(model)))
    data = _on_device(_steps.pack_data(x, y, sample_weight))
    try:
        logs, state = _program(model, "test").host(state, data, _random.next_key(), 0)
    finally:
        _keep(model, state, "test")
    return _floats(logs)
