"""The compiled programs of training, built once per configuration and cached.

A :class:`Programs` belongs to one compile of one model: its lowered graph, optimizer,
loss and metrics. Anything that changes one of those (a new ``compile``, a Sequential
that gains a layer, ``"accuracy"`` re-resolved from the labels' shapes) makes the model
build a new ``Programs``, so no program ever outlives what it was traced from.

Every program here is a ``jax.jit`` of a pure function from :mod:`kerax.training.steps`;
none donates the train state: a call that fails while it runs (a host callback that
raises, a device error, Ctrl-C) leaves the state it started from intact, so the
model keeps the weights of its last completed step (``kerax.training.live``; donating
would save one state's memory, not time). Programs are also keyed by the
current distribution, which decides how batches are split over devices.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from kerax.graph.lower import Lowered
from kerax.training import devices as _devices
from kerax.training import host_state as _host_state
from kerax.training import steps as _steps
from kerax.training.compile_utils import CompiledLoss, CompiledMetrics
from kerax.training.state import TrainState, split


class Programs:
    """Builds and caches the jitted programs of ``fit`` / ``evaluate`` / ``predict``.

    Args:
        lowered: The model's lowered graph.
        tx: The optax transformation.
        loss: The resolved losses (None when compiled without one).
        metrics: The resolved metrics (the loss trackers first).
        auto_scale_loss: ``compile``'s argument: start dynamic loss scaling in a fresh
            train state when a layer computes in float16.
        on_trace: Called each time the train step is traced (a retrace is a recompile).
    """

    def __init__(
        self,
        lowered: Lowered,
        tx: optax.GradientTransformation,
        loss: CompiledLoss | None,
        metrics: CompiledMetrics,
        *,
        auto_scale_loss: bool,
        on_trace: Callable[[], None],
    ) -> None:
        self.lowered, self.tx, self.loss, self.metrics = lowered, tx, loss, metrics
        self.auto_scale_loss = auto_scale_loss
        self.loss_scaling = auto_scale_loss and _steps.needs_loss_scaling(lowered)
        self._on_trace = on_trace
        self._mask = lowered.layout.trainable_mask()
        self._cache: dict[Any, Any] = {}

    @property
    def trainable_mask(self) -> Any:
        """Which weights these programs train (``{key: {weight: bool}}``)."""
        return self._mask

    def matches(
        self, lowered: Lowered, tx: Any, loss: Any, metrics: Any, auto_scale_loss: bool
    ) -> bool:
        """Whether these programs were built from exactly these objects, and for the
        weights that are trainable now (``layer.trainable`` and ``enable_lora`` change
        them without changing the graph)."""
        return (
            self.lowered is lowered
            and self.tx is tx
            and self.loss is loss
            and self.metrics is metrics
            and self.auto_scale_loss == auto_scale_loss
            and self._mask == lowered.layout.trainable_mask()
        )

    def _get(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        dist = _devices.distribution()
        key = (*key, id(dist) if dist is not None else None)
        fn = self._cache.get(key)
        if fn is None:
            fn = self._cache[key] = build()
        return fn

    def _train_step(self) -> Callable[[TrainState, _steps.Batch], TrainState]:
        return _steps.make_train_step(
            self.lowered, self.tx, self.loss, self.metrics, self._mask, on_trace=self._on_trace
        )

    # ------------------------------------------------------------------ training
    def train_state(self) -> Any:
        """``(variables, rng, opt_state=None) -> TrainState``: a fresh state, with a
        fresh optimizer state unless one is given (a model's kept state). Built on the
        host where it only places constants (:class:`_HostFirst`)."""

        def build() -> Any:
            tx, mask, metrics, scaling = self.tx, self._mask, self.metrics, self.loss_scaling
            opt_init = _HostFirst(lambda trained: tx.init(trained))
            rest = _HostFirst(
                lambda v, rng, opt_state: _steps.init_train_state(
                    v, tx, mask, metrics, rng, loss_scaling=scaling, opt_state=opt_state
                )
            )

            def train_state(variables: Any, rng: Any, opt_state: Any = None) -> TrainState:
                if opt_state is None:
                    opt_state = opt_init(split(variables["params"], mask)[0])
                return rest(variables, rng, opt_state)

            return train_state

        return self._get(("train_state",), build)

    def train_runner(self, batch_size: int, looped: bool, unroll: int = 1) -> Any:
        """``(ts, data, order, start, count, reset) -> (ts, results, next)`` on resident data.

        Runs ``count`` steps from batch ``start`` of the epoch's ``order`` (``unroll``
        steps, unrolled, when not ``looped``), resetting the metrics first when
        ``reset``; returns the metric results after the last step (see
        :meth:`pack_results`) and ``next``, the index of the batch after the last one
        run, on the device: ``fit`` passes it back as the next call's ``start``, so
        that a call needs no host-to-device transfer. ``start``, ``count`` and
        ``reset`` are traced: one program serves every chunk size. The train state's
        PRNG key passes apart from the rest (see :class:`_Keyless`).
        """

        def build() -> Any:
            runner = _steps.make_epoch_runner(
                self._train_step(),
                batch_size,
                looped=looped,
                unroll=unroll,
                constrain=_devices.batch_constraint(),
            )
            metrics, pack = self.metrics, self._packer()

            def train(ts, data, order, start, count, reset):
                ts = ts._replace(metrics=_reset_where(reset, metrics.init(), ts.metrics))
                ts = runner(ts, data, order, start, count)
                step = count if looped else unroll
                return ts, pack(metrics.results(ts.metrics)), start + step

            return _Keyless(train, looped)

        return self._get(("train_runner", batch_size, looped, unroll), build)

    def train_logged_runner(self, batch_size: int, capacity: int) -> Any:
        """Like :meth:`train_runner` (looped), but also returns each step's results.

        ``(ts, data, order, start, count, reset) -> (ts, results, per_step, next)``,
        where ``per_step`` holds the results after each of the ``count`` steps in its
        first ``count`` rows (``capacity`` rows in all, a static bound on ``count``;
        one row of :meth:`pack_results` per step when the results pack). The logs of
        every step stay on the device until the chunk ends; the host reads them back
        once per chunk for callbacks that observe every batch.
        """

        def build() -> Any:
            one = _steps.make_epoch_runner(
                self._train_step(), batch_size, looped=False, constrain=_devices.batch_constraint()
            )
            metrics, pack = self.metrics, self._packer()
            shapes = jax.eval_shape(lambda: pack(metrics.results(metrics.init())))

            def train(ts, data, order, start, count, reset):
                ts = ts._replace(metrics=_reset_where(reset, metrics.init(), ts.metrics))
                rows = jax.tree_util.tree_map(
                    lambda s: jnp.zeros((capacity, *s.shape), s.dtype), shapes
                )

                def body(k, carry):
                    ts, rows = carry
                    ts = one(ts, data, order, start + k, 1)
                    results = pack(metrics.results(ts.metrics))
                    rows = jax.tree_util.tree_map(
                        lambda r, v: jax.lax.dynamic_update_index_in_dim(r, v, k, 0),
                        rows,
                        results,
                    )
                    return ts, rows

                ts, rows = jax.lax.fori_loop(0, count, body, (ts, rows))
                return ts, pack(metrics.results(ts.metrics)), rows, start + count

            return _Keyless(train, looped=True)

        return self._get(("train_logged_runner", batch_size, capacity), build)

    def pack_results(self) -> bool:
        """Whether the runners return their results packed: one vector of every logged
        value, in ``metrics.names`` order (when all are scalars of one dtype), read
        back in one transfer (:func:`kerax.training.logs.host_logs` takes either form).
        Otherwise they return the ``{name: value}`` dict."""

        def build() -> bool:
            shapes = jax.eval_shape(lambda: self.metrics.results(self.metrics.init()))
            leaves = list(shapes.values())
            return (
                bool(leaves)
                and all(s.shape == () for s in leaves)
                and len({s.dtype for s in leaves}) == 1
            )

        return self._get(("pack_results",), build)

    def _packer(self) -> Callable[[dict[str, Any]], Any]:
        if not self.pack_results():
            return lambda results: results
        # One entry per name, in ``names`` order: a name logged twice (a layer whose
        # several outputs each have a loss) is one dict key but two names.
        names = self.metrics.names
        return lambda results: jnp.stack([results[name] for name in names])

    def train_step(self) -> Any:
        """``(ts, batch) -> ts``: one step on a host batch (iterables, ``train_on_batch``)."""
        return self._get(("train_step",), lambda: jax.jit(self._train_step()))

    def train_step_results(self) -> Any:
        """``(ts, batch) -> (ts, results)``: :meth:`train_step` and the metric results
        after it (packed as :meth:`pack_results` says) in one program, for batch hooks
        that take logs (one call per step instead of two)."""

        def build() -> Any:
            step, metrics, pack = self._train_step(), self.metrics, self._packer()

            def train(ts, batch):
                ts = step(ts, batch)
                return ts, pack(metrics.results(ts.metrics))

            return _Keyless(train)

        return self._get(("train_step_results",), build)

    # ------------------------------------------------------------------ evaluation
    def eval_runner(self, batch_size: int, looped: bool) -> Any:
        """``(variables, states, data, order, start, count, reset, key) -> (states,
        results)``: evaluation steps on resident data (one step, at ``start``, when not
        ``looped``); batch ``i`` draws from ``fold_in(key, i)``."""

        def build() -> Any:
            step = _steps.make_eval_step(self.lowered, self.loss, self.metrics)
            metrics, constrain = self.metrics, _devices.batch_constraint()

            def one(variables, states, data, order, i, key):
                batch = _steps.batch_at(data, order, i, batch_size, constrain)
                return step(variables, states, batch, _fold(key, i))

            def run(variables, states, data, order, start, count, reset, key=None):
                states = _reset_where(reset, metrics.init(), states)
                if not looped:
                    states = one(variables, states, data, order, start, key)
                else:
                    states = jax.lax.fori_loop(
                        start,
                        start + count,
                        lambda i, st: one(variables, st, data, order, i, key),
                        states,
                    )
                return states, metrics.results(states)

            options = loop_compiler_options() if looped else None
            return jax.jit(run, donate_argnums=1, compiler_options=options)

        return self._get(("eval_runner", batch_size, looped), build)

    def eval_step(self) -> Any:
        """``(variables, states, batch, key) -> states``: evaluation on a host batch."""
        return self._get(
            ("eval_step",),
            lambda: jax.jit(_steps.make_eval_step(self.lowered, self.loss, self.metrics)),
        )

    def metrics_init(self) -> Any:
        """``() -> states``: fresh metric states (replicated under a distribution)."""

        def build() -> Any:
            dist = _devices.distribution()
            return jax.jit(
                self.metrics.init, out_shardings=None if dist is None else dist.replicated()
            )

        return self._get(("metrics_init",), build)

    def results(self) -> Any:
        """``(states) -> {name: value}``: the logged values of metric states."""
        return self._get(("results",), lambda: jax.jit(self.metrics.results))

    # ------------------------------------------------------------------ prediction
    def predict_runner(self, batch_size: int) -> Any:
        """``(variables, xs, order, i, key) -> outputs``: batch ``i`` of resident inputs
        (drawing, where a layer draws in inference, from ``fold_in(key, i)``)."""

        def build() -> Any:
            lowered, constrain = self.lowered, _devices.batch_constraint()

            def predict_rows(variables, xs, order, i, key=None):
                batch = _steps.batch_at((xs, [], []), order, i, batch_size, constrain)
                out, _ = lowered.apply(variables, batch.x, training=False, rng=_fold(key, i))
                return jax.tree_util.tree_leaves(out)

            return jax.jit(predict_rows)

        return self._get(("predict_runner", batch_size), build)

    def predict_batch(self) -> Any:
        """``(variables, xs, key, i) -> outputs``: the model on host batch ``i`` (its
        draws, if any, from ``fold_in(key, i)``)."""
        lowered = self.lowered

        def predict(variables, xs, key=None, i=0):
            out, _ = lowered.apply(variables, xs, training=False, rng=_fold(key, i))
            return jax.tree_util.tree_leaves(out)

        return self._get(("predict_batch",), lambda: jax.jit(predict))


class _Keyless:
    """A train program ``train(ts, *rest) -> (ts, *more)``, jitted with its PRNG key
    passed apart.

    The train state's PRNG key never changes during ``fit``, and a typed key costs
    every call a trip through Python (JAX places key arrays with a Python handler,
    and rebuilds an output key in Python). So the key passes apart from the rest of the
    state, as its raw ``uint32`` data, converted once per key, and is typed again
    inside the program: ``ts.rng`` is None in and out of the jitted program, and put
    back here.

    :meth:`flat` is the same program over the state's leaves (see
    :class:`kerax.training.live.LiveState`): a flat list of arrays costs JAX's
    dispatch about half of what the nested ``TrainState`` does, which matters when
    ``fit`` runs one step per call.

    Args:
        train: The pure function.
    """

    def __init__(self, train: Callable[..., Any], looped: bool = False) -> None:
        self._train = train
        self._options = loop_compiler_options() if looped else None
        self._programs: dict[Any, Any] = {}
        self._key: Any = None
        self._data: Any = None
        self._impl: Any = None
        self._flat_treedef: Any = None
        self._flat_impl: Any = None
        self._flat_program: Any = None
        #: Background compiles started by ``fit`` (``compile_in_background``), by the
        #: shapes of the data they were started for.
        self.background: dict[Any, concurrent.futures.Future] = {}
        self._compiled: Any = None

    def _key_data(self, key: Any) -> Any:
        if key is not self._key:
            typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
            self._impl = jax.random.key_impl(key) if typed else None
            self._data = jax.random.key_data(key) if typed else key
            self._key = key
        return self._data

    def _program(self) -> Any:
        """The jitted program for the current key's implementation."""
        program = self._programs.get(self._impl)
        if program is None:
            train, impl = self._train, self._impl

            def keyless(ts, key, *rest):
                out = train(_with_rng(ts, _typed_key(key, impl)), *rest)
                return (_with_rng(out[0], None), *out[1:])

            program = jax.jit(keyless, compiler_options=self._options)
            self._programs[self._impl] = program
        return program

    def __call__(self, ts: TrainState, *rest: Any) -> Any:
        data = self._key_data(ts.rng)
        args = (_with_rng(ts, None), data, *rest)
        compiled = self._compiled
        if compiled is not None:
            try:
                out = compiled(*args)
            except TypeError:  # compiled for other shapes (a fit on other data)
                self._compiled = None
                out = self._program()(*args)
        else:
            out = self._program()(*args)
        return (_with_rng(out[0], ts.rng), *out[1:])

    def compile_in_background(self, ts: TrainState, *rest: Any) -> concurrent.futures.Future:
        """Traces, lowers and compiles the program for arguments like these on a
        background thread; returns the future of the compiled executable, which
        :meth:`use` installs (an exception is left in the future: the calls then
        compile in the foreground and raise it where it belongs).

        Tracing on another thread is safe here: kerax's trace contexts are context
        variables, and the executable checks its arguments' shapes and types when
        called (a mismatch falls back to the jitted program).
        """
        program = self._program()
        args = (_with_rng(ts, None), self._key_data(ts.rng), *rest)
        return _compiler().submit(lambda: program.lower(*args).compile())

    def use(self, compiled: Any) -> None:
        """Makes the calls run ``compiled`` (from :meth:`compile_in_background`) for
        arguments of its shapes."""
        self._compiled = compiled

    def flat(self, leaves: list[Any], treedef: Any, key: Any, *rest: Any) -> Any:
        """The program on the leaves of ``ts._replace(rng=None)`` (structure
        ``treedef``) and the key; returns the new leaves first."""
        data = self._key_data(key)
        if treedef is self._flat_treedef and self._impl is self._flat_impl:
            # The same state structure as the last call (a fit's loop): hashing a
            # treedef for the dict lookup costs about as much as a step's bookkeeping.
            return self._flat_program(leaves, data, *rest)
        program = self._programs.get((self._impl, treedef))
        if program is None:
            train, impl = self._train, self._impl

            def keyless(leaves, key, *rest):
                ts = jax.tree_util.tree_unflatten(treedef, leaves)
                out = train(_with_rng(ts, _typed_key(key, impl)), *rest)
                return (jax.tree_util.tree_leaves(_with_rng(out[0], None)), *out[1:])

            program = jax.jit(keyless, compiler_options=self._options)
            self._programs[(self._impl, treedef)] = program
        self._flat_treedef, self._flat_impl, self._flat_program = treedef, self._impl, program
        return program(leaves, data, *rest)


