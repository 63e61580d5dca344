#!/usr/bin/env python3
"""Start-up of a command that serves no page (issue 15): the whole
`muara import FILE --wait` of a 100-row open-invoice .xlsx (the launcher, `python -m
app`), timed as a process from the outside, next to `python -c pass` (the interpreter's
own start), the libraries every command needs (`import flask, sqlalchemy.orm`), the same
import through `flask --app run muara` and the 0.8 s target.

    python bench/bench_startup.py                 # 7 interleaved rounds
    python bench/bench_startup.py --rounds 15

A fresh SQLite instance in a temporary folder (schema and roles as `muara init` makes
them; a multi-location distributor connected to a principal, with 1000 customers and the
default Open Invoices template, as bench_import.py sets up), then each round runs
`python -c pass` and the import (`--force`: the same file every round). Medians of
wall seconds are the figures; CPU seconds (user + system) are printed beside them, as
a loaded machine stretches the wall time. The last stdout lines are the harness's JSON
(bench/run_all.py).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
TARGET_SECONDS = 0.8
ROWS = 100
ORG = "BENCH-DIST"

SETUP = """
from sqlalchemy import insert
from app import create_app
from app.extensions import db
from app.models import Customer
from app.services import directory
from app.services.templates import create_default_template
from app.setup import init_database
app = create_app()
with app.app_context():
    init_database()
    org = directory.add_org({org!r}, "Bench Distributor", "distributor", multi_location=True)
    for code in ("JKT", "SBY"):
        directory.add_location({org!r}, code, code + " warehouse")
    directory.add_org("BENCH-PRIN", "Bench Principal", "principal")
    directory.connect({org!r}, "BENCH-PRIN", active=True)
    directory.add_integration({org!r}, "External", "external")
    db.session.execute(insert(Customer), [
        {{"organization_id": org.id, "code": f"C{{n:04}}", "name": f"Customer {{n}}",
          "balance": 0}} for n in range(1, 1001)])
    create_default_template(org, "open_invoices")
    db.session.commit()
"""

def flask_command(*args):
    flask = Path(sys.executable).with_name("flask")
    return [str(flask), "--app", "run", "muara", *args]


def muara_command(*args):
    """The `muara` launcher's command (app/__main__.py, as .venv/bin/muara runs it)."""
    return [sys.executable, "-m", "app", *args]


LIBRARIES = [sys.executable, "-c", "import flask, sqlalchemy.orm"]


