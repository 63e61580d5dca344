#!/usr/bin/env python3
"""Import benchmark (issue 3, "Performance"): open-invoice files imported end to end
through the import job (read, validate, write, count) on SQLite and PostgreSQL, with
rows per second and peak memory, next to the bare read speed of the same file.

    python bench/bench_import.py                                  # 100,000 rows, everything
    python bench/bench_import.py --rows 100000,1000000 --databases sqlite
    python bench/bench_import.py --rows 1000000 --formats csv --profile cprofile
    python bench/bench_import.py --databases postgresql --formats csv --server-statements

Each measurement runs in a fresh Python process so that its peak memory
(getrusage(RUSAGE_SELF).ru_maxrss) is its own:

- "store": a fresh schema (drop everything, then app.setup.init_database), a distributor
  with 1000 customers, 2 locations (multi-location), a principal connection, an External
  integration and the default Open Invoices template; the file stored by
  app.services.imports.create_import. Not timed.
- "job": a new process, as a worker is: the app is created, then
  app.services.import_job.process_import runs synchronously and is timed as a whole; its peak
  RSS is the figure reported (the app's own footprint included).
- "read": the bare read of the same file, python-calamine for spreadsheets and
  csv.reader for CSV, iterating every row.

Generated files are cached in bench-out/ (gitignored); results go to bench-out/results.json.
"""
import argparse
import csv
import datetime as dt
import fcntl
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 2
MODULE = "open_invoices"
HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
          "Location Code"]
CUSTOMERS = 1000
LOCATIONS = ("JKT", "SBY")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/muara_bench"
RESULT_MARK = "BENCH-RESULT "
# Targets of issue 3 (SQLite, one core).
TARGET_ROWS_PER_S = {"xlsx": 40_000, "csv": 60_000}
TARGET_PEAK_MB = {"xlsx": 800, "csv": 250}  # xlsx: for 1,000,000 rows; csv: any size

# Ways a generated row is made invalid, each with the reason code the job must give.
BAD_KINDS = ("unknown_customer", "invalid_date", "too_many_decimals", "invalid_number",
             "too_long", "required", "duplicate_in_file")


# --- generated files ---------------------------------------------------------------------

def generate_rows(rows, reject_rate, seed=3):
    """Yield (cells, bad kind or None); dates are date objects, balances floats."""
    rng = random.Random(f"{seed}-{rows}-{reject_rate}")
    base = dt.date(2025, 1, 1)
    customers = [f"C{n:04}" for n in range(1, CUSTOMERS + 1)]
    kind_index = 0
    last_good = None
    for number in range(1, rows + 1):
        cells = [f"INV-{number:09}", customers[rng.randrange(CUSTOMERS)],
                 base + dt.timedelta(days=rng.randrange(365)),
                 rng.randrange(100, 10_000_000) / 100, f"PO-{rng.randrange(10**7):07}",
                 LOCATIONS[rng.randrange(2)]]
        bad = None
        if reject_rate and rng.random() < reject_rate:
            bad = BAD_KINDS[kind_index % len(BAD_KINDS)]
            kind_index += 1
            if bad == "duplicate_in_file" and last_good is None:
                bad = "unknown_customer"
            if bad == "unknown_customer":
                cells[1] = "X9999"
            elif bad == "invalid_date":
                cells[2] = cells[2].strftime("%d/%m/%Y")  # text, not YYYY-MM-DD
            elif bad == "too_many_decimals":
                # exactly 4 decimals, the last one not 0
                cells[3] = (rng.randrange(1_000, 10_000_000) * 10 + rng.randrange(1, 10)) / 10_000
            elif bad == "invalid_number":
                cells[3] = "n/a"
            elif bad == "too_long":
                cells[0] = f"INV-{number:017}"  # 21 characters
            elif bad == "required":
                cells[5] = None  # location, required for a multi-location company
            elif bad == "duplicate_in_file":
                cells[0] = last_good
        else:
            last_good = cells[0]
        yield cells, bad


