"""Guard over Keras 3's whole public API: every public name of the installed ``keras``
package exists in kerax under the same path, or is listed, with its reason, in
``docs/keras-differences.md``; and the names present take Keras's parameters with
Keras's defaults, or the difference is listed there too.

The test reads the document's tables, so the document and the library cannot drift: a
row for a name kerax now provides, or for a difference that no longer exists, fails too.
Nothing here compiles; it only imports and inspects.
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import pathlib
import re
import types
from typing import Any

import keras
import pytest

import kerax

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "keras-differences.md"
# Keras's private and TensorFlow-only corners, never part of the walk.
SKIPPED = {"keras.src", "keras._tf_keras"}
P = inspect.Parameter
_VARIADIC = (P.VAR_KEYWORD, P.VAR_POSITIONAL)


# --- the document ----------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def read_tables() -> dict[str, Any]:
    """The document's three tables: ``absent`` and ``in_progress`` map a namespace to
    ``{name: reason}`` (``*``: the whole namespace and those below it); ``signatures`` is
    a list of ``(name patterns, parameters, reason)``."""
    tables: dict[str, Any] = {"absent": {}, "in_progress": {}, "signatures": []}
    section = namespace = None
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            title = line[3:].strip().lower()
            section = (
                "absent"
                if title.startswith("absent")
                else "in_progress"
                if title.startswith("in progress")
                else "signatures"
                if title.startswith("signature")
                else None
            )
            namespace = None
        elif line.startswith("### "):
            namespace = _ticked(line)[0] if _ticked(line) else line[4:].strip()
        elif line.startswith("|") and section and not set(line) <= set("|-: "):
            cells = _cells(line)
            if not _ticked(cells[0]):
                continue  # the header row
            if section == "signatures":
                assert len(cells) == 3 and cells[2], f"signature row without a reason: {line}"
                tables[section].append((_ticked(cells[0]), set(_ticked(cells[1])), cells[2]))
            else:
                assert namespace, f"row outside a namespace heading: {line}"
                assert len(cells) == 2 and cells[1], f"row without a reason: {line}"
                rows = tables[section].setdefault(namespace, {})
                for name in _ticked(cells[0]):
                    assert name not in rows, f"{namespace}.{name} is listed twice"
                    rows[name] = cells[1]
    return tables


TABLES = read_tables()


def _listed(namespace: str, name: str) -> str | None:
    """The table (``absent`` / ``in_progress``) that lists ``namespace.name``, if any."""
    for table in ("absent", "in_progress"):
        rows = TABLES[table]
        if name in rows.get(namespace, {}):
            return table
        parts = namespace.split(".")
        for i in range(len(parts), 0, -1):
            if "*" in rows.get(".".join(parts[:i]), {}):
                return table
    return None


# --- the walk ----------------------------------------------------------------------------


def _public(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def keras_namespaces() -> list[types.ModuleType]:
    """Every public namespace of the installed keras, sub-namespaces included."""
    found: list[types.ModuleType] = []

    def walk(module: types.ModuleType) -> None:
        found.append(module)
        for name in _public(module):
            value = getattr(module, name)
            full = f"{module.__name__}.{name}"
            if isinstance(value, types.ModuleType) and value.__name__ == full:
                if full not in SKIPPED:
                    walk(value)

    walk(keras)
    return found


def kerax_namespace(keras_name: str) -> types.ModuleType | None:
    try:
        return importlib.import_module("kerax" + keras_name[len("keras") :])
    except ModuleNotFoundError:
        return None


NAMESPACES = keras_namespaces()


def _model() -> Any:
    inputs = kerax.Input((2,))
    return kerax.Model(inputs, kerax.layers.Dense(1)(inputs))


# Classes whose public members are part of the API too, and how to get a kerax instance.
CLASSES = {
    "keras.Model": _model,
    "keras.layers.Layer": lambda: kerax.layers.Dense(1),
    "keras.callbacks.Callback": lambda: kerax.callbacks.Callback(),
    "keras.optimizers.Optimizer": lambda: kerax.optimizers.Adam(),
    "keras.metrics.Metric": lambda: kerax.metrics.Mean(),
    "keras.losses.Loss": lambda: kerax.losses.MeanSquaredError(),
    "keras.Variable": lambda: _model().layers[-1].kernel,
}


def missing_names() -> list[tuple[str, str]]:
    """``(namespace, name)`` for every public keras name kerax lacks."""
    missing = []
    for module in NAMESPACES:
        ours = kerax_namespace(module.__name__)
        for name in _public(module):
            if isinstance(getattr(module, name), types.ModuleType):
                continue
            if ours is None or not hasattr(ours, name):
                missing.append((module.__name__, name))
    for path, make in CLASSES.items():
        theirs = eval(path, {"keras": keras})  # noqa: S307 - a dotted path of ours
        instance = make()
        have = set(dir(instance))
        missing += [(path, n) for n in _public(theirs) if n not in have]
    return missing


# --- signatures --------------------------------------------------------------------------


def _parameters(obj: Any, climb: bool) -> list[inspect.Parameter] | None:
    """``obj``'s parameters (a class's constructor's). With ``climb``, a constructor that
    takes ``**kwargs`` also counts the named parameters of its bases' constructors."""
    targets = [obj.__init__] if isinstance(obj, type) else [obj]
    if isinstance(obj, type) and climb:
        targets += [c.__init__ for c in obj.__mro__[1:] if "__init__" in vars(c)]
    params: list[inspect.Parameter] = []
    for i, target in enumerate(targets):
        try:
            found = [p for p in inspect.signature(target).parameters.values() if p.name != "self"]
        except (TypeError, ValueError):
            return None if i == 0 else params
        names = {p.name for p in params}
        params += [p for p in found if p.name not in names or p.kind in _VARIADIC]
        if not any(p.kind == P.VAR_KEYWORD for p in found):
            break
    return params


