"""Keras's progress bar (``kerax.utils.Progbar``), the one ``fit``, ``evaluate`` and
``predict`` print with. It prints only what it is given, so it never waits for the
device."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

_BOLD, _GREEN, _GREY, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"

_origin: list[float] = []  # the clock start of bars created inside ``counting_from``


@contextlib.contextmanager
def counting_from(started: float) -> Iterator[None]:
    """Bars created inside start their clock at ``started`` (a ``time.time()``), not
    at their creation.

    ``fit`` creates its first epoch's bar with the clock started before the weights and
    the optimizer state are created, so that the first epoch's time includes every
    compile it waited for, as Keras's does (Keras compiles its step inside the epoch).
    """
    _origin.append(started)
    try:
        yield
    finally:
        _origin.pop()


def _per_unit(seconds: float, unit: str) -> str:
    """``" 3ms/step"``: whole seconds, milliseconds or microseconds per unit."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def _eta(seconds: float) -> str:
    """``"12s"``, ``"3:05"`` (over a minute) or ``"1:02:03"`` (over an hour)."""
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _number(value: float, small: bool) -> str:
    return f" {value:.4e}" if small else f" {value:.4f}"


def _dynamic_display() -> bool:
    """Whether updates rewrite the line in place (``\\r``) rather than print new lines.

    As in Keras: on a terminal, in a notebook, under PyCharm, and on every POSIX system,
    so output captured to a file or a pipe on Linux / macOS carries the same ``\\r`` and
    backspaces as a terminal's.
    """
    stdout = sys.stdout
    return (
        (hasattr(stdout, "isatty") and stdout.isatty())
        or "ipykernel" in sys.modules
        or os.name == "posix"
        or "PYCHARM_HOSTED" in os.environ
    )


