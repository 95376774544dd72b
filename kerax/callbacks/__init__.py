"""Callbacks with Keras's hooks and semantics.

Logs handed to hooks are dicts of Python floats, read from the device only when a hook
looks at them (see :mod:`kerax.training.logs`). Which callbacks let ``fit`` run many
steps per compiled call, and which make it run one step per call, is described on
:attr:`Callback.async_safe`.
"""

from kerax.callbacks._base import Callback, CallbackList, History, ProgbarLogger
from kerax.callbacks._checkpoints import BackupAndRestore, ModelCheckpoint
from kerax.callbacks._ema import SwapEMAWeights
from kerax.callbacks._misc import CSVLogger, LambdaCallback, LearningRateScheduler, TerminateOnNaN
from kerax.callbacks._monitors import EarlyStopping, ReduceLROnPlateau
from kerax.callbacks._tensorboard import TensorBoard

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]