def data_file(out, fmt, rows, reject_rate, regenerate=False):
    """The cached file for (fmt, rows, reject rate) and its expected counts."""
    stem = f"open-invoices-{rows}-r{reject_rate:g}-v{GENERATOR_VERSION}"
    path = out / f"{stem}.{fmt}"
    meta_path = out / f"{stem}.{fmt}.json"
    if path.exists() and meta_path.exists() and not regenerate:
        return path, json.loads(meta_path.read_text())
    started = time.perf_counter()
    log(f"generating {path.name} ...")
    tmp = path.with_name(path.name + ".tmp")
    rejected = 0
    kinds = {}
    if fmt == "csv":
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for cells, bad in generate_rows(rows, reject_rate):
                if bad:
                    rejected += 1
                    kinds[bad] = kinds.get(bad, 0) + 1
                cells[2] = cells[2].isoformat() if isinstance(cells[2], dt.date) else cells[2]
                cells[3] = repr(cells[3]) if isinstance(cells[3], float) else cells[3]
                writer.writerow(["" if c is None else c for c in cells])
    elif fmt == "xlsx":
        from openpyxl import Workbook
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Open Invoices")
        sheet.append(HEADER)
        for cells, bad in generate_rows(rows, reject_rate):
            if bad:
                rejected += 1
                kinds[bad] = kinds.get(bad, 0) + 1
            sheet.append(cells)  # dates as real date cells, balances as numbers
        workbook.save(tmp)
    else:
        raise SystemExit(f"unknown format: {fmt}")
    meta = {"rows": rows, "reject_rate": reject_rate, "expected_rejected": rejected,
            "expected_accepted": rows - rejected, "bad_kinds": kinds,
            "bytes": tmp.stat().st_size}
    tmp.replace(path)
    meta_path.write_text(json.dumps(meta, indent=1))
    log(f"  {path.name}: {meta['bytes'] / 1048576:.1f} MB in {time.perf_counter() - started:.0f} s")
    return path, meta


# --- child processes ---------------------------------------------------------------------

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def current_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def make_app(database_url, serve_pages=True):
    """The app: whole for the store (it syncs roles as `muara init` does), lean for the
    job, as a `muara worker` or `muara import --wait` builds it (issue 15)."""
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from config import normalise_database_url
    return create_app(serve_pages=serve_pages, test_config={
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "MAIL_ENABLED": False,
        "REDIS_URL": None,  # embedded queue, and no worker thread: the job runs here
        "MAX_CONTENT_LENGTH": 4 * 1024 ** 3,  # the bench stores files above the 50 MB default
    })


def fresh_world(drop=True):
    """In an app context: a fresh schema (`drop`: its tables dropped first) and the bench
    distributor's world (locations, a principal, an integration, the customers, the
    default template); returns the distributor. The other benches build on it too."""
    from sqlalchemy import MetaData, insert

    from app.extensions import db
    from app.models import Customer
    from app.services import directory
    from app.services.templates import create_default_template
    from app.setup import init_database
    if drop:
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
    init_database()
    dist = directory.add_org("BENCH-DIST", "Bench Distributor", "distributor",
                             multi_location=True)
    for code in LOCATIONS:
        directory.add_location("BENCH-DIST", code, f"{code} warehouse")
    directory.add_org("BENCH-PRIN", "Bench Principal", "principal")
    directory.connect("BENCH-DIST", "BENCH-PRIN", active=True)
    directory.add_integration("BENCH-DIST", "External", "external")
    db.session.execute(insert(Customer), [
        {"organization_id": dist.id, "code": f"C{n:04}", "name": f"Customer {n}",
         "balance": 0} for n in range(1, CUSTOMERS + 1)])
    create_default_template(dist, MODULE)
    db.session.commit()
    return dist


def child_store(args):
    """Fresh schema, the distributor's world, and the file stored by create_import."""
    app = make_app(args["database_url"])
    from app.services.imports import create_import
    with app.app_context():
        dist = fresh_world()
        path = Path(args["file"])
        imp = create_import(dist, MODULE, path.name, path.read_bytes())
        return {"import_id": imp.id, "peak_mb": peak_mb()}


