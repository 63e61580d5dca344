#!/usr/bin/env python3
"""Check only and undo benchmark (issue 19) on SQLite or PostgreSQL: an open-invoice CSV
of 100,000 rows (bench_import.py's generated file) is

1. stored as a check only and checked (process_import of a dry-run file: read, validate,
   every natural key resolved, nothing written),
2. imported with "Import now" (the same stored bytes; the import keeps a before-image of
   every record it writes: here every record is created),
3. imported again (the same file forced: every record updated, each before-image a copy
   of its old values),
4. the second import undone (every record given back its values),
5. the first import undone (every record removed).

Each step runs in a fresh process (its peak RSS is its own), timed as a whole.

    python bench/bench_undo.py                 # 100,000 rows
    python bench/bench_undo.py --rows 20000
    python bench/bench_undo.py --database postgresql [--postgres-url URL]
                                               # the database is dropped and created again

Compare step 2 with `python bench/bench_import.py --rows 100000 --formats csv --databases
sqlite --reject-rate 0` run in the same hour (the import before before-images existed).
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_import", HERE / "bench_import.py")
bench_import = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_import)
ROOT, RESULT_MARK = bench_import.ROOT, bench_import.RESULT_MARK


def child_store(args):
    """A fresh schema and world (bench_import's), the file stored as a check only."""
    app = bench_import.make_app(args["database_url"])
    from app.services.imports import create_import
    with app.app_context():
        dist = bench_import.fresh_world()
        path = Path(args["file"])
        first = create_import(dist, bench_import.MODULE, path.name, path.read_bytes(),
                              dry_run=True)
        return {"import_id": first.id}


def child_step(args):
    """One timed step: check, import_now, reimport or undo."""
    app = bench_import.make_app(args["database_url"])
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ImportBeforeImage, ImportFile, OpenInvoice
    from app.services import imports, undo
    from app.services.import_job import process_import
    if args.get("no_images"):  # the import as it was before before-images (the baseline)
        from app.importing import tabular
        tabular.imaging = lambda write, spec, import_id, org_id: write
    with app.app_context():
        step, import_id = args["step"], args["import_id"]
        if step == "import_now":
            imports.import_now(db.session.get(ImportFile, import_id))
        elif step == "reimport":
            imp = db.session.get(ImportFile, import_id)
            path = Path(args["file"])
            import_id = imports.create_import(imp.organization, bench_import.MODULE,
                                              "again-" + path.name, path.read_bytes(),
                                              force=True).id
        elif step == "undo":
            undo.request_undo(db.session.get(ImportFile, import_id))
        started = time.perf_counter()
        result = (undo.undo_import(import_id) if step == "undo"
                  else process_import(import_id))
        seconds = time.perf_counter() - started
        result.pop("kept", None)
        return {"step": step, "import_id": import_id, "seconds": seconds,
                "peak_mb": bench_import.peak_mb(), "result": result,
                "invoices": db.session.scalar(select(func.count()).select_from(OpenInvoice)),
                "images": db.session.scalar(select(func.count())
                                            .select_from(ImportBeforeImage))}


CHILDREN = {"store": child_store, "step": child_step}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", default=str(ROOT / "bench-out"))
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", bench_import.DEFAULT_PG_URL))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    path, meta = bench_import.data_file(out, "csv", args.rows, 0.0)
    work = out / "undo"  # its own database, beside bench_import.py's
    work.mkdir(exist_ok=True)
    postgres = args.database == "postgresql"
    url = args.postgres_url if postgres else bench_import.sqlite_url(work)
    payload = {"database_url": url, "file": str(path), "instance": str(out / "instance")}

    def reset():
        if postgres:
            bench_import.reset_postgres(url)
        else:
            bench_import.reset_sqlite(work)
    # The baseline first: the same steps without before-images, on a database of its own.
    reset()
    first = run_child("store", payload)["import_id"]
    results = [dict(run(step, first, dict(payload, no_images=True)), baseline=True)
               for step in ("check", "import_now", "reimport")]
    reset()
    first = run_child("store", payload)["import_id"]
    for step in ("check", "import_now", "reimport"):
        results.append(run(step, first, payload))
    second = results[-1]["import_id"]
    results.append(run("undo", second, payload))
    results.append(run("undo", first, payload))
    print(f"\n{args.rows:,} rows, CSV {meta['bytes'] / 1048576:.1f} MB, "
          f"{'PostgreSQL' if postgres else 'SQLite'}")
    print(f"{'step':<38}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}  result")
    names = {"check": "check only", "import_now": "import now (creates)",
             "reimport": "import again (updates)", "undo": "undo"}
    for result in results:
        label = names[result["step"]] + (f" #{result['import_id']}"
                                          if result["step"] == "undo" else "")
        label += ", no images" if result.get("baseline") else ""
        print(f"{label:<38}{result['seconds']:>9.2f}{args.rows / result['seconds']:>10,.0f}"
              f"{result['peak_mb']:>9.0f}  {json.dumps(result['result'])}")
    (out / f"undo-results-{args.database}.json").write_text(json.dumps(results, indent=1))


def run_child(mode, payload):
    """`mode` in a fresh process of this script; its result line parsed."""
    env = dict(os.environ, MUARA_INSTANCE=payload["instance"])
    env.setdefault("MUARA_LOG_LEVEL", "WARNING")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, __file__, "--child", mode, json.dumps(payload)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not lines:
        print("\n".join(proc.stderr.splitlines()[-30:]), file=sys.stderr)
        raise RuntimeError(f"{mode} process failed (exit {proc.returncode})")
    return json.loads(lines[-1][len(RESULT_MARK):])


def run(step, import_id, payload):
    result = run_child("step", dict(payload, step=step, import_id=import_id))
    bench_import.log(f"{step}: {result['seconds']:.2f} s, {result['peak_mb']:.0f} MB")
    return result


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child = CHILDREN[sys.argv[2]]
        print(RESULT_MARK + json.dumps(child(json.loads(sys.argv[3])), default=str))
    else:
        main(sys.argv[1:])
