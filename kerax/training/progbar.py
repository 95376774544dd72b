"""A Keras-style progress bar that prints only what it is given (no device syncs)."""

from __future__ import annotations

import sys
import time
from typing import Any


def _format_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms"
    return f"{seconds * 1e6:.0f}us"


def format_logs(logs: dict[str, Any]) -> str:
    return " - ".join(f"{k}: {float(v):.4f}" for k, v in logs.items())


class Progbar:
    """Prints ``12/50 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 0.31``.

    Args:
        target: Total steps, or None when unknown.
        verbose: 1 for a live bar, 2 for one line at the end.
        width: Bar width in characters.
    """

    def __init__(self, target: int | None, verbose: int = 1, width: int = 20) -> None:
        self.target, self.verbose, self.width = target, verbose, width
        self.start = time.perf_counter()
        self._last_len = 0
        self._interactive = sys.stdout.isatty()

    def update(
        self, current: int, logs: dict[str, Any] | None = None, finalize: bool = False
    ) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        per_step = elapsed / max(current, 1)
        logs_text = format_logs(logs or {})
        if self.verbose == 2:
            if finalize:
                line = (
                    f"{self.target or current}/{self.target or current} - {_format_time(elapsed)}"
                )
                line += f" - {_format_time(per_step)}/step"
                print(line + (f" - {logs_text}" if logs_text else ""), flush=True)
            return
        if self.target:
            done = int(self.width * current / self.target)
            bar = "━" * done + " " * (self.width - done)
            head = f"{current}/{self.target} {bar}"
        else:
            head = f"{current}/Unknown"
        line = f"{head} {_format_time(elapsed)} {_format_time(per_step)}/step"
        if logs_text:
            line += f" - {logs_text}"
        if self._interactive:
            pad = max(self._last_len - len(line), 0)
            sys.stdout.write("\r" + line + " " * pad)
            self._last_len = len(line)
            if finalize:
                sys.stdout.write("\n")
            sys.stdout.flush()
        elif finalize:
            print(line, flush=True)


def print_final(target: int | None, verbose: Any, logs: dict[str, Any], started: float) -> None:
    """The last line of ``evaluate`` / ``predict`` at ``verbose`` 1 or 2 ("auto" is 1),
    as Keras prints it: ``3/3 ━━━━ 0s 2ms/step - loss: 0.31``."""
    level = 1 if verbose == "auto" else int(verbose)
    if level:
        bar = Progbar(target, level)
        bar.start = started
        bar.update(target or 0, logs, finalize=True)