def child_job(args):
    """process_import(import_id), synchronously, timed as a whole."""
    app = make_app(args["database_url"], serve_pages=False)
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ImportRejection, OpenInvoice
    from app.services.import_job import process_import
    with app.app_context():
        before_mb = current_mb()
        profiler = None
        if args.get("profile") == "cprofile":
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        elif args.get("profile") == "pyinstrument":
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.001)
            profiler.start()
        started = time.perf_counter()
        summary = process_import(args["import_id"])
        seconds = time.perf_counter() - started
        peak = peak_mb()
        if profiler is not None:
            stem = args["profile_out"]
            if args["profile"] == "cprofile":
                import pstats
                profiler.disable()
                profiler.dump_stats(stem + ".prof")
                with open(stem + ".txt", "w") as out:
                    for order in ("tottime", "cumulative"):
                        stats = pstats.Stats(profiler, stream=out)
                        stats.sort_stats(order).print_stats(40)
            else:
                profiler.stop()
                Path(stem + ".txt").write_text(profiler.output_text(unicode=False, color=False))
                Path(stem + ".html").write_text(profiler.output_html())
        written = db.session.scalar(select(func.count()).select_from(OpenInvoice))
        reasons = dict(db.session.execute(
            select(ImportRejection.reason, func.count()).group_by(ImportRejection.reason)).all())
        return {"seconds": seconds, "peak_mb": peak, "rss_before_job_mb": before_mb,
                "summary": summary, "invoices_in_db": written, "rejections_by_reason": reasons}


def child_read(args):
    """The bare read: every row of the file, nothing else."""
    path, fmt = args["file"], args["format"]
    started = time.perf_counter()
    rows = 0
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for _row in csv.reader(handle):
                rows += 1
    else:
        from python_calamine import CalamineWorkbook
        workbook = CalamineWorkbook.from_path(path)
        sheet = workbook.get_sheet_by_index(0)
        for _row in sheet.iter_rows():
            rows += 1
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows - 1, "peak_mb": peak_mb()}


CHILDREN = {"store": child_store, "job": child_job, "read": child_read}


def run_child(mode, payload, cpu=None):
    env = dict(os.environ)
    env["MUARA_INSTANCE"] = payload["instance"]  # not the developer's instance folder
    env.setdefault("MUARA_LOG_LEVEL", "WARNING")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, json.dumps(payload)]
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    proc = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
        else:
            print(line)
    if proc.returncode != 0 or result is None:
        log("\n".join(proc.stderr.splitlines()[-30:]))  # the app's logging and any traceback
        raise RuntimeError(f"{mode} process failed (exit {proc.returncode})")
    return result


# --- databases ---------------------------------------------------------------------------

def sqlite_url(out):
    return f"sqlite:///{out / 'bench.sqlite'}"


def reset_sqlite(out):
    for suffix in ("", "-journal", "-wal", "-shm"):
        path = out / f"bench.sqlite{suffix}"
        if path.exists():
            path.unlink()


def pg_admin(url, own_database=False):
    """(autocommit connection to the server's postgres database, or with `own_database`
    to the bench database itself; name of the bench database)."""
    import psycopg
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    target = parsed.set(drivername="postgresql",
                        database=parsed.database if own_database else "postgres")
    conn = psycopg.connect(target.render_as_string(hide_password=False), autocommit=True)
    return conn, parsed.database