def _same_default(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and other odd defaults
        return repr(a) == repr(b)


def signature_differences(keras_obj: Any, kerax_obj: Any) -> set[str]:
    """Keras's parameters kerax lacks (``-name``), has with another default
    (``name=``), and kerax's parameters Keras would reject (``+name``)."""
    theirs = _parameters(keras_obj, climb=False)
    ours = _parameters(kerax_obj, climb=True)
    if theirs is None or ours is None:
        return set()
    by_name = {p.name: p for p in ours if p.kind not in _VARIADIC}
    diffs = set()
    for p in theirs:
        if p.kind in _VARIADIC:
            continue
        q = by_name.get(p.name)
        if q is None:
            diffs.add(f"-{p.name}")
        elif not _same_default(p.default, q.default):
            diffs.add(f"{p.name}=")
    if not any(p.kind == P.VAR_KEYWORD for p in theirs):
        named = {p.name for p in theirs}
        diffs |= {f"+{n}" for n in by_name if n not in named}
    if any(p.kind == P.VAR_POSITIONAL for p in theirs) and not any(
        p.kind == P.VAR_POSITIONAL for p in ours
    ):
        diffs.add("-*args")
    return diffs


def all_signature_differences() -> dict[str, set[str]]:
    found = {}
    for module in NAMESPACES:
        ours = kerax_namespace(module.__name__)
        if ours is None:
            continue
        for name in _public(module):
            theirs = getattr(module, name)
            if not (inspect.isclass(theirs) or inspect.isfunction(theirs)):
                continue
            if not hasattr(ours, name):
                continue
            diffs = signature_differences(theirs, getattr(ours, name))
            if diffs:
                found[f"{module.__name__}.{name}"] = diffs
    for path, make in CLASSES.items():
        theirs_cls, ours_cls = eval(path, {"keras": keras}), type(make())  # noqa: S307
        for name in _public(theirs_cls):
            theirs = inspect.getattr_static(theirs_cls, name, None)
            ours = getattr(ours_cls, name, None)
            if inspect.isfunction(theirs) and callable(ours):
                diffs = signature_differences(theirs, ours)
                if diffs:
                    found[f"{path}.{name}"] = diffs
    return found


def _covering(path: str, diff: str) -> list[int]:
    param = diff.lstrip("-+").rstrip("=")
    return [
        i
        for i, (patterns, params, _) in enumerate(TABLES["signatures"])
        if any(fnmatch.fnmatchcase(path, p) for p in patterns)
        and (param in params or "*" in params)
    ]


# --- the tests ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def missing() -> list[tuple[str, str]]:
    return missing_names()


def test_every_keras_name_is_provided_or_listed(missing):
    unlisted = [f"{ns}.{n}" for ns, n in missing if _listed(ns, n) is None]
    assert not unlisted, (
        f"{len(unlisted)} public Keras names are neither in kerax nor listed in "
        f"{DOC.name} (add them, or list them with a reason): {unlisted}"
    )


def _stale(table: str, missing: list[tuple[str, str]]) -> list[str]:
    absent = set(missing)
    stale = []
    for namespace, rows in TABLES[table].items():
        for name in rows:
            if name == "*":
                below = [m for m in absent if m[0] == namespace or m[0].startswith(namespace + ".")]
                if not below:
                    stale.append(f"{namespace}.*")
            elif (namespace, name) not in absent:
                stale.append(f"{namespace}.{name}")
    return stale


def test_absent_rows_are_still_absent(missing):
    stale = _stale("absent", missing)
    assert not stale, f"kerax provides these now: remove their rows from {DOC.name}: {stale}"


def test_in_progress_rows_are_still_absent(missing):
    stale = _stale("in_progress", missing)
    assert not stale, f"kerax provides these now: remove their 'in progress' rows: {stale}"


def test_signatures_match_keras_or_are_listed():
    found = all_signature_differences()
    unlisted = sorted(
        f"{path} {diff}"
        for path, diffs in found.items()
        for diff in diffs
        if not _covering(path, diff)
    )
    assert not unlisted, (
        "parameters that differ from Keras's (-: Keras's parameter is missing, =: another "
        "default, +: an extra parameter Keras would reject); match Keras or list them in "
        f"{DOC.name}: {unlisted}"
    )
    used = {i for path, diffs in found.items() for diff in diffs for i in _covering(path, diff)}
    stale = [row[0] for i, row in enumerate(TABLES["signatures"]) if i not in used]
    assert not stale, f"signature rows that match no difference any more: {stale}"


def test_keras_version_is_the_one_matched():
    assert kerax.__keras_version__ == keras.__version__, (
        f"kerax is checked against keras {keras.__version__} but says it matches "
        f"{kerax.__keras_version__}: re-check the differences and update the constant"
    )


def keras_aliases() -> list[tuple[str, str, str]]:
    """``(namespace, alias, canonical)``: two public names of one keras namespace bound
    to the same class or function (``MaxPool2D`` and ``MaxPooling2D``)."""
    found = []
    for module in NAMESPACES:
        names = [n for n in _public(module) if not isinstance(getattr(module, n), types.ModuleType)]
        first: dict[int, str] = {}
        for name in names:
            value = getattr(module, name)
            if not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            canonical = getattr(value, "__name__", name)
            key = id(value)
            if key in first or (canonical != name and canonical in names):
                found.append((module.__name__, name, first.get(key, canonical)))
            else:
                first[key] = name
    return found


def test_keras_aliases_are_aliases_in_kerax():
    """Where Keras binds two names to one object, kerax does too (a config written with
    either name, or an ``isinstance`` check, behaves the same)."""
    different = []
    for namespace, alias, canonical in keras_aliases():
        if namespace.startswith("keras.ops"):
            continue  # a kerax op alias is its own op, so graphs record the name called
        ours = kerax_namespace(namespace)
        if ours is None or not (hasattr(ours, alias) and hasattr(ours, canonical)):
            continue
        if getattr(ours, alias) is not getattr(ours, canonical):
            different.append(f"{namespace}.{alias} is not .{canonical}")
    assert not different, different
