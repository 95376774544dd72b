"""SwapEMAWeights: evaluate and predict with the optimizer's moving average of the
weights (``use_ema=True``) instead of the weights being trained."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerax.callbacks._base import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's trainable weights with their exponential moving averages
    kept by the optimizer (``optimizer(use_ema=True)``), around evaluation and
    prediction, and back afterwards; training continues on the trained weights.

    With ``swap_on_epoch=True`` the averages are also in the model from the end of each
    epoch to the start of the next, so callbacks listed after this one (a
    ``ModelCheckpoint``) see them. After the last epoch the model keeps the averages,
    as ``fit`` leaves them.

    Args:
        swap_on_epoch: Whether to swap at epoch ends and back at epoch starts too.

    Raises:
        ValueError: At the start of training, evaluation or prediction, when the
            model's optimizer does not keep moving averages.
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._averages_in_model = False

    def _pairs(self) -> list[tuple[Any, Any]]:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights needs an optimizer with moving averages: compile the model "
                "with an optimizer created with `use_ema=True`."
            )
        averages = {v.name: v for v in optimizer.variables}
        pairs = []
        for variable in self.model.trainable_variables:
            name = f"{variable.path.replace('/', '_')}_average"
            if name not in averages:
                raise ValueError(
                    f"SwapEMAWeights: the optimizer keeps no moving average of "
                    f"'{variable.path}' (no optimizer variable '{name}')."
                )
            pairs.append((variable, averages[name]))
        return pairs

    def _swap(self) -> None:
        pairs = self._pairs()
        values = [(np.asarray(v.value), np.asarray(a.value)) for v, a in pairs]
        for (variable, average), (current, averaged) in zip(pairs, values, strict=True):
            variable.assign(averaged)
            average.assign(current)
        self._averages_in_model = not self._averages_in_model

    def _copy_model_into_averages(self) -> None:
        # fit ends by writing the averages into the model (finalize_variable_values):
        # they must then hold what the model holds, the averages.
        for variable, average in self._pairs():
            average.assign(np.asarray(variable.value))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._pairs()  # fail before the first step, not after the first epoch

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and self._averages_in_model:
            self._swap()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and not self._averages_in_model:
            self._swap()
            if epoch == self.params.get("epochs", 0) - 1:
                self._copy_model_into_averages()

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._averages_in_model:
            self._swap()

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._averages_in_model:
            self._swap()

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._averages_in_model:
            self._swap()

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._averages_in_model:
            self._swap()