class Progbar:
    """A progress bar: ``12/50 ━━━━━━━━━━━━━━━━━━━━ 2s 31ms/step - loss: 0.3102``.

    While running, a line shows the counter (right-aligned to the target's width), the
    bar, the estimated time left and the time per step, then the values given; the
    final line shows the total time instead of the estimate. With ``verbose=2`` only
    the final line is printed, without the bar.

    Values are averaged over the steps seen (weighted by the steps between updates),
    except those named in ``stateful_metrics``, which print as given. Passing
    ``stateless_metrics`` instead inverts the default: only those are averaged.

    Example:
        >>> bar = kerax.utils.Progbar(10)
        >>> for step in range(10):
        ...     bar.update(step + 1, [("loss", 0.5)])

    Args:
        target: Total number of steps, or None when unknown.
        width: Width of the bar, in characters.
        verbose: 0 (silent), 1 (live bar) or 2 (one line at the end).
        interval: Minimum time between two redraws of a live bar, in seconds.
        stateful_metrics: Names of values printed as given (not averaged).
        unit_name: What a step is called (``"step"``, ``"sample"``).
        stateless_metrics: Names of the only values averaged (the others print as
            given); not together with ``stateful_metrics``.

    Raises:
        ValueError: If both ``stateful_metrics`` and ``stateless_metrics`` are given.
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
        stateless_metrics: Iterable[str] | None = None,
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar takes `stateful_metrics` (the names not averaged) or "
                "`stateless_metrics` (the only names averaged), not both; received "
                f"stateful_metrics={stateful_metrics!r}, "
                f"stateless_metrics={stateless_metrics!r}."
            )
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self._averaged_default = stateless_metrics is None
        self._listed = set(
            (stateful_metrics or ()) if stateless_metrics is None else stateless_metrics
        )
        self._dynamic = _dynamic_display()
        self._sums: dict[str, list[Any]] = {}  # name -> [weighted sum, steps]
        self._seen = 0
        self._start = _origin[-1] if _origin else time.time()
        self._last_update = 0.0
        self._after_first_step: float | None = None
        self._prev_width = 0

    @property
    def stateful_metrics(self) -> set[str]:
        """The names printed as given (when built with ``stateful_metrics``)."""
        return self._listed if self._averaged_default else set()

    def _averaged(self, name: str) -> bool:
        return (name not in self._listed) == self._averaged_default

    def update(
        self,
        current: int,
        values: Iterable[tuple[str, Any]] | Mapping[str, Any] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Moves the bar to ``current`` steps.

        Args:
            current: Steps done so far.
            values: ``[(name, value of the last step), ...]`` (a dict works too).
            finalize: Whether this is the last update; by default, when ``current``
                reaches the target.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        items = values.items() if isinstance(values, Mapping) else (values or [])
        for name, value in items:
            if not self._averaged(name) or finalize:
                self._sums[name] = [value, 1]
                continue
            steps = max(current - self._seen, 1)
            total = self._sums.setdefault(name, [0.0, 0])
            total[0] = total[0] + value * steps
            total[1] += steps
        self._seen = current
        now = time.time()
        per_unit = self._step_time(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw(current, now, per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target:
            line = f"{current:>{_digits(self.target)}}/{self.target} - {now - self._start:.0f}s"
            line += f" -{_per_unit(per_unit, self.unit_name)}"
            for name in self._sums:
                mean = self._mean(name)
                line += f" - {name}:" + _number(mean, not mean > 1e-3)
            _write(line + "\n")
        self._last_update = now

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Moves the bar ``n`` steps forward."""
        self.update(self._seen + n, values)

    def _draw(self, current: int, now: float, per_unit: float, finalize: bool) -> None:
        text = "\b" * self._prev_width + "\r" if self._dynamic else "\n"
        hidden = 0  # escape-code characters, which take no room on screen
        if self.target:
            done = int(self.width * current / self.target)
            bar = f"{_BOLD}{current:>{_digits(self.target)}}/{self.target}{_RESET} "
            if done > 0:
                bar += f"{_GREEN}{'━' * done}{_RESET}"
                hidden += 9
            bar += f"{_GREY}{'━' * (self.width - done)}{_RESET}"
            hidden += 17  # the counter's bold and the grey part's colour
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            info = f" {_BOLD}{_eta(per_unit * (self.target - current))}{_RESET}"
        else:
            info = f" {_BOLD}{now - self._start:.0f}s{_RESET}"
        hidden += 8
        info += _per_unit(per_unit, self.unit_name)
        for name in self._sums:
            mean = self._mean(name)
            info += f" - {name}:" + _number(mean, not abs(mean) > 1e-3)
        width = len(bar) + len(info) - hidden
        text += bar + info
        if self._prev_width > width:
            text += " " * (self._prev_width - width)
        _write(text + ("\n" if finalize else ""))
        self._prev_width = width

    def _mean(self, name: str) -> float:
        total, steps = self._sums[name]
        return float(np.mean(total)) / max(1, steps)

    def _step_time(self, current: int, now: float) -> float:
        """Seconds per step; the first step (compilation) is left out once there are
        others."""
        if not current:
            return 0.0
        if self._after_first_step is not None and current > 1:
            per_unit = (now - self._after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._after_first_step = now
        return per_unit


def _digits(target: int) -> int:
    return int(math.log10(target)) + 1


def _write(text: str) -> None:
    """To stdout, or to the ``logging`` module while interactive logging is off
    (``kerax.config.disable_interactive_logging``), as Keras routes its output."""
    from kerax import config

    if not config.is_interactive_logging_enabled():
        logging.getLogger("kerax").info(text)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def print_msg(message: str) -> None:
    """A callback's message line (``EarlyStopping``'s "early stopping", ...): printed, or
    logged while interactive logging is off, as Keras's ``print_msg`` does."""
    from kerax import config

    if not config.is_interactive_logging_enabled():
        logging.getLogger("kerax").info(message)
        return
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def print_final(target: int | None, verbose: Any, logs: dict[str, Any], started: float) -> None:
    """The last line of ``evaluate`` / ``predict`` at ``verbose`` 1 or 2 ("auto" is 1),
    as Keras's bar leaves it: ``3/3 ━━━━ 0s 2ms/step - loss: 0.3102``.

    Args:
        target: The number of steps run (None prints ``0/Unknown``-style counts).
        verbose: The ``verbose`` argument of the call.
        logs: The values to print, as they are (not averaged).
        started: ``time.perf_counter()`` at the start of the call.
    """
    level = 1 if verbose == "auto" else int(verbose)
    if level:
        bar = Progbar(target, verbose=level, stateless_metrics=())
        bar._start = time.time() - (time.perf_counter() - started)
        bar.update(target or 0, list(logs.items()), finalize=True)
