"""Optimizers with Keras's names, defaults and update formulas, built on optax.

Each optimizer builds one ``optax.GradientTransformation`` whose learning rate lives in
its state (``optax.inject_hyperparams``), so ``model.optimizer.learning_rate = x`` takes
effect without recompiling. ``compile`` also accepts any ``optax.GradientTransformation``
as it is. Learning-rate schedules are in ``kerax.optimizers.schedules``.
``LossScaleOptimizer`` wraps another optimizer with dynamic loss scaling.
Outside ``fit``, an optimizer also has Keras's stateful API
(``apply_gradients(zip(grads, model.trainable_variables))``, ``iterations``,
``variables``, ``stateless_apply``; see :mod:`kerax.optimizers._stateful`).

Each class takes Keras's arguments with Keras's defaults and reproduces Keras 3's
update of one variable; the arguments every optimizer shares (``weight_decay``,
clipping, EMA, gradient accumulation, ...) are described on ``Optimizer``. Where optax
has an optimizer of the same name its formula differs from Keras's in places (epsilon
placement, where the learning rate enters a momentum, bias corrections), so the
formulas are written out, one family per module: ``_momentum`` (SGD, Lion), ``_adam``
(the Adam family), ``_adagrad`` (Adagrad, RMSprop, Adadelta, Adafactor, Ftrl) and
``_muon``.
"""

from __future__ import annotations

from typing import Any

import optax

from kerax.errors import unknown_name
from kerax.optimizers import schedules
from kerax.optimizers._adagrad import Adadelta, Adafactor, Adagrad, Ftrl, RMSprop
from kerax.optimizers._adam import (
    Adam,
    Adamax,
    AdamW,
    Lamb,
    Nadam,
    ScheduleFreeAdamW,
    scale_by_keras_adam,
)
from kerax.optimizers._momentum import SGD, Lion
from kerax.optimizers._muon import Muon, orthogonalize
from kerax.optimizers.base import KerasOptimizerState, Optimizer
from kerax.optimizers.loss_scale_optimizer import LossScaleOptimizer

_ALL: tuple[type[Optimizer], ...] = (
    SGD,
    RMSprop,
    Adam,
    AdamW,
    Adamax,
    Adagrad,
    Adadelta,
    Nadam,
    Lion,
    Ftrl,
    Adafactor,
    Lamb,
    Muon,
    ScheduleFreeAdamW,
)
#: The optimizers a name builds (``compile(optimizer="lamb")``).
_BY_NAME: dict[str, type[Optimizer]] = {cls.__name__.lower(): cls for cls in _ALL}
#: Wrappers: found by ``deserialize`` but not built from a bare name.
_WRAPPERS: dict[str, type[Optimizer]] = {"lossscaleoptimizer": LossScaleOptimizer}


def _lookup(name: str, wrappers: bool = False) -> type[Optimizer]:
    key = name.lower()
    known = {**_BY_NAME, **_WRAPPERS} if wrappers else _BY_NAME
    cls = known.get(key) or known.get(key.replace("_", ""))
    if cls is not None:
        return cls
    if key.replace("_", "") in _WRAPPERS:
        raise ValueError(
            f"{name!r} wraps another optimizer and cannot be built from its name; pass "
            f"an instance, e.g. LossScaleOptimizer(Adam())."
        )
    raise unknown_name("optimizer", name, _BY_NAME, cutoff=0.5, key=key)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The optimizer as ``{"class_name": ..., "config": ...}`` (Keras's layout)."""
    return {
        "module": "keras.optimizers",
        "class_name": type(optimizer).__name__,
        "config": optimizer.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict[str, Any]) -> Optimizer:
    """An optimizer from ``serialize``'s output (the class name is case-insensitive).

    Raises:
        ValueError: For an unknown class name; the closest known names are listed.
    """
    return _lookup(config["class_name"], wrappers=True).from_config(config.get("config", {}))


def get(identifier: Any) -> Optimizer | optax.GradientTransformation:
    """Resolves an optimizer from a name, a config dict, a class, an instance, or an
    optax transformation (returned as it is).

    Raises:
        ValueError: For an unknown name (the message lists the closest known names) or
            an identifier of another kind.
    """
    if isinstance(identifier, Optimizer | optax.GradientTransformation):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}.")


__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "KerasOptimizerState",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "orthogonalize",
    "scale_by_keras_adam",
    "schedules",
    "serialize",
]