def reset_postgres(url, drop_only=False):
    from psycopg import sql
    conn, name = pg_admin(url)
    with conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_statements(url, reset=False, top=8):
    """PostgreSQL's own time per statement of the bench database since the last reset
    (pg_stat_statements): [(milliseconds, calls, rows, statement)]. None, with the reason
    logged, where the server does not preload the extension."""
    import psycopg
    try:
        with pg_admin(url, own_database=True)[0] as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            if reset:
                conn.execute("SELECT pg_stat_statements_reset()")
                return None
            return conn.execute(
                "SELECT round(total_exec_time::numeric), calls, rows, "
                "left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " ORDER BY total_exec_time DESC LIMIT %s", (top,)).fetchall()
    except psycopg.Error as exc:
        log(f"no server statements: {exc}".strip() + " (shared_preload_libraries = "
            "'pg_stat_statements' in postgresql.conf, then restart the server)")
        return None


# --- the run -----------------------------------------------------------------------------

def log(message):
    print(message, file=sys.stderr, flush=True)


def split(text, cast=str):
    return [cast(part.strip()) for part in text.split(",") if part.strip()]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="100000", help="comma list, e.g. 100000,1000000")
    parser.add_argument("--formats", default="xlsx,csv", help="comma list of xlsx,csv")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma list of sqlite,postgresql")
    parser.add_argument("--reject-rate", "--reject-rates", dest="reject_rate", default="0,0.3",
                        help="comma list of fractions of rejected rows, e.g. 0,0.3")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL),
                        help="database created and dropped by the bench (default %(default)s)")
    parser.add_argument("--keep-database", action="store_true",
                        help="keep the last case's database (SQLite file / PostgreSQL database)")
    parser.add_argument("--out", default=str(ROOT / "bench-out"), help="cache and results folder")
    parser.add_argument("--regenerate", action="store_true", help="regenerate cached files")
    parser.add_argument("--no-bare-read", action="store_true", help="skip the bare read")
    parser.add_argument("--cpu", default="auto",
                        help="pin each child to this CPU ('auto': the last allowed one; 'none')")
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"),
                        help="profile each job; reports go to bench-out/profile-*.txt")
    parser.add_argument("--server-statements", action="store_true",
                        help="PostgreSQL: print the statements that took the server's time "
                             "during each job (pg_stat_statements, which the server must "
                             "preload)")
    return parser.parse_args(argv)


def pick_cpu(choice):
    if choice == "none" or not hasattr(os, "sched_getaffinity"):
        return None
    if choice == "auto":
        return max(os.sched_getaffinity(0))
    return int(choice)


def verdict(case):
    """Targets of issue 3 that this case alone can be judged by (SQLite only)."""
    if case.get("error"):
        return "ERROR"
    notes = []
    if (case["accepted"] != case["expected_accepted"]
            or case["rejected"] != case["expected_rejected"]
            or case["invoices_in_db"] != case["expected_accepted"]
            or case["rejections_by_reason"] != case["expected_reasons"]):
        notes.append("COUNTS")  # the job's figures differ from what the generator made
    fmt = case["format"]
    if case["database"] == "sqlite" and case["reject_rate"] == 0:
        if case["rows_per_s"] < TARGET_ROWS_PER_S[fmt]:
            notes.append(f"<{TARGET_ROWS_PER_S[fmt] // 1000}k/s")
    if fmt == "csv" or case["rows"] >= 1_000_000:
        if case["peak_mb"] >= TARGET_PEAK_MB[fmt]:
            notes.append(f">={TARGET_PEAK_MB[fmt]}MB")
    return " ".join(notes) or "ok"


def half_speed_checks(results):
    """The 30%-rejected file at least half as fast as the clean one (same format, size, db)."""
    lines = []
    clean = {(r["format"], r["rows"], r["database"]): r for r in results
             if r["reject_rate"] == 0 and not r.get("error")}
    for r in results:
        base = clean.get((r["format"], r["rows"], r["database"]))
        if r["reject_rate"] and base and not r.get("error"):
            ratio = r["rows_per_s"] / base["rows_per_s"]
            lines.append(f"{r['format']} {r['rows']:,} {r['database']}: {r['reject_rate']:.0%} "
                         f"rejected runs at {ratio:.2f}x the clean speed "
                         f"({'ok' if ratio >= 0.5 else 'MISS, target >= 0.50x'})")
    return lines


