"""Sales-order files through staging and consolidation (seed 000), timed.

    python bench/bench_consolidation.py --lines 100000 [--database-url URL] [--undo]

A fresh SQLite database in a temporary folder (or the given database, whose tables are
dropped first), a distributor with 1000 customers and 100 products shared with one
principal, and a CSV of orders with 4 lines each. Prints one JSON line: seconds of the
import job (read, validate, group by document, stage) and of Sync All (one transaction
for the file), lines per second of each, and the counts; then the JSON lines of issue 15
({"figure", "value", "unit", "against", "against_value", "ratio", "target", "met"}) for
Sync All against its target of 100,000 lines/s, by the wall clock and per CPU second.
Set BENCH_PROFILE=1 for a cProfile of Sync All on stderr.

--undo (issue 19) adds, in order: a check only of the file before it is imported (the
same validation and grouping, every document resolved, nothing left), and after the
import and Sync All: the same file imported again and consolidated (every document
rewritten by the later file, each keeping its before-image with its lines), the undo of
that second file (every document and its lines given back) and the undo of the first
(every document removed).
"""
import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
TARGET_LINES_PER_S = 100_000  # issue 15: Sync All on SQLite, a staged file of 100,000 lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100000)
    parser.add_argument("--database-url")
    parser.add_argument("--undo", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="muara-bench-consolidation-"))
    os.environ["MUARA_INSTANCE"] = str(folder)
    os.environ.pop("REDIS_URL", None)

    from app import create_app
    from app.extensions import db
    from app.models import Customer, Product, SalesOrder, SalesOrderLine
    from app.services import directory
    from app.services.consolidation import run_sync_all
    from app.services.imports import create_import
    from app.services.templates import create_default_template
    from app.setup import init_database
    from config import normalise_database_url

    url = normalise_database_url(args.database_url or f"sqlite:///{folder / 'bench.db'}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_ENABLED": False})
    path = folder / "orders.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Order Number", "Order Date", "Customer Code", "Product Code",
                         "Quantity", "Unit Price", "Location Code"])
        for n in range(args.lines):
            order, line = divmod(n, 4)
            header = line == 0
            writer.writerow([f"SO-{order:07d}", "2025-03-01" if header else "",
                             f"C{order % 1000:04d}" if header else "", f"P{line * 7 % 100:03d}",
                             line + 1, "1250.5", ""])
    with app.app_context():
        if args.database_url:
            from sqlalchemy import MetaData
            metadata = MetaData()
            metadata.reflect(bind=db.engine)
            metadata.drop_all(bind=db.engine)
        init_database()
        org = directory.add_org("D1", "D1", "distributor", False)
        directory.add_org("P1", "P1", "principal", False)
        directory.connect("D1", "P1")
        directory.add_integration("D1", "Files", "external")
        db.session.add_all([Customer(organization=org, code=f"C{n:04d}", name="c", balance=0)
                            for n in range(1000)])
        db.session.add_all([Product(organization=org, code=f"P{n:03d}", name="p", unit="pcs")
                            for n in range(100)])
        create_default_template(org, "sales_orders")
        db.session.commit()
        from app.queue import queue
        timed = {}
        if args.undo:
            checked = create_import(org, "sales_orders", "check.csv", path.read_bytes(),
                                    dry_run=True)
            timed["check_seconds"] = _work(queue, app)
            db.session.expire_all()
            timed["check"] = json.loads(db.session.get(type(checked), checked.id).check_json)
        imp = create_import(org, "sales_orders", "orders.csv", path.read_bytes(), force=True)
        import_id, principal_id = imp.id, directory.get_org("P1").id
        staged = _work(queue, app)
        db.session.expire_all()
        imp = db.session.get(type(imp), import_id)
        counts = {"rows": imp.rows_done, "accepted": imp.accepted, "rejected": imp.rejected}
        profiler = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        result = run_sync_all(principal_id)
        consolidated, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler is not None:
            import pstats
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        counts.update(orders=db.session.query(SalesOrder).count(),
                      order_lines=db.session.query(SalesOrderLine).count())
        if args.undo:
            timed.update(_undo_steps(app, queue, org, path, import_id, principal_id))
    print(json.dumps({"database": url.split(":")[0], "lines": args.lines,
                      "import_seconds": round(staged, 2),
                      "import_lines_per_s": round(args.lines / staged),
                      "sync_all_seconds": round(consolidated, 2),
                      "sync_all_lines_per_s": round(args.lines / consolidated),
                      "sync_all_cpu_seconds": round(cpu, 2),
                      "sync_all_lines_per_cpu_s": round(args.lines / max(cpu, 0.001)),
                      "sync_all": result, **counts, **timed}), flush=True)
    database = url.split(":")[0].split("+")[0]
    for name, value in (("wall clock", args.lines / consolidated),
                        ("per CPU second of Sync All (the machine's other load left out; "
                         "the database server's own time not counted on PostgreSQL)",
                         args.lines / max(cpu, 0.001))):
        print(json.dumps({
            "figure": f"Sync All, staged file of {args.lines:,} lines, {database}: lines/s "
                      f"({name})",
            "value": round(value), "unit": "lines/s", "against": "target",
            "against_value": TARGET_LINES_PER_S, "ratio": round(value / TARGET_LINES_PER_S, 2),
            "target": f">= {TARGET_LINES_PER_S} lines/s", "met": value >= TARGET_LINES_PER_S}),
            flush=True)


def _work(queue, app):
    started = time.perf_counter()
    queue().worker(app).work(burst=True, logging_level="WARNING")
    return round(time.perf_counter() - started, 2)


def _undo_steps(app, queue, org, path, first_id, principal_id):
    """The file again (consolidated over the first), then both undone, each timed."""
    from app.extensions import db
    from app.models import ImportFile
    from app.services.consolidation import run_sync_all
    from app.services.imports import create_import
    from app.services.undo import request_undo, undo_import
    timed = {}
    second = create_import(org, "sales_orders", "again.csv", path.read_bytes(), force=True).id
    timed["import_again_seconds"] = _work(queue, app)
    started = time.perf_counter()
    run_sync_all(principal_id)
    timed["sync_all_again_seconds"] = round(time.perf_counter() - started, 2)
    for name, import_id in (("undo_again", second), ("undo_first", first_id)):
        request_undo(db.session.get(ImportFile, import_id))
        started = time.perf_counter()
        result = undo_import(import_id)
        timed[f"{name}_seconds"] = round(time.perf_counter() - started, 2)
        timed[name] = {k: result[k] for k in ("status", "removed", "restored", "kept_count")}
    return timed


if __name__ == "__main__":
    main()
