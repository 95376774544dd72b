"""``LossScaleOptimizer``: another optimizer with dynamic loss scaling.

kerax keeps the dynamic scale in the train state (:mod:`kerax.training.loss_scale`), not
in the optimizer state: the wrapper's transformation is its inner optimizer's, tagged so
that the train step starts dynamic scaling at ``initial_scale`` and doubles the scale
after ``dynamic_growth_steps`` finite steps. A model with a float16 layer gets the same
scaling without the wrapper, as Keras's ``compile`` wraps its optimizer then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from kerax.optimizers.base import Optimizer, tagged

# The common arguments Keras's wrapper accepts only at their default values (older
# configs wrote them); anything else must be set on the inner optimizer.
_BASE_DEFAULTS: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer with dynamic loss scaling, as Keras's ``LossScaleOptimizer``.

    The train step multiplies the loss by the current scale and divides the gradients
    by it. A step whose gradients are not finite is skipped (weights and the inner
    optimizer's state stay as they were) and halves the scale; after
    ``dynamic_growth_steps`` finite steps in a row the scale doubles. Unlike Keras's
    wrapper, the scale never drops below 1.

    Learning rate, iterations, EMA and the weight-decay exclusions are the inner
    optimizer's. Like Keras, the wrapper switches off the inner optimizer's
    ``loss_scale_factor`` (the dynamic scale replaces it).

    Args:
        inner_optimizer: The kerax optimizer to wrap.
        initial_scale: The first loss scale; default ``2**15``.
        dynamic_growth_steps: Finite steps in a row after which the scale doubles;
            default 2000.
        name: Name of the optimizer (default ``"loss_scale_optimizer"``).
        **kwargs: ``dynamic=True`` and the common arguments of ``Optimizer`` at their
            default values are accepted (old configs); anything else raises.

    Raises:
        ValueError: When ``dynamic=False``, when a common argument is set (set it on
            the inner optimizer), on an unknown keyword, or on a scale or step count
            out of range.
        TypeError: When ``inner_optimizer`` is not a kerax optimizer.
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer does not support `dynamic=False`; set "
                "`loss_scale_factor` on the inner optimizer for a constant scale."
            )
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg}`; set it on the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: {sorted(kwargs)}.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "`inner_optimizer` must be a kerax optimizer, received "
                f"{type(inner_optimizer).__name__}."
            )
        if not initial_scale > 0:
            raise ValueError(f"`initial_scale` must be positive, received {initial_scale!r}.")
        if not isinstance(dynamic_growth_steps, int) or dynamic_growth_steps < 1:
            raise ValueError(
                "`dynamic_growth_steps` must be an integer >= 1, received "
                f"{dynamic_growth_steps!r}."
            )
        # The base constructor is not called: every common argument is the inner
        # optimizer's.
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        self.name = name or "loss_scale_optimizer"
        inner_optimizer.loss_scale_factor = None
        # The facade's own scale (``apply_gradients`` outside ``fit``), when no model
        # keeps one; see ``_scale_state``.
        self._facade_scale: Any = None

    # ------------------------------------------------------------------ delegation
    @property
    def _model(self) -> Any:
        return self.inner_optimizer._model

    @_model.setter
    def _model(self, model: Any) -> None:
        # The inner optimizer reads its rate and iterations from the model's state.
        self.inner_optimizer._model = model

    @property
    def learning_rate(self) -> Any:
        """The inner optimizer's learning rate."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> int:
        """The inner optimizer's update count (skipped steps do not count)."""
        return self.inner_optimizer.iterations

    @property
    def use_ema(self) -> bool:
        """Whether the inner optimizer averages the weights."""
        return self.inner_optimizer.use_ema

    @property
    def loss_scale_factor(self) -> None:
        """Always None: the scale is dynamic."""
        return None

    def exclude_from_weight_decay(
        self, var_list: Any = None, var_names: list[str] | None = None
    ) -> None:
        """The inner optimizer's ``exclude_from_weight_decay``."""
        self.inner_optimizer.exclude_from_weight_decay(var_list, var_names)

    def finalize_variable_values(self, params: Any, opt_state: Any = None) -> Any:
        """The inner optimizer's ``finalize_variable_values``."""
        return self.inner_optimizer.finalize_variable_values(params, opt_state)

    def transform(self) -> optax.GradientTransformation:
        """The inner optimizer's transformation, tagged for dynamic loss scaling."""
        from kerax.training.loss_scale import LossScaleConfig

        config = LossScaleConfig(
            dynamic=True,
            initial_scale=self.initial_scale,
            growth_steps=self.dynamic_growth_steps,
        )
        return tagged(self.inner_optimizer.transform(), config)

    # ------------------------------------------------------------------ scaling
    @property
    def dynamic_scale(self) -> float:
        """The current loss scale: the compiled model's, else the one ``apply_gradients``
        keeps, else ``initial_scale``."""
        return float(self._scale_state().scale)

    def _model_scale(self) -> Any:
        model = self._model
        ts = getattr(model, "_ts", None)
        return ts.loss_scale if ts is not None else getattr(model, "_loss_scale", None)

    def _scale_state(self) -> Any:
        from kerax.training import loss_scale

        state = self._model_scale()
        if state is None:
            state = self._facade_scale or loss_scale.init(self.initial_scale)
        return state

    def _store_scale(self, state: Any) -> None:
        model = self._model
        if self._model_scale() is None:
            self._facade_scale = state
        elif model._ts is not None:
            model._ts = model._ts._replace(loss_scale=state)
        else:
            model._loss_scale = state

    def scale_loss(self, loss: Any) -> Any:
        """The loss multiplied by the current scale."""
        return loss * self.dynamic_scale

    def unscale_gradients(self, grads: Any) -> Any:
        """Gradients divided by the current scale."""
        scale = self.dynamic_scale
        return jax.tree_util.tree_map(lambda g: g / scale, grads)

    # ------------------------------------------------------------------ stateful API
    # Keras's methods act on the inner optimizer, with the dynamic scale around them.
    @property
    def built(self) -> bool:
        """Whether the inner optimizer is built."""
        return self.inner_optimizer.built

    def build(self, variables: Sequence[Any]) -> None:
        """Builds the inner optimizer on ``variables``."""
        self.inner_optimizer.build(variables)

    @property
    def variables(self) -> list[Any]:
        """The inner optimizer's variables (the scale is not among them, unlike
        Keras's ``step_counter`` and ``dynamic_scale``)."""
        return self.inner_optimizer.variables

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Applies scaled gradients: finite ones, unscaled, through the inner optimizer;
        non-finite ones skip the step. Then the scale halves (non-finite) or, after
        ``dynamic_growth_steps`` finite steps, doubles, as in ``fit``."""
        from kerax.training import loss_scale

        grads = list(grads)
        if not grads:
            return
        state = self._scale_state()
        finite = loss_scale.all_finite([g for g in grads if g is not None])
        if bool(finite):
            unscaled = [None if g is None else g / state.scale for g in grads]
            self.inner_optimizer.apply(unscaled, trainable_variables)
        elif trainable_variables is not None:
            self.inner_optimizer.build(list(trainable_variables))
        self._store_scale(loss_scale.adjust(state, finite, period=self.dynamic_growth_steps))

    def stateless_apply(
        self, optimizer_variables: Sequence[Any], grads: Sequence[Any], trainable_variables: Any
    ) -> tuple[list[Any], list[Any]]:
        """The inner optimizer's ``stateless_apply`` on gradients unscaled by the current
        scale; with non-finite gradients, everything is returned unchanged. The scale
        itself is not adjusted (it is not among ``variables``)."""
        from kerax.training import loss_scale

        scale = self._scale_state().scale
        finite = loss_scale.all_finite([g for g in grads if g is not None])
        unscaled = [None if g is None else g / scale for g in grads]
        new_vars, new_opt = self.inner_optimizer.stateless_apply(
            optimizer_variables, unscaled, trainable_variables
        )
        keep = lambda new, old: [jnp.where(finite, n, o) for n, o in zip(new, old)]  # noqa: E731
        return keep(new_vars, trainable_variables), keep(new_opt, optimizer_variables)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """The inner optimizer's ``set_weights``."""
        self.inner_optimizer.set_weights(weights)

    def _read_variable(self, index: int) -> Any:
        return self.inner_optimizer._read_variable(index)

    def _write_variable(self, index: int, value: Any) -> None:
        self.inner_optimizer._write_variable(index, value)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Keras's layout: the name, the inner optimizer serialized, the two settings."""
        from kerax.optimizers import serialize

        return {
            "name": self.name,
            "inner_optimizer": serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LossScaleOptimizer:
        """A wrapper from ``get_config()``'s output (the inner optimizer deserialized).

        Raises:
            ValueError: For an unknown inner optimizer class.
        """
        from kerax.optimizers import get

        config = dict(config)
        inner = get(config.pop("inner_optimizer"))
        return cls(inner, **config)

    def __repr__(self) -> str:
        return f"<LossScaleOptimizer name={self.name!r} inner={self.inner_optimizer!r}>"
