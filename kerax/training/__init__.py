"""Training: the train state, pure step builders, and the Keras ``fit`` facade."""

from kerax.training.compile_utils import CompiledLoss, CompiledMetrics
from kerax.training.state import TrainState
from kerax.training.steps import (
    Batch,
    init_train_state,
    make_epoch_runner,
    make_eval_step,
    make_train_step,
)

__all__ = [
    "Batch",
    "CompiledLoss",
    "CompiledMetrics",
    "TrainState",
    "init_train_state",
    "make_epoch_runner",
    "make_eval_step",
    "make_train_step",
]
