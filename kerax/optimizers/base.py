"""The optimizer base class: Keras's arguments, learning rate and config.

:class:`Optimizer` takes Keras's common arguments (weight decay, clipping, EMA, loss
scaling, gradient accumulation), checks them, and exposes Keras's attributes
(``learning_rate``, ``iterations``) read from the live train state of the model it is
compiled into. Subclasses describe one variable's update;
:mod:`kerax.optimizers._transform` turns an optimizer into the one optax
transformation kerax trains with, doing Keras's steps in Keras's order.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import optax

from kerax import schedules as _schedules
from kerax.optimizers._keras_subclass import current_step
from kerax.optimizers._stateful import Built, StatefulOptimizer
from kerax.optimizers._transform import (
    KerasOptimizerState,
    clip_gradients,
    injected_transformation,
    step_transformation,
)

# Re-exported: the transformation's class and tag were defined here before the split.
from kerax.optimizers._transform import KeraxTransformation as KeraxTransformation
from kerax.optimizers._transform import tagged as tagged


def _check_non_negative(name: str, value: Any) -> None:
    if value is not None and not value >= 0:
        raise ValueError(f"`{name}` must be non-negative, received {name}={value!r}.")


class Optimizer(StatefulOptimizer):
    """Base class of kerax's optimizers.

    Subclasses describe one variable's update (``_init_slots`` and
    ``_update_variable``); the base class adds Keras's common arguments.

    ``compile`` uses the optax transformation (``transform()``). Outside ``fit``, it has
    Keras's stateful API (:mod:`kerax.optimizers._stateful`): ``build``,
    ``apply_gradients`` (updating the layers' weights in place), ``variables``,
    ``stateless_apply``, ``set_weights``, ``save_own_variables``... A subclass may be
    written the Keras way too (``build`` + ``add_variable_from_reference`` +
    ``update_step``; :mod:`kerax.optimizers._keras_subclass`).

    Args:
        learning_rate: A non-negative float, or a schedule: a
            ``kerax.optimizers.schedules.LearningRateSchedule`` or any callable
            ``fn(step) -> lr`` (``step`` counts updates from 0).
        weight_decay: If set, decoupled weight decay ``var -= var * weight_decay * lr``
            before each update.
        clipnorm: If set, each gradient is rescaled so that its L2 norm is at most this.
        clipvalue: If set, each gradient is clipped element-wise to ``[-v, v]``.
        global_clipnorm: If set, all gradients are rescaled together so that their
            global L2 norm is at most this. At most one of the three clipping
            arguments may be set.
        use_ema: Keep an exponential moving average of the weights.
        ema_momentum: Momentum of that average, in ``[0, 1]``.
        ema_overwrite_frequency: With ``use_ema``, overwrite the weights with their
            average every this many steps (``None``: never during training; see
            ``finalize_variable_values``).
        loss_scale_factor: If set, kerax's train step multiplies the loss by it before
            differentiation and divides the gradients by it after (read at
            ``compile``). ``scale_loss`` and ``unscale_gradients`` do the same for a
            custom loop; the transformation itself does not unscale.
        gradient_accumulation_steps: If set (an integer >= 2), the weights move once
            every this many calls, with the mean of the gradients of those calls.
        name: Name of the optimizer (default: the lower-cased class name).
        **kwargs: ``decay`` is accepted with a warning and ignored, as in Keras;
            any other keyword raises.

    Raises:
        ValueError: On an unknown keyword or an argument out of its range.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and is ignored.", stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}.")
        self._learning_rate = self._check_learning_rate(learning_rate)
        _check_non_negative("weight_decay", weight_decay)
        for arg, value in (
            ("clipnorm", clipnorm),
            ("clipvalue", clipvalue),
            ("global_clipnorm", global_clipnorm),
        ):
            _check_non_negative(arg, value)
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}."
            )
        if not 0 <= ema_momentum <= 1:
            raise ValueError(f"`ema_momentum` must be in [0, 1], received {ema_momentum!r}.")
        if ema_overwrite_frequency is not None and (
            not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
        ):
            raise ValueError(
                "`ema_overwrite_frequency` must be an integer >= 1 or None, received "
                f"ema_overwrite_frequency={ema_overwrite_frequency!r}."
            )
        if loss_scale_factor is not None and not loss_scale_factor > 0:
            raise ValueError(
                f"`loss_scale_factor` must be positive, received {loss_scale_factor!r}."
            )
        if gradient_accumulation_steps is not None and (
            not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2, received "
                f"gradient_accumulation_steps={gradient_accumulation_steps!r}."
            )
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.name = name or type(self).__name__.lower()
        self._exclude_names: re.Pattern[str] | None = None
        self._model: Any = None
        self._facade: Built | None = None

    # ------------------------------------------------------------------ learning rate
    @staticmethod
    def _check_learning_rate(value: Any) -> Any:
        if callable(value):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                "`learning_rate` must be a float or a schedule (a callable of the step), "
                f"received learning_rate={value!r}."
            )
        if not value >= 0:
            raise ValueError(f"`learning_rate` must be non-negative, received {value!r}.")
        return float(value)

    @property
    def learning_rate(self) -> Any:
        """The learning rate of the next update (read from the live optimizer state)."""
        if (step := current_step()) is not None:  # inside a Keras-style update_step
            return step[1]
        state = self._current_opt_state()
        lr = self._learning_rate
        if callable(lr):
            return float(lr(state.count if hasattr(state, "count") else 0))
        if state is not None and hasattr(state, "hyperparams"):
            return float(state.hyperparams["learning_rate"])
        return lr

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        value = self._check_learning_rate(value)
        if callable(self._learning_rate) and not callable(value):
            raise TypeError(
                "This optimizer was created with a schedule as its `learning_rate`, so "
                "its rate cannot be set to a number; create it with a float instead."
            )
        if callable(value) and self._model is not None:
            raise TypeError(
                "A schedule cannot replace the learning rate of a compiled model; pass "
                "it to the optimizer's constructor and compile again."
            )
        self._learning_rate = value
        if self._model is not None:
            self._model._set_learning_rate(value)
        built = self._facade
        if built is not None and built.opt_state is not None and not callable(value):
            hyper = dict(built.opt_state.hyperparams)
            hyper["learning_rate"] = jnp.asarray(value, hyper["learning_rate"].dtype)
            self._store(built.opt_state._replace(hyperparams=hyper))

    @property
    def iterations(self) -> int:
        """Number of weight updates so far (accumulation calls count once per update)."""
        if (step := current_step()) is not None:  # inside a Keras-style update_step
            return step[0]
        state = self._current_opt_state()
        inner = getattr(state, "inner_state", None)
        count = int(inner.count) if isinstance(inner, KerasOptimizerState) else 0
        return count // (self.gradient_accumulation_steps or 1)

    # ------------------------------------------------------------------ subclass hooks
    def _init_slots(self, param: jax.Array) -> tuple[jax.Array, ...]:
        """The optimizer variables of one parameter (default: none)."""
        return ()

    def _init_shared(self) -> tuple[jax.Array, ...]:
        """Optimizer variables shared by all parameters (default: none)."""
        return ()

    def _update_shared(self, shared: tuple[jax.Array, ...], step: jax.Array) -> tuple:
        """Advances the shared variables once per update, before the variables move."""
        return shared

    def _update_variable(
        self,
        grad: jax.Array,
        var: jax.Array,
        slots: tuple[jax.Array, ...],
        lr: jax.Array,
        step: jax.Array,
        shared: tuple[jax.Array, ...],
    ) -> tuple[jax.Array, tuple[jax.Array, ...]]:
        """One variable's update: returns its new value and its new slots.

        Args:
            grad: The (clipped) gradient.
            var: The variable after weight decay.
            slots: Its optimizer variables.
            lr: The learning rate of this step, in the variable's dtype.
            step: Keras's ``iterations + 1`` as a float (for bias corrections).
            shared: The shared variables, already advanced for this step.
        """
        raise NotImplementedError

    # Optimizers that treat variables differently by their path (Muon) override these
    # three; ``path`` is the variable's path in the parameter tree, ``"dense/kernel"``.
    def _init_slots_at(self, param: jax.Array, path: str) -> tuple[jax.Array, ...]:
        """The optimizer variables of the parameter at ``path`` (default: ``_init_slots``)."""
        return self._init_slots(param)

    def _update_variable_at(
        self,
        grad: jax.Array,
        var: jax.Array,
        slots: tuple[jax.Array, ...],
        lr: jax.Array,
        step: jax.Array,
        shared: tuple[jax.Array, ...],
        path: str,
    ) -> tuple[jax.Array, tuple[jax.Array, ...]]:
        """The update of the variable at ``path`` (default: ``_update_variable``)."""
        return self._update_variable(grad, var, slots, lr, step, shared)

    def _weight_decay_at(self, path: str, param: jax.Array) -> float | None:
        """The weight decay of the variable at ``path`` (default: ``weight_decay``)."""
        return self.weight_decay

    # ------------------------------------------------------------------ pieces
    def _clip(self, grads: list[jax.Array]) -> list[jax.Array]:
        return clip_gradients(
            grads,
            clipnorm=self.clipnorm,
            global_clipnorm=self.global_clipnorm,
            clipvalue=self.clipvalue,
        )

    def exclude_from_weight_decay(
        self, var_list: Any = None, var_names: list[str] | None = None
    ) -> None:
        """Excludes weights whose name contains one of ``var_names`` from weight decay.

        Call it before ``compile``. The weight's name is the last key of its path in
        the parameter tree (``"kernel"``, ``"bias"``, ``"gamma"``, ...).

        Args:
            var_list: Not supported by kerax (weights are arrays, not objects).
            var_names: Substrings (regular expressions) of names to exclude.

        Raises:
            ValueError: When ``var_list`` is given.
        """
        if var_list:
            raise ValueError(
                "kerax supports `exclude_from_weight_decay(var_names=...)` only; "
                "`var_list` cannot identify weights of a pure parameter tree."
            )
        self._exclude_names = re.compile("|".join(sorted(set(var_names)))) if var_names else None

    def _decays(self, names: list[str]) -> list[bool]:
        pattern = self._exclude_names
        return [pattern is None or pattern.search(n) is None for n in names]

    def _factory(self, learning_rate: jax.Array) -> optax.GradientTransformation:
        """The transformation for one learning-rate value (``inject_hyperparams`` calls it)."""
        return step_transformation(self, learning_rate)

    def transform(self) -> optax.GradientTransformation:
        """The optax transformation; its ``learning_rate`` is a state hyper-parameter.

        A float rate is read when the state is initialized (not when this is called), so
        a rate set between ``compile`` and the first step is the one training starts
        with. The transformation carries ``loss_scale_factor`` for the train step (its
        ``loss_scaling`` attribute).
        """
        return injected_transformation(self)

    # ------------------------------------------------------------------ loss scaling, EMA
    def scale_loss(self, loss: Any) -> Any:
        """The loss multiplied by ``loss_scale_factor`` (unchanged when unset)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def unscale_gradients(self, grads: Any) -> Any:
        """Gradients divided by ``loss_scale_factor`` (unchanged when unset)."""
        if self.loss_scale_factor is None:
            return grads
        return jax.tree_util.tree_map(lambda g: g / self.loss_scale_factor, grads)

    def finalize_variable_values(self, params: Any, opt_state: Any = None) -> Any:
        """The weights to keep at the end of training: their moving average with ``use_ema``.

        Keras's ``fit`` replaces the weights by their average when it ends; a kerax
        training loop does it by storing what this returns. Called Keras's way,
        ``finalize_variable_values(var_list)`` with variable handles and no state, it
        assigns the averages of the optimizer's own state to those variables.

        Args:
            params: The trained parameters (the tree the transformation updates), or
                the variables the optimizer was built with.
            opt_state: The state of ``transform()`` for those parameters; None for
                Keras's form.

        Returns:
            ``params`` itself without ``use_ema``, else the averaged parameters.
        """
        if opt_state is None:
            self._finalize_handles(params)
            return params
        inner = getattr(opt_state, "inner_state", opt_state)
        if not self.use_ema or not isinstance(inner, KerasOptimizerState):
            return params
        treedef = jax.tree_util.tree_structure(params)
        return jax.tree_util.tree_unflatten(treedef, list(inner.average))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, with a schedule written as a class/config dict."""
        lr = self._learning_rate
        if isinstance(lr, _schedules.LearningRateSchedule):
            lr = {
                "module": "keras.optimizers.schedules",
                "class_name": type(lr).__name__,
                "config": lr.get_config(),
                "registered_name": None,
            }
        elif not callable(lr):
            lr = float(self.learning_rate)
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """An optimizer built from ``get_config()``'s output.

        Raises:
            ValueError: When the learning-rate schedule's class is unknown.
        """
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            schedule_cls = getattr(_schedules, lr.get("class_name", ""), None)
            if not (
                isinstance(schedule_cls, type)
                and issubclass(schedule_cls, _schedules.LearningRateSchedule)
            ):
                raise ValueError(f"Unknown learning-rate schedule: {lr.get('class_name')!r}.")
            config["learning_rate"] = schedule_cls.from_config(lr["config"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
