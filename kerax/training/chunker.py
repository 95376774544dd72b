"""How many train steps each compiled call of ``fit`` runs.

The runner takes its step count as a traced argument, so none of these choices
recompiles. The choice depends on who watches the steps:

- nobody (no batch callbacks, no progress bar): a whole epoch per call;
- ``compile(steps_per_execution=k)``: ``k`` steps per call;
- a live progress bar: calls sized to last about ``PROGRESS_INTERVAL`` seconds each,
  from the measured time per step, with one device sync per call;
- callbacks that only observe batches (see
  :attr:`kerax.callbacks.Callback.async_safe`), without a live bar: the same, about
  ``OBSERVE_INTERVAL`` seconds per call. Nobody looks at those steps as they happen,
  and fusing steps pays on large steps (measured on the benchmark's LSTM model B, 50
  ms per step: 2 steps per call ran 1.25x slower per step than 20, 4 steps 1.07x);
- a callback that must act between steps: one step per call.

Where the model must not run in a loop (``looped=False``: convolutions on CPU), a call
runs one step, or ``steps_per_execution`` steps unrolled.
"""

from __future__ import annotations

import time

PROGRESS_INTERVAL = 0.1  # seconds between progress refreshes (each one syncs)
OBSERVE_INTERVAL = 0.5  # seconds per call when only batch observers watch

#: Who watches the steps of an epoch.
FREE, OBSERVED, SYNCED = "free", "observed", "synced"


class Chunker:
    """Sizes the calls of one ``fit``.

    Args:
        steps: Steps per epoch.
        looped: Whether several steps may run in one compiled loop.
        steps_per_execution: The compile argument.
        verbose: ``fit``'s verbosity (1 is the live progress bar).
        watch: :data:`FREE`, :data:`OBSERVED` or :data:`SYNCED`.
    """

    def __init__(
        self, steps: int, looped: bool, steps_per_execution: int, verbose: int, watch: str
    ) -> None:
        self.steps = steps
        self.synced = watch == SYNCED
        self.looped = looped and not self.synced
        self.fixed = steps_per_execution if steps_per_execution > 1 else None
        # Without a loop, ``steps_per_execution`` steps are unrolled into one call.
        self.unrolled = self.fixed if not looped and not self.synced else None
        self.adaptive = (
            (verbose == 1 or watch == OBSERVED) and self.fixed is None and not self.synced
        )
        self.size = 1 if self.adaptive else (self.fixed or steps)
        self.interval = PROGRESS_INTERVAL if verbose == 1 else OBSERVE_INTERVAL
        self._started = time.perf_counter()
        self._last_report = self._started
        self._calls = 0

    def next(self, done: int) -> int:
        """The number of steps of the next call, ``done`` steps into the epoch."""
        if not self.looped:
            return self.unrolled if self.unrolled and self.steps - done >= self.unrolled else 1
        return max(1, min(self.size, self.steps - done))

    def report_due(self) -> bool:
        """Adaptive calls report each time (they last about an interval); fixed-size
        calls report when an interval has passed."""
        now = time.perf_counter()
        if self.adaptive or now - self._last_report >= PROGRESS_INTERVAL:
            self._last_report = now
            return True
        return False

    def measured(self, count: int) -> None:
        """Records that a call of ``count`` steps has finished (after a sync)."""
        now = time.perf_counter()
        elapsed, self._started = now - self._started, now
        self._calls += 1
        if self.adaptive and self.looped and self._calls > 1 and elapsed > 0:
            self.size = max(1, int(self.interval / (elapsed / count)))
