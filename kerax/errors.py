"""kerax's exceptions. They derive from the builtin types Keras code already catches."""

from __future__ import annotations

from collections.abc import Iterable


class KeraxError(Exception):
    """Base class of kerax's own exceptions."""


class GraphError(KeraxError, ValueError):
    """A functional graph that cannot be built: disconnected, duplicate names, cycles."""


class NotCompiledError(KeraxError, RuntimeError):
    """Training or evaluation was asked of a model that was not compiled."""


def unknown_name(
    kind: str,
    identifier: object,
    known: Iterable[str],
    *,
    cutoff: float = 0.6,
    ignore_case: bool = False,
    key: str | None = None,
) -> ValueError:
    """The error for an unknown name: ``Unknown <kind>: 'x'. Did you mean ...? Known
    names: ...``. The closest known names are found with difflib, first as written and,
    with ``ignore_case``, then ignoring case.

    Args:
        kind: What was looked up (``"loss"``, ``"optimizer"``, ...).
        identifier: What the user gave.
        known: The valid names.
        cutoff: difflib's similarity cutoff.
        ignore_case: Also try a case-insensitive match when none is found.
        key: The string to match, when it differs from ``str(identifier)``.
    """
    import difflib

    known = sorted(known)
    target = str(identifier) if key is None else key
    close = difflib.get_close_matches(target, known, n=3, cutoff=cutoff)
    if not close and ignore_case:
        lowered = {k.lower(): k for k in known}
        close = [
            lowered[c]
            for c in difflib.get_close_matches(target.lower(), list(lowered), n=3, cutoff=cutoff)
        ]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"Unknown {kind}: {identifier!r}.{hint} Known names: {', '.join(known)}.")
