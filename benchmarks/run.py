"""kerax vs hand-written JAX vs Keras 3 vs Flax NNX, side by side on CPU.

    python benchmarks/run.py [--quick] [--out FILE] [--rounds N] [--only A32,B]
    python benchmarks/run.py --one WORKLOAD FRAMEWORK [--quick]   # one JSON line
    python benchmarks/run.py --callbacks [--quick]   # fit with batch callbacks (issue 12)
    python benchmarks/run.py --custom-step [--quick] # a VAE with its own train_step (issue 16)

Each (workload, framework) configuration runs in its own subprocess (a fresh process:
its compile is cold and its peak RSS is its own). Rounds alternate the order of the
frameworks; the table gives the median over rounds, and ratios to the hand-written
jitted loop of the same workload, taken per round and then the median.
See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHILD_TIMEOUT_S = 240
SUITE_BUDGET_S = 570  # no new round starts that would likely end past this

# Configurations too slow to repeat: (workload, framework) -> rounds at most.
MAX_ROUNDS: dict[tuple[str, str], int] = {}


# ---------------------------------------------------------------------------- child
def run_one(workload: str, framework: str, quick: bool) -> dict[str, Any]:
    """Measures one configuration in this process; returns the JSON record."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    sys.path.insert(0, str(HERE))
    import custom_step
    import frameworks
    from workloads import WORKLOADS

    if workload in custom_step.WORKLOADS:
        w = custom_step.WORKLOADS[workload]
        w = custom_step.quick(w) if quick else w
        runner = custom_step.FRAMEWORKS[framework][1]
    else:
        w = WORKLOADS[workload]
        if quick:
            w = dataclasses.replace(
                w,
                chunks=max(3, w.chunks // 4),
                fit_epochs=min(w.fit_epochs, 1) if w.fit_epochs else 0,
            )
        runner = {**frameworks.TRAIN, **frameworks.CALLBACKS, **frameworks.PREDICT}[framework][1]
    record: dict[str, Any] = {"workload": workload, "framework": framework}
    try:
        out = runner(w)
    except Exception as e:  # reported in the table, not fatal to the suite
        traceback.print_exc()
        out = {"status": f"error: {type(e).__name__}: {str(e).splitlines()[0][:80]}"}
    record.update(out)
    record.setdefault("status", "ok")
    if record["status"] == "ok":
        record["ex_per_s"] = w.batch / (record["step_ms"] / 1e3)
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    record["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    return record


def _import_kerax_from(checkout: str | None) -> None:
    """Makes ``import kerax`` load the checkout ``checkout`` (for ``--baseline``).

    PYTHONPATH is not enough: an editable install (``pip install -e .``) puts a finder
    on ``sys.meta_path`` that answers for ``kerax`` before ``sys.path`` is searched.
    """
    if not checkout:
        return
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, checkout)
    import kerax

    if not Path(kerax.__file__).resolve().is_relative_to(Path(checkout).resolve()):
        raise RuntimeError(f"--baseline: kerax came from {kerax.__file__}, not {checkout}")


# ---------------------------------------------------------------------------- parent
def _spawn(
    workload: str, framework: str, quick: bool, kerax_from: Path | None = None
) -> dict[str, Any]:
    """Runs one configuration in a fresh process (``kerax_from``: import kerax from that
    checkout instead of the installed one)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", workload, framework]
    if quick:
        cmd.append("--quick")
    # Cold compiles for everyone: kerax's persistent compile cache would otherwise serve
    # rounds 2 and 3 from disk (a real gain for users, but not a fair compile race).
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "KERAX_COMPILE_CACHE": "0"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if kerax_from is not None:
        env["KERAX_BENCH_FROM"] = str(kerax_from)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"workload": workload, "framework": framework, "status": "timeout"}
    wall = time.perf_counter() - t0
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
        return {
            "workload": workload,
            "framework": framework,
            "status": f"crashed (rc {proc.returncode}): {tail[0][:80]}",
        }
    record = json.loads(lines[-1])
    record["wall_s"] = wall
    return record


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Median over rounds, per configuration; ratios to ``jax`` / ``jax_apply`` per round."""
    by_round: dict[tuple[int, str], dict[str, dict[str, Any]]] = {}
    for r in records:
        by_round.setdefault((r["round"], r["workload"]), {})[r["framework"]] = r
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for (_, wl), group in by_round.items():
        ref = group.get("jax") or group.get("jax_apply")
        for fw, r in group.items():
            cell = out.setdefault(
                (wl, fw), {"runs": [], "status": None, "ratio": [], "c_ratio": [], "m_ratio": []}
            )
            cell["runs"].append(r)
            if r["status"] != "ok":
                cell["status"] = r["status"]  # the latest round's reason
                continue
            if ref is not None and ref["status"] == "ok":
                cell["ratio"].append(r["step_ms"] / ref["step_ms"])
                cell["c_ratio"].append(r["compile_s"] / ref["compile_s"])
                cell["m_ratio"].append(r["rss_mb"] / ref["rss_mb"])
    for cell in out.values():
        ok = [r for r in cell["runs"] if r["status"] == "ok"]
        cell["ok"] = bool(ok)
        for key in ("init_s", "compile_s", "step_ms", "ex_per_s", "rss_mb"):
            cell[key] = _median([r[key] for r in ok])
        cell["notes"] = sorted({r["note"] for r in ok if r.get("note")})
        cell["range"] = (min(cell["ratio"]), max(cell["ratio"])) if cell["ratio"] else None
        for key in ("ratio", "c_ratio", "m_ratio"):
            cell[key] = _median(cell[key])
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def render(summary: dict, workloads: list[str], header: str, custom_step: bool = False) -> str:
    """The Markdown tables: per-step summary, then the full detail per configuration
    (``custom_step``: the workloads and frameworks of ``--custom-step``)."""
    import custom_step as custom
    import frameworks
    from workloads import WORKLOADS

    all_workloads = {**WORKLOADS, **custom.WORKLOADS}
    train = custom.FRAMEWORKS if custom_step else frameworks.TRAIN
    train_keys = [k for k in workloads if not all_workloads[k].predict]
    predict_keys = [k for k in workloads if all_workloads[k].predict]
    lines = [header, ""]
    if train_keys:
        fws = list(train)
        lines += [
            "Steady-state time per training step, ms (ratio to the hand-written jitted loop):",
            "",
            "| workload | " + " | ".join(train[f][0] for f in fws) + " |",
            "| --- " * (len(fws) + 1) + "|",
        ]
        for wl in train_keys:
            cells = []
            for fw in fws:
                c = summary.get((wl, fw))
                if c is None:
                    cells.append("–")
                elif not c["ok"]:
                    cells.append(c["status"])
                else:
                    cells.append(f"{c['step_ms']:.3g} ({_ratio(c['ratio'])})")
            lines.append(f"| {wl} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "Detail (medians over rounds; × = ratio to the hand-written loop / apply of the same "
        "workload, per round, then the median):",
        "",
        "| workload | framework | init s | compile s | × | ms / step | × | × range "
        "| examples / s | peak RSS MB | × | rounds | note |",
        "| --- " * 13 + "|",
    ]
    names = train if custom_step else {**train, **frameworks.CALLBACKS, **frameworks.PREDICT}
    base = {f + BASELINE: (f"{names[f][0]}, --baseline", None) for f in names if "kerax" in f}
    names = {**names, **base}
    for wl in train_keys + predict_keys:
        for fw in names:
            c = summary.get((wl, fw))
            if c is None:
                continue
            label = names[fw][0]
            if not c["ok"]:
                lines.append(f"| {wl} | {label} | {c['status']} |" + " |" * 10)
                continue
            n_ok = sum(r["status"] == "ok" for r in c["runs"])
            lo_hi = c["range"]
            spread = f"{lo_hi[0]:.2f}–{lo_hi[1]:.2f}" if lo_hi and n_ok > 1 else "–"
            lines.append(
                f"| {wl} | {label} | {_fmt(c['init_s'], '.2f')} "
                f"| {_fmt(c['compile_s'], '.2f')} | {_ratio(c['c_ratio'])} "
                f"| {_fmt(c['step_ms'], '.3g')} | {_ratio(c['ratio'])} | {spread} "
                f"| {_fmt(c['ex_per_s'], ',.0f')} | {_fmt(c['rss_mb'], '.0f')} "
                f"| {_ratio(c['m_ratio'])} | {n_ok} | {'; '.join(c['notes'])} |"
            )
    lines += ["", "Workloads:", ""]
    lines += [f"- {k}: {all_workloads[k].title}" for k in workloads]
    return "\n".join(lines) + "\n"


def render_custom_ratios(records: list[dict[str, Any]], workloads: list[str]) -> str:
    """``--custom-step``'s headline: Keras 3 fit / kerax fit per round, then the median
    (and kerax / kerax ``--baseline`` where it ran)."""
    import custom_step

    lines = [
        "Step-time ratios per round, then the median (range over rounds). Keras / kerax > 1: "
        "kerax is faster; kerax / --baseline < 1: faster than the baseline checkout.",
        "",
        "| workload | row | Keras 3 / kerax | kerax / hand-written | kerax / kerax --baseline |",
        "| --- | --- | --- | --- | --- |",
    ]

    def ratio(values: list[float]) -> str:
        if not values:
            return "–"
        lo, hi = min(values), max(values)
        return f"{statistics.median(values):.2f}× ({lo:.2f}–{hi:.2f})"

    for wl in workloads:
        for title, (kx, ks) in custom_step.PAIRS.items():
            lines.append(
                f"| {wl} | {title} | {ratio(_per_round(records, wl, ks, kx))} "
                f"| {ratio(_per_round(records, wl, kx, 'jax'))} "
                f"| {ratio(_per_round(records, wl, kx, kx + BASELINE))} |"
            )
    return "\n".join(lines) + "\n"


#: The callback table (``--callbacks``): row title -> (kerax framework, Keras framework).
CALLBACK_ROWS = {
    "fit, no callback": ("kerax_fit", "keras_fit"),
    "fit + batch callback (timer, observes)": ("kerax_fit_timer", "keras_fit_timer"),
    "fit + logs-reading batch callback": ("kerax_fit_logs", "keras_fit_logs"),
    "fit, verbose=1": ("kerax_fit_verbose", "keras_fit_verbose"),
}
#: The suffix of the rows run with ``--baseline``'s kerax.
BASELINE = "@base"
#: The frameworks ``--callbacks`` runs (the references first).
CALLBACK_FRAMEWORKS = ["jax", "jax_sync", *(fw for pair in CALLBACK_ROWS.values() for fw in pair)]


def _per_round(records: list[dict[str, Any]], wl: str, num: str, den: str) -> list[float]:
    """``num``'s step time over ``den``'s, per round where both ran."""
    by_round: dict[int, dict[str, float]] = {}
    for r in records:
        if r["workload"] == wl and r["status"] == "ok":
            by_round.setdefault(r["round"], {})[r["framework"]] = r["step_ms"]
    return [g[num] / g[den] for g in by_round.values() if num in g and den in g]


def render_callbacks(records: list[dict[str, Any]], workloads: list[str]) -> str:
    """The issue-12 table: kerax and Keras ``fit`` side by side with and without batch
    callbacks; every ratio taken per round (same process round), then the median."""

    def ratio(values: list[float]) -> str:
        if not values:
            return "–"
        lo, hi = min(values), max(values)
        spread = f" ({lo:.2f}–{hi:.2f})" if len(values) > 1 else ""
        return f"{statistics.median(values):.2f}×{spread}"

    def ms(wl: str, fw: str) -> str:
        values = [
            r["step_ms"]
            for r in records
            if r["workload"] == wl and r["framework"] == fw and r["status"] == "ok"
        ]
        return f"{statistics.median(values):.3g}" if values else "–"

    base = any(r["framework"].endswith(BASELINE) for r in records)
    head = (
        "| workload | row | kerax ms/step | Keras ms/step | Keras / kerax "
        "| kerax / hand-written loop | kerax / hand-written, synced per step "
        "| Keras / hand-written loop |"
    )
    if base:
        head += " kerax --baseline ms/step | kerax / kerax --baseline |"
    lines = [
        "fit with batch callbacks: ms / step, and ratios taken per round then the median "
        "(range over rounds in brackets). Keras / kerax > 1: kerax is faster.",
        "",
        head,
        "| --- " * (10 if base else 8) + "|",
    ]
    for wl in workloads:
        for title, (kx, ks) in CALLBACK_ROWS.items():
            if not any(r["workload"] == wl and r["framework"] in (kx, ks) for r in records):
                continue
            line = (
                f"| {wl} | {title} | {ms(wl, kx)} | {ms(wl, ks)} "
                f"| {ratio(_per_round(records, wl, ks, kx))} "
                f"| {ratio(_per_round(records, wl, kx, 'jax'))} "
                f"| {ratio(_per_round(records, wl, kx, 'jax_sync'))} "
                f"| {ratio(_per_round(records, wl, ks, 'jax'))} |"
            )
            if base:
                line += (
                    f" {ms(wl, kx + BASELINE)} "
                    f"| {ratio(_per_round(records, wl, kx, kx + BASELINE))} |"
                )
            lines.append(line)
        lines.append(
            f"| {wl} | hand-written loop / synced per step | {ms(wl, 'jax')} "
            f"/ {ms(wl, 'jax_sync')} |" + " |" * (7 if base else 5)
        )
    return "\n".join(lines) + "\n"


def machine_header(quick: bool, rounds: int, elapsed: float | None = None) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(pkg: str) -> str:
        try:
            return importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    versions = ", ".join(
        f"{p} {version(p)}" for p in ("jax", "jaxlib", "keras", "flax", "optax", "kerax")
    )
    mode = "quick" if quick else "full"
    took = f", took {elapsed / 60:.1f} min" if elapsed is not None else ""
    return (
        f"Machine: {cpu}, {os.cpu_count()} cores (CPU backend); Python "
        f"{platform.python_version()}; {versions}. "
        f"{datetime.date.today().isoformat()}, {mode} mode, {rounds} round(s){took}."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, one round")
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    parser.add_argument(
        "--rounds",
        type=int,
        help="rounds (default 3, stopping early past the time budget; 1 with --quick); "
        "an explicit count runs every round",
    )
    parser.add_argument("--only", help="comma-separated workloads (A32,A512,B,C,D,PA,PC)")
    parser.add_argument("--frameworks", help="comma-separated frameworks")
    parser.add_argument("--one", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"))
    parser.add_argument("--raw", type=Path, help="also write every record as JSON lines here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run every kerax configuration with kerax imported from this checkout "
        "(e.g. `git archive REV | tar -x -C DIR`), in the same rounds: rows FRAMEWORK@base",
    )
    parser.add_argument(
        "--custom-step",
        action="store_true",
        help="a VAE with its own train_step: kerax fit vs Keras 3 fit vs hand-written JAX "
        "(V32, V256; issue 16)",
    )
    parser.add_argument(
        "--callbacks",
        action="store_true",
        help="fit with batch callbacks, kerax vs Keras (issue 12): A32 and B unless --only",
    )
    args = parser.parse_args(argv)

    if args.one:
        _import_kerax_from(os.environ.get("KERAX_BENCH_FROM"))
        print(json.dumps(run_one(*args.one, args.quick)), flush=True)
        return 0

    sys.path.insert(0, str(HERE))
    import custom_step
    import frameworks
    from workloads import WORKLOADS

    default = ["A32", "B"] if args.callbacks else list(WORKLOADS)
    if args.custom_step:
        default = list(custom_step.WORKLOADS)
        WORKLOADS = {**WORKLOADS, **custom_step.WORKLOADS}  # noqa: N806
    workloads = args.only.split(",") if args.only else default
    only_fw = set(args.frameworks.split(",")) if args.frameworks else None
    rounds = args.rounds or (1 if args.quick else 3)
    t_start = time.perf_counter()
    records: list[dict[str, Any]] = []
    done_rounds = 0
    for rnd in range(rounds):
        elapsed = time.perf_counter() - t_start
        if not args.rounds and rnd and elapsed / rnd * (rnd + 1) > SUITE_BUDGET_S:
            print(f"stopping after {rnd} round(s): time budget", file=sys.stderr)
            break
        done_rounds = rnd + 1
        for wl in workloads:
            fws = list(frameworks.PREDICT if WORKLOADS[wl].predict else frameworks.TRAIN)
            if args.custom_step:
                fws = list(custom_step.FRAMEWORKS)
            if args.callbacks:
                fws = [] if WORKLOADS[wl].predict else list(CALLBACK_FRAMEWORKS)
            if not WORKLOADS[wl].scan_unroll:  # elsewhere fit already loops whole epochs
                fws = [f for f in fws if f != "kerax_fit_spe"]
            if only_fw:
                keep = ("jax", "jax_apply", *(("jax_sync",) if args.callbacks else ()))
                fws = [f for f in fws if f in only_fw or f in keep]
            shift = rnd % len(fws)
            for fw in fws[shift:] + fws[:shift]:  # alternate the order across rounds
                if rnd >= MAX_ROUNDS.get((wl, fw), rounds):
                    continue
                runs = [(fw, None)]
                if args.baseline and fw.startswith("kerax"):
                    runs.append((fw + BASELINE, args.baseline))
                for name, kerax_from in runs:
                    r = _spawn(wl, fw, args.quick, kerax_from)
                    r["round"], r["framework"] = rnd, name
                    records.append(r)
                    took = r.get("wall_s")
                    detail = (
                        f"{r['step_ms']:.3f} ms/step, compile {r['compile_s']:.2f} s, "
                        f"{r['rss_mb']:.0f} MB"
                        if r["status"] == "ok"
                        else r["status"]
                    )
                    print(
                        f"[round {rnd + 1}/{rounds}] {wl:5} {name:14} {detail}"
                        + (f"  ({took:.1f} s)" if took else ""),
                        file=sys.stderr,
                        flush=True,
                    )
    elapsed = time.perf_counter() - t_start
    header = machine_header(args.quick, done_rounds, elapsed)
    if args.callbacks:
        table = header + "\n\n" + render_callbacks(records, workloads)
    elif args.custom_step:
        table = render(summarize(records), workloads, header, custom_step=True)
        table += "\n" + render_custom_ratios(records, workloads)
    else:
        table = render(summarize(records), workloads, header)
    print(table)
    if args.out:
        args.out.write_text(table)
    if args.raw:
        args.raw.write_text("".join(json.dumps(r) + "\n" for r in records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