class _HostFirst:
    """``init(*args)``, evaluated on the host when it only places constants and passes
    its inputs through (:mod:`kerax.training.host_state`: no program to compile),
    else jitted. Each argument structure's jaxpr is traced once."""

    def __init__(self, init: Callable[..., Any]) -> None:
        self._init = init
        self._jitted = jax.jit(init)
        self._traced: dict[Any, Any] = {}

    def __call__(self, *args: Any) -> Any:
        if _devices.distribution() is not None:
            return self._jitted(*args)
        leaves, treedef = jax.tree_util.tree_flatten(args)
        # Inputs are only passed through: their weak types do not change the plan.
        key = (treedef, tuple((x.shape, x.dtype) for x in leaves))
        if key not in self._traced:
            closed, shape = jax.make_jaxpr(self._init, return_shape=True)(*args)
            plan = _host_state.plan(closed)
            self._traced[key] = plan and (plan, jax.tree_util.tree_structure(shape))
        traced = self._traced[key]
        if traced is None:  # more than constants: compiled
            return self._jitted(*args)
        plan, treedef = traced
        return jax.tree_util.tree_unflatten(treedef, plan.place(leaves))


_RNG = TrainState._fields.index("rng")


def loop_compiler_options() -> dict[str, Any] | None:
    """XLA options for the programs that loop over steps, on CPU: two of XLA's while-loop
    passes (loop simplification and loop-invariant code motion) take a large share of
    such a program's compile and have nothing to do in it (the loop's invariants, the
    resident data and the order, are only read by index). Without them a 200-layer
    residual MLP's epoch runner compiled in a median 0.88x the time over five
    interleaved pairs of cold processes, with the same steady step and the same numbers
    (``benchmarks/README.md``, ``tests/training/test_warm_start.py``).
    ``KERAX_LOOP_PASSES=`` (empty) keeps every pass; another value names the passes to
    leave out. None off CPU."""
    v = os.environ.get("KERAX_LOOP_PASSES", "simplify-while-loops,while-loop-invariant-code-motion")
    if jax.default_backend() != "cpu" or not v:
        return None
    return {"xla_disable_hlo_passes": v}


@functools.cache
def _compiler() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that compiles programs in the background (XLA's compile
    releases the GIL, so it runs beside the steps of the calling thread)."""
    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kerax-compile")


def _with_rng(ts: TrainState, rng: Any) -> TrainState:
    """``ts._replace(rng=rng)``, without keyword parsing (twice per train call)."""
    return TrainState._make((*ts[:_RNG], rng, *ts[_RNG + 1 :]))


def _typed_key(data: Any, impl: Any) -> Any:
    """The key of :class:`_Keyless`'s data, inside a program."""
    return data if impl is None else jax.random.wrap_key_data(data, impl=impl)


def _fold(key: Any, i: Any) -> Any:
    """``fold_in(key, i)``, or None without a key."""
    return None if key is None else jax.random.fold_in(key, i)


def _reset_where(reset: Any, initial: Any, states: Any) -> Any:
    """``initial`` where ``reset`` (a traced bool), else ``states``, leaf by leaf."""
    return jax.tree_util.tree_map(lambda i, s: jnp.where(reset, i, s), initial, states)