# Targets of issue 15 that this bench's figures are judged by (bench/run_all.py).
TARGET_BARE_RATIO = 0.4        # .xlsx end to end within 2.5x of the bare calamine read
TARGET_PEAK_MB_15 = {"xlsx": 700, "csv": 250}  # xlsx: at 1,000,000 rows; csv: any size
TARGET_REJECTED_RATIO = 0.85   # 30% rejected at least 0.85x of the clean speed
TARGET_REJECTED_COST = 2.0     # a rejected row costs at most 2x an accepted one
TARGET_PG_RATIO = 1.0          # PostgreSQL at least as fast as SQLite (.csv)


def figure(name, value, unit, against=None, against_value=None, target=None, met=None,
           ratio=None):
    if ratio is None and value is not None and against_value:
        ratio = value / against_value
    return {"figure": name, "value": round(value, 1) if value is not None else None,
            "unit": unit, "against": against,
            "against_value": round(against_value, 1) if against_value is not None else None,
            "ratio": round(ratio, 3) if ratio is not None else None, "target": target,
            "met": met}


def figures(results):
    """Issue 15's figures of this run, one JSON object each (bench/run_all.py reads them
    as this script's last stdout lines). Each is judged at the size measured; the
    .xlsx memory target only at 1,000,000 rows and more (it is set for that size)."""
    out = []
    ok = [r for r in results if not r.get("error")]
    by_case = {(r["format"], r["rows"], r["database"], r["reject_rate"]): r for r in ok}
    for r in ok:
        fmt, rows, db_name, rate = r["format"], r["rows"], r["database"], r["reject_rate"]
        label = f"{fmt} {rows:,} rows {db_name}"
        if rate == 0 and r.get("bare_rows_per_s"):
            ratio = r["rows_per_s"] / r["bare_rows_per_s"]
            judged = fmt == "xlsx"
            out.append(figure(f"{label}: import rows/s", r["rows_per_s"], "rows/s",
                              "bare read", r["bare_rows_per_s"],
                              ">= 0.4x (within 2.5x of the bare read)" if judged else None,
                              ratio >= TARGET_BARE_RATIO if judged else None))
        if rate == 0:
            limit = TARGET_PEAK_MB_15[fmt]
            judged = fmt == "csv" or rows >= 1_000_000
            out.append(figure(f"{label}: peak MB of the import process", r["peak_mb"], "MB",
                              "target", limit,
                              f"< {limit} MB" + ("" if fmt == "csv" else " at 1,000,000 rows"),
                              r["peak_mb"] < limit if judged else None))
        clean = by_case.get((fmt, rows, db_name, 0))
        if rate and clean:
            ratio = r["rows_per_s"] / clean["rows_per_s"]
            out.append(figure(f"{label}: {rate:.0%} rejected rows/s", r["rows_per_s"], "rows/s",
                              "clean file", clean["rows_per_s"],
                              f">= {TARGET_REJECTED_RATIO}x",
                              ratio >= TARGET_REJECTED_RATIO))
            accepted_us = clean["seconds"] / clean["rows"] * 1e6
            if r["rejected"]:
                rejected_us = ((r["seconds"] - r["accepted"] * accepted_us / 1e6)
                               / r["rejected"] * 1e6)
                out.append(figure(f"{label}: cost of a rejected row (us)", rejected_us, "us",
                                  "an accepted row (us)", accepted_us,
                                  f"<= {TARGET_REJECTED_COST:g}x",
                                  # below 0: the clean run's fixed costs outweigh the
                                  # rows (a small file, noise): not judged
                                  rejected_us <= TARGET_REJECTED_COST * accepted_us
                                  if rejected_us >= 0 else None))
        lite = by_case.get((fmt, rows, "sqlite", rate))
        if db_name == "postgresql" and rate == 0 and lite:
            ratio = r["rows_per_s"] / lite["rows_per_s"]
            judged = fmt == "csv"
            out.append(figure(f"{label}: PostgreSQL rows/s", r["rows_per_s"], "rows/s",
                              "SQLite", lite["rows_per_s"],
                              f">= {TARGET_PG_RATIO:g}x (at 1,000,000 rows)" if judged else None,
                              ratio >= TARGET_PG_RATIO if judged else None))
    return out


