#!/usr/bin/env python3
"""`make bench`: every figure of issue 15 ("Speed at the limit") measured beside its
ceiling or peer in the same run, one table at the end, and bench-out/summary.json.

    python bench/run_all.py                       # quick: 100,000-row files (~15 min)
    python bench/run_all.py --full                # 1,000,000-row files, as the targets say
    python bench/run_all.py --only startup,import # some steps (names: --list)
    make bench BENCH_ARGS="--full"

Each step is a command (a script of bench/) run in its own process. Its stdout is shown
as it comes; its LAST stdout lines are its figures, one JSON object a line:

    {"figure": "...", "value": X, "unit": "rows/s", "against": "hand loop",
     "against_value": Y, "ratio": X/Y, "target": ">= ...", "met": true}

(`against`, `against_value`, `ratio`, `target` and `met` may be null for a figure that
is only shown). Every step gets BENCH_ROWS (100000, or 1000000 with --full),
BENCH_QUICK (1 or 0) and BENCH_OUT (the output folder) in its environment. A step whose
script is not there is listed as "not run (script missing)"; a step that fails or
prints no figure is listed so, and the run goes on.
"""
import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
QUICK_ROWS = 100_000
FULL_ROWS = 1_000_000


def steps(rows):
    """(name, candidate scripts (the first one present runs), arguments, what it measures).
    Arguments may use {rows}."""
    return [
        ("startup", ["bench_startup.py"], [],
         "muara import --wait of a 100-row file vs python -c pass, target < 0.8 s"),
        ("ceiling", ["bench_ceiling.py"], ["--rows", str(rows), "--cli"],
         "the import vs a hand-written calamine/csv + upsert loop (per row, <= 1.3x)"),
        ("import", ["bench_import.py"],
         ["--rows", str(rows), "--formats", "xlsx,csv", "--databases", "sqlite,postgresql",
          "--reject-rate", "0,0.3"],
         "pipeline rows/s vs bare read, peak MB, 30% rejected vs clean, PostgreSQL vs SQLite"),
        ("returns", ["bench_returns.py"], ["--returns", "10000,100000"],
         "customer returns/s at 100,000 returns (>= 3,000/s)"),
        ("sync-all", ["bench_sync_all.py", "bench_consolidation.py"], ["--lines", "100000"],
         "Sync All lines/s, staged file of 100,000 lines (>= 100,000/s)"),
        ("peer", ["bench_peer_django.py"], [],
         "django-import-export on the same file, in its own venv (>= 60x)"),
    ]


def log(message):
    print(message, file=sys.stderr, flush=True)


def figure_lines(lines):
    """The step's figures: its trailing JSON lines (blank lines skipped)."""
    found = []
    for line in reversed(lines):
        text = line.strip()
        if not text:
            continue
        try:
            item = json.loads(text)
        except ValueError:
            break
        if not isinstance(item, dict) or "figure" not in item:
            break
        found.append(item)
    return list(reversed(found))


def run_step(name, command, env, timeout):
    """Run one step, echoing its output; returns (status, seconds, figures)."""
    log(f"\n=== {name}: {shlex.join(command)}")
    started = time.perf_counter()
    lines = []
    try:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
                                bufsize=1)
    except OSError as exc:
        return f"failed: {exc}", 0.0, []
    def echo():
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout or None)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        reader.join(5)
        return f"failed: over {timeout:.0f} s", time.perf_counter() - started, figure_lines(lines)
    reader.join()
    seconds = time.perf_counter() - started
    figures = figure_lines(lines)
    if proc.returncode != 0:
        return f"failed: exit {proc.returncode}", seconds, figures
    if not figures:
        return "ran, printed no figure", seconds, figures
    return "ok", seconds, figures


