"""LoRA (low-rank adaptation) for the layers with one big matrix-like weight.

``Dense`` and ``EinsumDense`` (weight ``kernel``) and ``Embedding`` (weight
``embeddings``) take ``lora_rank`` / ``lora_alpha`` and have ``enable_lora``, as in
Keras 3. Enabling LoRA on a built layer:

* adds two float32 weights, ``lora_<target>_a`` of shape ``target.shape[:-1] + (rank,)``
  (He-uniform by default) and ``lora_<target>_b`` of shape ``(rank, target.shape[-1])``
  (zeros by default), which take the target's regularizer;
* freezes the target weight: it becomes non-trainable and moves from ``params`` to
  ``state`` (its penalty stops counting, as Keras counts only trainable weights);
* makes the layer compute with ``target + (lora_alpha / lora_rank) * a @ b``.

``layer.weights`` keeps Keras's order (the frozen target stays where it was declared,
then the LoRA pair). Saving writes what Keras writes: the merged target in the
target's place, without the LoRA pair; loading assigns the target and resets both LoRA
weights to zeros (Keras's ``load_own_variables`` does the same).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from kerax import initializers as _initializers
from kerax import random as _random
from kerax.variables import Variable


def check_lora_args(
    where: str, rank: Any, alpha: Any, rank_name: str = "lora_rank", optional: bool = True
) -> None:
    """Raises ValueError unless the rank is a positive integer and ``lora_alpha`` a
    positive number (either may be None where ``optional``; ``lora_alpha`` always)."""
    checks = ((rank_name, rank, "a positive integer"), ("lora_alpha", alpha, "a positive number"))
    for name, value, kind in checks:
        if value is None and (optional or name == "lora_alpha"):
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or value <= 0 or (name == rank_name and not isinstance(value, int)):
            allowed = f"{kind} or None" if optional or name == "lora_alpha" else kind
            raise ValueError(
                f"Received an invalid value for `{name}` in {where}: expected {allowed}, "
                f"received {name}={value!r}."
            )


class _MergedTarget:
    """What the weights files see in place of a LoRA layer's frozen target: reads give
    the merged value, writes set the target and zero the LoRA pair (as Keras loads)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.handle: Variable = layer._handles[layer._lora_target]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.handle.shape

    @property
    def path(self) -> str:
        return self.handle.path

    def numpy(self) -> np.ndarray:
        merged = self.layer._lora_merge(
            self.handle.value,
            self.layer._handles[self.layer._lora_names[0]].value,
            self.layer._handles[self.layer._lora_names[1]].value,
        )
        return np.asarray(merged.astype(self.handle.dtype))

    def assign(self, value: Any) -> None:
        self.handle.assign(value)
        for name in self.layer._lora_names:
            pair = self.layer._handles[name]
            pair.assign(jnp.zeros(pair.shape, pair.dtype))


def lora_property(name: str) -> property:
    """The layer attribute ``name`` (``kernel``): the weight's handle, or, with LoRA
    enabled, the merged value the layer computes with (as Keras's property gives)."""
    slot = f"_{name}_handle"

    def get(self: Any) -> Any:
        handle = self.__dict__.get(slot)
        if handle is None:
            raise AttributeError(
                f"Layer '{self.name}' ({type(self).__name__}) has no `{name}` before it is built."
            )
        if not self.lora_enabled:
            return handle
        a, b = (self._handles[n] for n in self._lora_names)
        return self._lora_merge(handle.value, a.value, b.value)

    def set(self: Any, value: Any) -> None:
        self.__dict__[slot] = value

    return property(get, set, doc=f"The ``{name}`` weight (merged with LoRA when enabled).")