def print_table(results):
    columns = ("format", "rows", "reject", "database", "seconds", "rows/s", "peak MB",
               "bare read rows/s", "targets")
    table = [columns]
    for r in results:
        if r.get("error"):
            table.append((r["format"], f"{r['rows']:,}", f"{r['reject_rate']:.0%}", r["database"],
                          "-", "-", "-", "-", "ERROR"))
            continue
        bare = r.get("bare_rows_per_s")
        table.append((r["format"], f"{r['rows']:,}", f"{r['reject_rate']:.0%}", r["database"],
                      f"{r['seconds']:.1f}", f"{r['rows_per_s']:,.0f}", f"{r['peak_mb']:.0f}",
                      f"{bare:,.0f}" if bare else "-", verdict(r)))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(columns))]
    for n, row in enumerate(table):
        print("  ".join(str(cell).rjust(width) if 1 <= i <= 7 and i != 3 else str(cell).ljust(width)
                        for i, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


def code_version():
    """The commit measured, and the files changed since (a run measures the work tree)."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    changed = [line[3:] for line in git("status", "--porcelain", "--", "app", "migrations",
                                        "config.py").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD") or None, "changed": changed}


def hold_lock(out):
    """One bench at a time: runs share the database, the files and the CPUs."""
    handle = open(out / ".bench.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        log(f"another bench run (pid {holder}) is using {out}; waiting for it ...")
        fcntl.flock(handle, fcntl.LOCK_EX)
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle  # keep it open: the lock lasts as long as this process


def main(argv=None):
    opts = parse_args(argv)
    out = Path(opts.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    lock = hold_lock(out)  # noqa: F841
    instance = out / "instance"
    instance.mkdir(exist_ok=True)
    rows_list = split(opts.rows, lambda s: int(s.replace("_", "")))
    formats = split(opts.formats)
    databases = split(opts.databases)
    rates = split(opts.reject_rate, float)
    cpu = pick_cpu(opts.cpu)
    version = code_version()
    for db_name in databases:
        if db_name not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown database: {db_name} (sqlite or postgresql)")

    if "postgresql" in databases:
        try:
            reset_postgres(opts.postgres_url)
        except Exception as exc:  # noqa: BLE001 - any connection problem: skip, say why
            log(f"PostgreSQL skipped: cannot create the bench database at "
                f"{opts.postgres_url} ({exc})")
            databases = [d for d in databases if d != "postgresql"]

    log(f"python {sys.version.split()[0]}, children pinned to CPU {cpu}" if cpu is not None
        else f"python {sys.version.split()[0]}, children not pinned")
    results = []
    bare = {}
    files = {}
    for rows in rows_list:
        for fmt in formats:
            for rate in rates:
                files[(fmt, rows, rate)] = data_file(out, fmt, rows, rate, opts.regenerate)

    for rows in rows_list:
        for fmt in formats:
            for rate in rates:
                path, meta = files[(fmt, rows, rate)]
                base_payload = {"file": str(path), "format": fmt, "instance": str(instance)}
                if not opts.no_bare_read and (fmt, rows, rate) not in bare:
                    read = run_child("read", base_payload, cpu)
                    bare[(fmt, rows, rate)] = read
                for db_name in databases:
                    case = {"format": fmt, "rows": rows, "reject_rate": rate, "database": db_name,
                            "file": path.name, "file_mb": round(meta["bytes"] / 1048576, 1),
                            "expected_accepted": meta["expected_accepted"],
                            "expected_rejected": meta["expected_rejected"],
                            "expected_reasons": meta["bad_kinds"]}
                    if db_name == "sqlite":
                        reset_sqlite(out)
                        url = sqlite_url(out)
                    else:
                        reset_postgres(opts.postgres_url)
                        url = opts.postgres_url
                    payload = dict(base_payload, database_url=url)
                    label = f"{fmt} {rows:,} rows, {rate:.0%} rejected, {db_name}"
                    try:
                        log(f"{label}: storing ...")
                        stored = run_child("store", payload)
                        payload["import_id"] = stored["import_id"]
                        if opts.profile:
                            payload["profile"] = opts.profile
                            payload["profile_out"] = str(
                                out / f"profile-{opts.profile}-{fmt}-{rows}-r{rate:g}-{db_name}")
                        log(f"{label}: importing ...")
                        watch = opts.server_statements and db_name == "postgresql"
                        if watch:
                            server_statements(url, reset=True)
                        job = run_child("job", payload, cpu)
                        if watch:
                            for ms, calls, rows_, text in server_statements(url) or []:
                                log(f"  server {ms:>6} ms {calls:>5} calls {rows_:>8} rows  "
                                    f"{text}")
                    except RuntimeError as exc:
                        log(f"{label}: {exc}")
                        case["error"] = str(exc)
                        results.append(case)
                        continue
                    summary = job["summary"]
                    read = bare.get((fmt, rows, rate))
                    case.update({
                        "status": summary["status"], "rows_done": summary["rows"],
                        "accepted": summary["accepted"], "rejected": summary["rejected"],
                        "invoices_in_db": job["invoices_in_db"],
                        "rejections_by_reason": job["rejections_by_reason"],
                        "seconds": round(job["seconds"], 3),
                        "rows_per_s": round(rows / job["seconds"], 1),
                        "peak_mb": round(job["peak_mb"], 1),
                        "rss_before_job_mb": round(job["rss_before_job_mb"] or 0, 1),
                        "store_peak_mb": round(stored["peak_mb"], 1),
                        "bare_seconds": round(read["seconds"], 3) if read else None,
                        "bare_rows_per_s": (round(read["rows"] / read["seconds"], 1)
                                            if read else None),
                        "bare_peak_mb": round(read["peak_mb"], 1) if read else None,
                    })
                    case["targets"] = verdict(case)
                    if opts.profile:
                        case["profile"] = payload["profile_out"] + ".txt"
                    log(f"{label}: {case['seconds']:.1f} s, {case['rows_per_s']:,.0f} rows/s, "
                        f"peak {case['peak_mb']:.0f} MB, {summary['status']} "
                        f"({summary['accepted']:,} accepted, {summary['rejected']:,} rejected)")
                    results.append(case)

    if not opts.keep_database:
        if "postgresql" in databases:
            reset_postgres(opts.postgres_url, drop_only=True)
        reset_sqlite(out)
    shutil.rmtree(instance, ignore_errors=True)

    print()
    print_table(results)
    checks = half_speed_checks(results)
    if checks:
        print()
        print("\n".join(checks))
    print()
    print("Targets (issue 3): SQLite, one core: >= 40,000 rows/s xlsx, >= 60,000 rows/s csv; "
          "peak < 800 MB for 1,000,000-row xlsx, < 250 MB for csv of any size; 30% rejected "
          ">= half the clean speed. Peak MB is the job process's, app included.")
    results_path = out / "results.json"
    results_path.write_text(json.dumps({
        "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "cpu": cpu, "code": version,
        "cases": results, "half_speed_checks": checks, "figures": figures(results)},
        indent=1))
    dirty = f" + changes to {', '.join(version['changed'])}" if version["changed"] else ""
    print(f"Code: commit {version['commit']}{dirty}")
    print(f"Results: {results_path}")
    # Last on stdout: issue 15's figures, one JSON object a line (bench/run_all.py).
    for item in figures(results):
        print(json.dumps(item))
    return 1 if any(r.get("error") for r in results) else 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        outcome = CHILDREN[sys.argv[2]](json.loads(sys.argv[3]))
        print(RESULT_MARK + json.dumps(outcome, default=str), flush=True)
    else:
        sys.exit(main())