def timed(command, env, cwd=ROOT):
    """(wall seconds, CPU seconds of the child, completed process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def must(proc, what):
    if proc.returncode != 0:
        sys.exit(f"bench_startup: {what} failed (exit {proc.returncode}):\n"
                 f"{proc.stderr[-2000:]}")
    return proc


def hundred_rows(folder):
    from bench_import import HEADER, generate_rows
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Open Invoices")
    sheet.append(HEADER)
    for cells, _bad in generate_rows(ROWS, 0):
        sheet.append(cells)
    path = folder / f"open-invoices-{ROWS}.xlsx"
    workbook.save(path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--compare", metavar="CHECKOUT",
                        help="also time the same command run from another checkout of Muara "
                             "(e.g. `git worktree add /tmp/before <commit>`), interleaved: "
                             "before and after in the same minutes")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="muara-startup-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "MUARA_SCHEDULE_INTERVAL")}
        env.update(MUARA_INSTANCE=str(folder / "instance"), MUARA_LOG_LEVEL="WARNING",
                   MAIL_ENABLED="0",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                            env.get("PYTHONPATH")])))
        print("setting up a fresh SQLite instance ...", file=sys.stderr, flush=True)
        must(subprocess.run([sys.executable, "-c", SETUP.format(org=ORG)], cwd=ROOT, env=env,
                            capture_output=True, text=True), "the set-up (init, organizations)")
        path = hundred_rows(folder)
        arguments = ("import", str(path), "--module", "open_invoices", "--org", ORG,
                     "--force", "--wait")
        command, through_flask = muara_command(*arguments), flask_command(*arguments)
        must(timed(command, env)[2], "the first import")  # compiles the .pyc files
        other_env = other = None
        if opts.compare:
            other = Path(opts.compare).resolve()
            other_env = dict(env, PYTHONPATH=str(other))
            must(timed(command, other_env, other)[2], "the first import from " + str(other))
        bare, bare_cpu, runs, cpus, others, other_cpus = [], [], [], [], [], []
        libraries, flask_runs, flask_cpus = [], [], []
        for n in range(opts.rounds):
            wall, cpu, _ = timed([sys.executable, "-c", "pass"], env)
            bare.append(wall)
            bare_cpu.append(cpu)
            wall, _cpu, proc = timed(LIBRARIES, env)
            must(proc, "the libraries' import")
            libraries.append(wall)
            wall, cpu, proc = timed(through_flask, env)
            must(proc, "the import through flask")
            flask_runs.append(wall)
            flask_cpus.append(cpu)
            if other:
                wall, cpu, proc = timed(command, other_env, other)
                must(proc, "the import from " + str(other))
                others.append(wall)
                other_cpus.append(cpu)
                print(f"round {n + 1}: {other}: import {wall:.3f} s (CPU {cpu:.2f} s)",
                      file=sys.stderr, flush=True)
            wall, cpu, proc = timed(command, env)
            summary = json.loads(must(proc, "the import").stdout.strip().splitlines()[-1])
            if summary.get("accepted") != ROWS:
                sys.exit(f"bench_startup: the import accepted {summary.get('accepted')} of "
                         f"{ROWS} rows: {summary}")
            runs.append(wall)
            cpus.append(cpu)
            print(f"round {n + 1}: python -c pass {bare[-1]:.3f} s, flask + sqlalchemy "
                  f"{libraries[-1]:.3f} s, muara import {wall:.3f} s (CPU {cpu:.2f} s), "
                  f"through flask {flask_runs[-1]:.3f} s", file=sys.stderr, flush=True)
    value, against = statistics.median(runs), statistics.median(bare)
    print(f"\nmuara import --wait, {ROWS}-row .xlsx: median {value:.3f} s wall, "
          f"{statistics.median(cpus):.3f} s CPU; python -c pass {against:.3f} s "
          f"({statistics.median(bare_cpu):.3f} s CPU); target < {TARGET_SECONDS} s; "
          f"{opts.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    print(f"import flask, sqlalchemy.orm: median {statistics.median(libraries):.3f} s; "
          f"flask --app run muara import: median {statistics.median(flask_runs):.3f} s wall, "
          f"{statistics.median(flask_cpus):.3f} s CPU")
    if others:
        print(f"the same from {opts.compare}: median {statistics.median(others):.3f} s wall, "
              f"{statistics.median(other_cpus):.3f} s CPU")
    print(json.dumps({
        "figure": f"start-up: muara import --wait, {ROWS}-row .xlsx (s)", "value": round(value, 3),
        "unit": "s", "against": "python -c pass", "against_value": round(against, 3),
        "ratio": round(value / against, 2), "target": f"< {TARGET_SECONDS} s",
        "met": value < TARGET_SECONDS,
        "cpu_seconds": round(statistics.median(cpus), 3)}))
    libraries_value = statistics.median(libraries)
    print(json.dumps({
        "figure": "start-up: muara import against importing flask + sqlalchemy.orm alone",
        "value": round(value, 3), "unit": "s", "against": "import flask, sqlalchemy.orm",
        "against_value": round(libraries_value, 3),
        "ratio": round(value / libraries_value, 2), "target": None, "met": None}))
    flask_value = statistics.median(flask_runs)
    print(json.dumps({
        "figure": "start-up: the same through flask --app run muara (s)",
        "value": round(flask_value, 3), "unit": "s", "against": "muara import",
        "against_value": round(value, 3), "ratio": round(flask_value / value, 2),
        "target": None, "met": None, "cpu_seconds": round(statistics.median(flask_cpus), 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
