"""Optimizers written the Keras way: ``build`` + ``add_variable_from_reference`` +
``update_step``.

Keras users write a custom optimizer as a subclass that creates its slots in
``build(var_list)`` (``add_variable_from_reference``, ``add_optimizer_variables``,
``add_variable``) and updates one variable in ``update_step(gradient, variable,
learning_rate)`` with ``self.assign(...)``. kerax runs such a class through the same
optax transformation as its own optimizers: the declared slots become the per-variable
slots of :class:`~kerax.optimizers._transform.KerasOptimizerState` (``add_variable``
ones its shared variables), and ``update_step`` runs once per variable against explicit
values (a :class:`~kerax.metrics._variables.StateScope`), so it also runs inside
``fit``'s jitted step. While it runs, ``self.iterations`` and ``self.learning_rate`` are
that step's (traced) values, not numbers read from the model.

Limits: ``update_step`` may read but not assign ``add_variable`` (shared) variables, and
the slots must be created in ``build`` (not in ``update_step``).
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from kerax.metrics._variables import StateScope, StateVariable

#: ``(iterations, learning_rate)`` while a Keras-style ``update_step`` runs.
_STEP: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "kerax_keras_update_step", default=None
)


def current_step() -> tuple[Any, Any] | None:
    """``(iterations, learning_rate)`` of the ``update_step`` running now, else None."""
    return _STEP.get()


@dataclasses.dataclass(frozen=True)
class Declared:
    """One optimizer variable declared by ``add_variable*``.

    Attributes:
        ref: Build index of the model variable it belongs to; None for ``add_variable``.
        name: Keras's name (``"dense_kernel_momentum"``).
        shape: Its shape.
        dtype: Its dtype name.
        initializer: A kerax initializer.
    """

    ref: int | None
    name: str
    shape: tuple[int, ...]
    dtype: str
    initializer: Any


class _Space:
    """Owner of the handles ``add_variable*`` return: index ``k`` below the number of
    declarations is declaration ``k``; ``D + i`` is the stand-in for model variable ``i``
    that ``update_step`` receives."""

    def __init__(self, opt: Any) -> None:
        self.opt = opt

    @property
    def name(self) -> str:
        return self.opt.name

    def _where(self, k: int) -> tuple:
        decls = self.opt._keras_declared
        mine = decls[k]
        j = sum(1 for d in decls[:k] if d.ref == mine.ref)
        if mine.ref is None:
            return ("shared", j)
        return ("slots", self.opt._facade.positions()[mine.ref], j)

    def _index(self, k: int) -> int:
        where = self._where(k)
        named = self.opt._named_values(self.opt._state())
        return next(i for i, (_, _, w) in enumerate(named) if w == where)

    def _read_variable(self, k: int) -> Any:
        decls = self.opt._keras_declared
        if k >= len(decls):
            return self.opt._facade.variables[k - len(decls)].value
        return self.opt._read_variable(self._index(k))

    def _write_variable(self, k: int, value: Any) -> None:
        decls = self.opt._keras_declared
        if k >= len(decls):
            self.opt._facade.variables[k - len(decls)].assign(value)
        else:
            self.opt._write_variable(self._index(k), value)


class KerasSubclassing:
    """Mixin of :class:`~kerax.optimizers.Optimizer`: Keras's API for writing an
    optimizer (see the module docstring)."""

    name: str
    _facade: Any
    _keras_declared: tuple[Declared, ...] = ()

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """One variable's update, for optimizers written the Keras way (kerax's own
        optimizers describe it with ``_init_slots`` / ``_update_variable`` instead).

        Raises:
            NotImplementedError: Always, unless a subclass overrides it.
        """
        raise NotImplementedError

    def _space(self) -> _Space:
        space = self.__dict__.get("_keras_space")
        if space is None:
            space = self.__dict__["_keras_space"] = _Space(self)
        return space

    def _declare(self, ref: int | None, name: str, shape: Any, dtype: Any, init: Any) -> Any:
        from kerax import initializers

        decl = Declared(ref, name, tuple(int(d) for d in shape), str(dtype), initializers.get(init))
        self._keras_declared = (*self._keras_declared, decl)
        k = len(self._keras_declared) - 1
        return StateVariable(self._space(), k, decl.name, decl.shape, decl.dtype)

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> StateVariable:
        """Declares an optimizer variable shared by all model variables (in ``build``).

        ``aggregation`` and ``layout`` are accepted for Keras compatibility; the
        variable follows the optimizer state's placement.
        """
        name = name or f"variable_{len(self._keras_declared)}"
        return self._declare(None, name, shape, dtype or "float32", initializer)

    def add_variable_from_reference(
        self, reference_variable: Any, name: str | None = None, initializer: Any = "zeros"
    ) -> StateVariable:
        """Declares an optimizer variable shaped like ``reference_variable`` (a variable
        given to ``build``), named ``<its path>_<name>`` as in Keras.

        Raises:
            ValueError: When ``reference_variable`` is not one ``build`` was given.
        """
        index = self._get_variable_index(reference_variable)
        path = str(getattr(reference_variable, "path", reference_variable.name))
        name = f"{path.replace('/', '_').replace(':', '_')}_{name or 'var'}"
        shape, dtype = reference_variable.shape, reference_variable.dtype
        return self._declare(index, name, shape, dtype, initializer)

    def add_optimizer_variables(
        self, trainable_variables: Sequence[Any], name: Any, initializer: Any = "zeros"
    ) -> Any:
        """``add_variable_from_reference`` for each variable and each name (Keras's
        interleaved order); a list per name, or one list for a single name."""
        names = [name] if isinstance(name, str) else list(name)
        inits = initializer if isinstance(initializer, list | tuple) else [initializer] * len(names)
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided "
                f"initializers. Received name='{name}', initializer='{initializer}'"
            )
        out: tuple[list[Any], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for group, (n, init) in zip(out, zip(names, inits, strict=True), strict=True):
                group.append(self.add_variable_from_reference(variable, n, init))
        return out[0] if isinstance(name, str) else out

    def _get_variable_index(self, variable: Any) -> int:
        """The build index of ``variable`` (or of ``update_step``'s stand-in for it)."""
        if isinstance(variable, StateVariable) and variable.owner is self.__dict__.get(
            "_keras_space"
        ):
            return variable.index - len(self._keras_declared)
        built = self._facade
        for i, v in enumerate(built.variables if built is not None else ()):
            if v is variable:
                return i
        raise ValueError(
            f"Unknown variable: {variable}. This optimizer can only be called for the "
            "variables it was originally built with."
        )

    # ------------------------------------------------------------------ the pure hooks
    def _path_index(self, path: str) -> int:
        built = self._facade
        if built is None:
            self._require_built("create its state")  # type: ignore[attr-defined]
            built = self._facade
        return [f"{g}/{n}" for g, n in built.keys].index(path)

    def _keras_init(self, ref: int | None) -> tuple[jax.Array, ...]:
        from kerax import initializers

        return tuple(
            initializers.initialize(d.initializer, jax.random.key(k), d.shape, d.dtype)
            for k, d in enumerate(self._keras_declared)
            if d.ref == ref
        )

    def _keras_init_slots_at(self, param: jax.Array, path: str) -> tuple[jax.Array, ...]:
        return self._keras_init(self._path_index(path))

    def _keras_init_shared(self) -> tuple[jax.Array, ...]:
        return self._keras_init(None)

    def _keras_update_variable_at(
        self,
        grad: jax.Array,
        var: jax.Array,
        slots: tuple[jax.Array, ...],
        lr: jax.Array,
        step: jax.Array,
        shared: tuple[jax.Array, ...],
        path: str,
    ) -> tuple[jax.Array, tuple[jax.Array, ...]]:
        i = self._path_index(path)
        decls = self._keras_declared
        mine = [k for k, d in enumerate(decls) if d.ref == i]
        values: list[Any] = [None] * (len(decls) + len(self._facade.variables))
        for k, value in zip(mine, slots, strict=True):
            values[k] = value
        for k, value in zip([k for k, d in enumerate(decls) if d.ref is None], shared, strict=True):
            values[k] = value
        values[len(decls) + i] = var
        original = self._facade.variables[i]
        stand_in = StateVariable(self._space(), len(decls) + i, original.name, var.shape, var.dtype)
        token = _STEP.set(((step - 1).astype(jnp.int32), lr))
        try:
            with StateScope(self._space(), values) as scope:
                self.update_step(grad, stand_in, lr)
        finally:
            _STEP.reset(token)
        return scope.values[len(decls) + i], tuple(scope.values[k] for k in mine)

    @staticmethod
    def install(cls: type) -> None:
        """Routes ``cls``'s pure hooks through its Keras-style ``update_step``."""
        cls._init_slots_at = KerasSubclassing._keras_init_slots_at  # type: ignore[attr-defined]
        cls._init_shared = KerasSubclassing._keras_init_shared  # type: ignore[attr-defined]
        cls._update_variable_at = KerasSubclassing._keras_update_variable_at  # type: ignore[attr-defined]
