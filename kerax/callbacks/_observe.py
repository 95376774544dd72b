"""What a callback hook does with its arguments, read from its code.

``fit`` runs many train steps per compiled call unless a callback must see each step
as it happens. A batch hook that never uses its ``logs`` argument and never touches the
model cannot tell the difference between being called right after its step and being
called a few steps later, so it does not force one step per call. This module answers
those two questions by reading the hook's bytecode; any answer it cannot be sure of is
the safe one ("yes, it uses them").
"""

from __future__ import annotations

import dis
import inspect
from collections.abc import Callable
from typing import Any

#: Attribute names through which a hook can change what the next step does.
_MODEL_NAMES = frozenset({"model", "stop_training", "optimizer"})
_VARIADIC = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


def _code_and_logs_name(hook: Callable[..., Any]) -> tuple[Any, str | None]:
    """The hook's code object and the name of its ``logs`` parameter (None if it
    cannot be told)."""
    fn = getattr(hook, "__func__", hook)
    code = getattr(fn, "__code__", None)
    if code is None:
        return None, None
    try:
        params = list(inspect.signature(hook).parameters.values())
    except (TypeError, ValueError):
        return code, None
    if len(params) < 2 or params[1].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        return code, None
    return code, params[1].name


def _names(code: Any) -> set[str]:
    """Every name an instruction of ``code`` (or of the functions it defines) refers to."""
    found: set[str] = set()
    for instr in dis.get_instructions(code):
        value = instr.argval
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, tuple):
            found.update(v for v in value if isinstance(v, str))
    for const in code.co_consts:
        if inspect.iscode(const):
            found |= _names(const)
    return found


def uses_logs(hook: Callable[..., Any]) -> bool:
    """Whether ``hook(batch, logs)`` may read ``logs`` (True when unsure)."""
    code, logs = _code_and_logs_name(hook)
    if code is None or logs is None or code.co_flags & _VARIADIC:
        return True
    if logs in code.co_cellvars:  # captured by an inner function
        return True
    return logs in _names(code)


def touches_model(hook: Callable[..., Any]) -> bool:
    """Whether ``hook`` may reach the model (True when unsure)."""
    code, _ = _code_and_logs_name(hook)
    if code is None:
        return True
    return bool(_names(code) & _MODEL_NAMES)
