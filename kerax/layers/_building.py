"""Building a layer and inferring its shapes.

A layer builds once, from the shapes of its first input, all or nothing: a failing
``build`` restores the layer as it was (attributes, weight specs, tracked sublayers).
Output shapes come from tracing the pure ``apply`` under ``jax.eval_shape``
(``symbolic.infer_output_specs``), so no layer writes shape arithmetic of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import jax

from kerax.graph.spec import TensorSpec
from kerax.layers._input_spec import InputSpec

if TYPE_CHECKING:
    from kerax.variables import WeightSpec


class Building:
    """Mixin of :class:`~kerax.layers.Layer`: building, input checks, output shapes."""

    name: str
    dtype: str
    built: bool
    input_spec: InputSpec | Sequence[InputSpec] | None
    _weight_specs: list[WeightSpec]
    _tracked_layers: list[Any]

    def build(self, input_shape: Any) -> None:
        """Declares the weights for inputs of ``input_shape``. Default: none."""

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for ``input_shape``, inferred by tracing ``apply``."""
        from kerax.graph import symbolic

        specs = jax.tree_util.tree_map(
            lambda s: TensorSpec(s, self.dtype), input_shape, is_leaf=_is_shape
        )
        out = symbolic.infer_output_specs(self, (specs,), {})
        return jax.tree_util.tree_map(lambda s: s.shape, out)

    def _ensure_built(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Builds from the shapes of the first argument, all or nothing."""
        if self.built:
            return
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = jax.tree_util.tree_map(lambda x: TensorSpec.from_value(x).shape, first)
        self._build_guarded(shapes)

    def _snapshot(self) -> tuple[dict[str, Any], list[Any], list[Any]]:
        """What a failed build or call must restore: the attributes, and the contents of
        the lists they mutate in place (weight specs, tracked sublayers)."""
        return dict(self.__dict__), list(self._weight_specs), list(self._tracked_layers)

    def _restore(self, snapshot: tuple[dict[str, Any], list[Any], list[Any]]) -> None:
        attrs, specs, tracked = snapshot
        self.__dict__.clear()
        self.__dict__.update(attrs)
        self._weight_specs[:] = specs
        self._tracked_layers[:] = tracked

    def _build_guarded(self, input_shape: Any) -> None:
        snapshot = self._snapshot()
        try:
            self.build(_as_keras_shape(input_shape))
            self.built = True
        except Exception:
            self._restore(snapshot)
            raise

    def _check_input_spec(self, inputs: Sequence[TensorSpec]) -> None:
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, Sequence) else [self.input_spec]
        for i, (constraint, spec) in enumerate(zip(specs, inputs, strict=False)):
            if constraint is not None:
                constraint.check(self.name, i, spec)


def _is_shape(x: Any) -> bool:
    return isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x)


def _as_keras_shape(shape: Any) -> Any:
    if _is_shape(shape):
        return tuple(shape)
    if isinstance(shape, dict):
        return {k: _as_keras_shape(v) for k, v in shape.items()}
    if isinstance(shape, list | tuple):
        return [_as_keras_shape(s) for s in shape]
    return shape