class LoraMixin:
    """LoRA for a layer with one adaptable weight (see the module docstring).

    The layer class sets ``_lora_target`` (``"kernel"``), calls :meth:`_init_lora` in
    its constructor and :meth:`_build_lora` at the end of ``build``, and computes with
    :meth:`_lora_weight` in ``apply``.
    """

    _lora_target: str = "kernel"
    lora_rank: int | None
    lora_alpha: float | None
    lora_enabled: bool

    @property
    def _lora_names(self) -> tuple[str, str]:
        return (f"lora_{self._lora_target}_a", f"lora_{self._lora_target}_b")

    def _init_lora(self, lora_rank: int | None, lora_alpha: float | None) -> None:
        check_lora_args(type(self).__name__, lora_rank, lora_alpha)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _build_lora(self) -> None:
        """Called at the end of ``build``: enables LoRA when ``lora_rank`` was given."""
        if self.lora_rank:
            self._add_lora(self.lora_rank, self.lora_alpha, "he_uniform", "zeros")

    def enable_lora(
        self,
        rank: int,
        lora_alpha: float | None = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freezes the layer's main weight and adds a trainable low-rank update to it.

        The layer then computes with ``w + (lora_alpha / rank) * a @ b``, where ``a``
        and ``b`` are new float32 weights (``b`` starts at zeros, so the outputs do not
        change until ``a`` and ``b`` are trained). Enable LoRA before ``compile``, or call
        ``compile`` again afterwards, as in Keras: a model's compiled training step and
        optimizer state are made for the weights it had when they were made.

        Args:
            rank: The rank of the update, a positive integer.
            lora_alpha: Scale numerator: the update is multiplied by
                ``lora_alpha / rank``. Defaults to ``rank`` (a scale of 1).
            a_initializer: Initializer of ``a`` (default ``"he_uniform"``).
            b_initializer: Initializer of ``b`` (default ``"zeros"``).

        Raises:
            ValueError: If the layer is not built, LoRA is already enabled, the main
                weight has a constraint, or ``rank`` / ``lora_alpha`` are not positive.
            RuntimeError: If called while a ``fit`` of a model containing the layer
                runs (from a callback).
        """
        cls = type(self).__name__
        constraint = getattr(self, f"{self._lora_target}_constraint", None)
        if constraint is not None:
            raise ValueError(
                f"Layer '{self.name}' ({cls}): LoRA cannot be enabled on a layer with "
                f"`{self._lora_target}_constraint` (a constraint on the frozen weight would "
                f"never apply to the low-rank update); received "
                f"{self._lora_target}_constraint={constraint!r}. Remove the constraint."
            )
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' ({cls}): cannot enable LoRA on a layer that is not "
                "built yet. Call the layer (or build the model) first, or pass `lora_rank=` "
                "to the constructor."
            )
        if self.lora_enabled:
            raise ValueError(
                f"Layer '{self.name}' ({cls}): LoRA is already enabled (rank "
                f"{self.lora_rank}); it can be enabled only once per layer."
            )
        if self._live is not None:
            raise RuntimeError(
                f"Layer '{self.name}' ({cls}): enable_lora cannot run during `fit` (it "
                "changes the model's weights); call it before `fit`."
            )
        check_lora_args(f"{cls}.enable_lora", rank, lora_alpha, "rank", optional=False)
        self._add_lora(rank, lora_alpha, a_initializer, b_initializer)

    def _add_lora(self, rank: int, alpha: float | None, a_init: Any, b_init: Any) -> None:
        target = self._handles[self._lora_target]
        regularizer = getattr(self, f"{self._lora_target}_regularizer", None)
        name_a, name_b = self._lora_names
        shape = target.shape
        had_values = self._values is not None
        a = self.add_weight(
            name=name_a,
            shape=(*shape[:-1], rank),
            initializer=_initializers.get(a_init),
            dtype="float32",
            regularizer=regularizer,
        )
        b = self.add_weight(
            name=name_b,
            shape=(rank, shape[-1]),
            initializer=_initializers.get(b_init),
            dtype="float32",
            regularizer=regularizer,
        )
        setattr(self, name_a, a)
        setattr(self, name_b, b)
        # Freeze the target: non-trainable (so it lives in ``state``), no penalty.
        frozen = dataclasses.replace(target.spec, trainable=False, regularizer=None)
        self._weight_specs[:] = [frozen if s is target.spec else s for s in self._weight_specs]
        target.spec = frozen
        if had_values:
            values = self._values
            params = dict(values["params"])
            state = dict(values["state"])
            state[frozen.name] = params.pop(frozen.name)
            key = _random.next_key()
            for i, handle in enumerate((a, b)):
                params[handle.name] = _initializers.initialize(
                    handle.spec.initializer,
                    jax.random.fold_in(key, i),
                    handle.spec.shape,
                    handle.spec.dtype,
                )
            self._values = {**values, "params": params, "state": state}
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = alpha if alpha is not None else rank

    def _own_weights(self) -> list[Variable]:
        """Keras's order: weights declared trainable (the frozen target among them, at
        its place), then those declared non-trainable."""
        if not self.lora_enabled:
            return super()._own_weights()  # type: ignore[misc]
        first = [s for s in self._weight_specs if s.trainable or s.name == self._lora_target]
        rest = [s for s in self._weight_specs if s not in first]
        return [self._handles[s.name] for s in first + rest]

    def _lora_merge(self, target: Any, a: Any, b: Any) -> jax.Array:
        """``target + (lora_alpha / lora_rank) * a @ b`` in the layer's compute dtype."""
        dtype = self.compute_dtype
        scale = self.lora_alpha / self.lora_rank
        delta = scale * jnp.matmul(jnp.asarray(a).astype(dtype), jnp.asarray(b).astype(dtype))
        return (jnp.asarray(target).astype(dtype) + delta).astype(dtype)

    def _lora_weight(self, ctx: Any) -> jax.Array:
        """The weight ``apply`` computes with: the target, merged with the LoRA update
        when LoRA is enabled."""
        if not self.lora_enabled:
            return ctx.params[self._lora_target]
        name_a, name_b = self._lora_names
        return self._lora_merge(
            ctx.variable(self._lora_target), ctx.params[name_a], ctx.params[name_b]
        )

    def _h5_groups(self) -> list[tuple[str, list[Any]]]:
        """Weights-file entries as Keras writes them: the merged target in its place."""
        handles: list[Any] = list(self._own_weights())
        if self.lora_enabled:
            pair = set(self._lora_names)
            handles = [
                _MergedTarget(self) if h.name == self._lora_target else h
                for h in handles
                if h.name not in pair
            ]
        return [("vars", handles)]

    def _lora_config(self) -> dict[str, Any]:
        """The config keys Keras writes for LoRA (only when ``lora_rank`` is set)."""
        if not self.lora_rank:
            return {}
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha}