def number(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def verdict(item):
    met = item.get("met")
    return "met" if met is True else "NOT MET" if met is False else "-"


def table(results):
    header = ("step", "figure", "value", "against", "ratio", "target", "verdict")
    rows = [header]
    for result in results:
        if not result["figures"]:
            rows.append((result["step"], result["status"], "", "", "", "", ""))
            continue
        for item in result["figures"]:
            value = f"{number(item.get('value'))} {item.get('unit') or ''}".strip()
            against = item.get("against") or "-"
            if item.get("against_value") is not None:
                against = f"{against}: {number(item['against_value'])}"
            ratio = item.get("ratio")
            rows.append((result["step"], str(item.get("figure", "?")), value, against,
                         f"{ratio:.2f}x" if isinstance(ratio, int | float) else "-",
                         str(item.get("target") or "-"), verdict(item)))
        if result["status"] != "ok":
            rows.append((result["step"], result["status"], "", "", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                      strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help=f"{QUICK_ROWS:,}-row files (the default)")
    size.add_argument("--full", action="store_true", help=f"{FULL_ROWS:,}-row files")
    parser.add_argument("--rows", type=int, help="file size of the row-count steps "
                        "(overrides --quick/--full; for a smoke run)")
    parser.add_argument("--only", help="comma list of step names to run")
    parser.add_argument("--skip", help="comma list of step names to leave out")
    parser.add_argument("--list", action="store_true", help="list the steps and exit")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds one step may take (default %(default)s)")
    parser.add_argument("--out", default=str(ROOT / "bench-out"), help="output folder")
    return parser.parse_args(argv)


def main(argv=None):
    opts = parse_args(argv)
    rows = opts.rows or (FULL_ROWS if opts.full else QUICK_ROWS)
    plan = steps(rows)
    names = [name for name, *_ in plan]
    if opts.list:
        for name, scripts, args, what in plan:
            print(f"{name:10} {' or '.join(scripts)} {' '.join(args)}\n{'':10} {what}")
        return 0
    chosen = set(names)
    for option, keep in ((opts.only, True), (opts.skip, False)):
        if option:
            given = {part.strip() for part in option.split(",") if part.strip()}
            unknown = given - set(names)
            if unknown:
                raise SystemExit(f"unknown step(s): {', '.join(sorted(unknown))} "
                                 f"(steps: {', '.join(names)})")
            chosen = chosen & given if keep else chosen - given
    out = Path(opts.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BENCH_ROWS=str(rows), BENCH_QUICK="0" if rows >= FULL_ROWS else "1",
               BENCH_OUT=str(out), PYTHONUNBUFFERED="1")
    started = dt.datetime.now(dt.UTC)
    log(f"make bench: {rows:,}-row files; steps: {', '.join(n for n in names if n in chosen)}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    results = []
    for name, scripts, args, what in plan:
        if name not in chosen:
            continue
        script = next((BENCH / s for s in scripts if (BENCH / s).exists()), None)
        if script is None:
            results.append({"step": name, "what": what, "script": scripts[0],
                            "status": "not run (script missing)", "seconds": 0,
                            "figures": []})
            log(f"\n=== {name}: not run (bench/{scripts[0]} is missing)")
            continue
        command = [sys.executable, str(script), *args]
        status, seconds, figures = run_step(name, command, env, opts.timeout)
        results.append({"step": name, "what": what, "script": script.name,
                        "command": shlex.join(command), "status": status,
                        "seconds": round(seconds, 1), "figures": figures})
        log(f"=== {name}: {status} in {seconds:.0f} s")

    judged = [item for r in results for item in r["figures"] if item.get("met") is not None]
    met = sum(1 for item in judged if item["met"])
    print("\n" + table(results))
    not_run = [r["step"] for r in results if r["status"] != "ok"]
    print(f"\nTargets met: {met} of {len(judged)} judged figures"
          + (f"; steps without figures or failed: {', '.join(not_run)}" if not_run else ""))
    summary = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": rows, "quick": rows < FULL_ROWS, "python": sys.version.split()[0],
        "cpus": os.cpu_count(), "load_average_at_end": round(os.getloadavg()[0], 1),
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "changed": [line[3:] for line in git("status", "--porcelain").splitlines()],
        "targets_met": met, "targets_judged": len(judged), "steps": results,
    }
    path = out / "summary.json"
    path.write_text(json.dumps(summary, indent=1))
    print(f"Summary: {path}")
    return 1 if any(r["status"].startswith("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
