"""Workers scale (issue 14): the same 8 files of 100,000 open invoices imported on
PostgreSQL by 1, then by 2 `muara worker` processes; prints the wall time of each and
the ratio (target: 2 workers at least 1.85x as fast as 1).

Each round starts from a fresh database (the bench's own, created and dropped), stores
the 8 files through create_import (each queued on Redis), then starts the workers with
--burst and times them until the last one has emptied the queue (wall), and also from
the first file's start to the last file's end as the files record them (the workers'
start-up, the same in both rounds, left out). It checks that every file ended archived
with all its rows and that every invoice is there once.

    python bench/bench_workers.py [--files 8] [--rows 100000] [--workers 1,2]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/muara_bench_workers]
        [--redis-url redis://127.0.0.1:6379/9]

The machine matters: two workers need two free cores (and PostgreSQL a third).
"""
import argparse
import csv
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench_import import (
    CUSTOMERS,
    LOCATIONS,
    MODULE,
    ROOT,
    _pg_admin,
    fresh_world,
    log,
    reset_postgres,
)

HEADER = ["Invoice #", "Customer Code", "Invoice Date", "Invoice Balance", "Customer PO",
          "Location Code"]


def write_files(out, files, rows):
    paths = []
    for number in range(1, files + 1):
        path = out / f"workers-{number}-of-{files}-{rows}.csv"
        paths.append(path)
        if path.exists():
            continue
        chance = random.Random(number)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for row in range(1, rows + 1):
                writer.writerow([f"F{number}-INV-{row:07}",
                                 f"C{chance.randint(1, CUSTOMERS):04}",
                                 f"2025-{chance.randint(1, 12):02}-{chance.randint(1, 28):02}",
                                 f"{chance.randint(1, 10_000_000) / 100:.2f}",
                                 f"PO-{row}", chance.choice(LOCATIONS)])
    return paths


def make_app(database_url, redis_url, queue_name):
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from config import normalise_database_url
    return create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
                       "REDIS_URL": redis_url, "QUEUE_NAME": queue_name, "TESTING": True,
                       "MAIL_ENABLED": False, "MAX_CONTENT_LENGTH": 4 * 1024 ** 3})


def store(app, paths):
    """The bench distributor's world on the freshly reset database, and the files stored
    (each queued)."""
    from app.services.imports import create_import
    with app.app_context():
        dist = fresh_world(drop=False)
        ids = []
        for path in paths:
            with open(path, "rb") as handle:
                ids.append(create_import(dist, MODULE, path.name, handle).id)
        return ids


def check(app, ids, rows):
    """Every file archived whole, every invoice there once; the seconds from the first
    file's start to the last one's end (the processing, the workers' start-up left out)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import ImportFile, OpenInvoice
    with app.app_context():
        states = [(str(i.status), i.accepted, i.rejected) for i in
                  (db.session.get(ImportFile, n) for n in ids)]
        invoices = db.session.scalar(select(func.count()).select_from(OpenInvoice))
        first, last = db.session.execute(
            select(func.min(ImportFile.started_at), func.max(ImportFile.finished_at))
            .where(ImportFile.id.in_(ids))).one()
    wrong = [s for s in states if s != ("archived", rows, 0)]
    if wrong or invoices != rows * len(ids):
        raise SystemExit(f"COUNTS WRONG: {states} invoices={invoices}")
    return (last - first).total_seconds()


def busy_cores():
    """Cores' busy seconds so far, from /proc/stat (None where there is none): what the
    workers and PostgreSQL together use of the machine."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


SERVER_WORK = ("SELECT checkpoints_timed + checkpoints_req, buffers_backend, buffers_checkpoint,"
               " (SELECT wal_bytes FROM pg_stat_wal) FROM pg_stat_bgwriter")


def server_work(url):
    """The server's checkpoints, buffers written by the sessions themselves and by the
    checkpointer, and WAL bytes so far: work that may fall into either round."""
    conn, _ = _pg_admin(url)
    with conn:
        return conn.execute(SERVER_WORK).fetchone()


def checkpoint(url):
    """Each round starts from a clean server: what the previous round and the storing of
    the files left dirty is written now, not by a checkpoint in the middle of a round."""
    conn, _ = _pg_admin(url)
    with conn:
        conn.execute("CHECKPOINT")


def round_with(workers, args, paths):
    reset_postgres(args.postgres_url)
    queue_name = f"muara-bench-{uuid.uuid4().hex[:8]}"
    app = make_app(args.postgres_url, args.redis_url, queue_name)
    ids = store(app, paths)
    env = dict(os.environ, DATABASE_URL=args.postgres_url, REDIS_URL=args.redis_url,
               MUARA_QUEUE=queue_name, MUARA_EMBEDDED_WORKER="false")
    checkpoint(args.postgres_url)
    work_before = server_work(args.postgres_url)
    started, busy_before = time.perf_counter(), busy_cores()
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "muara",
                               "worker", "--burst"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    codes = [proc.wait() for proc in procs]
    seconds = time.perf_counter() - started
    if busy_before is not None:
        print(f"{workers} worker(s): the machine's cores were busy "
              f"{(busy_cores() - busy_before) / seconds:.2f} of {os.cpu_count()} on average")
    work = [after - before for before, after in
            zip(work_before, server_work(args.postgres_url), strict=True)]
    print(f"{workers} worker(s): the server made {work[0]} checkpoint(s), its sessions "
          f"wrote {work[1]:,} buffers, the checkpointer {work[2]:,}; "
          f"{work[3] / 1024 ** 2:,.0f} MB of WAL")
    if any(codes):
        raise SystemExit(f"a worker failed: {codes}")
    processing = check(app, ids, args.rows)
    with app.app_context():
        from app.extensions import db
        db.engine.dispose()
    return seconds, processing


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--postgres-url",
                        default="postgresql://postgres@127.0.0.1:5432/muara_bench_workers")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--out", default=str(ROOT / "bench-out"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    paths = write_files(out, args.files, args.rows)
    times = {}
    try:
        for workers in (int(w) for w in args.workers.split(",")):
            log(f"{workers} worker(s): {args.files} files of {args.rows:,} rows ...")
            times[workers] = round_with(workers, args, paths)
            wall, processing = times[workers]
            print(f"{workers} worker(s): {wall:.1f} s ({args.files * args.rows / wall:,.0f} "
                  f"rows/s); first file started to last file ended {processing:.1f} s")
    finally:
        reset_postgres(args.postgres_url, drop_only=True)
    if 1 in times and 2 in times:
        print(f"2 workers vs 1: {times[1][0] / times[2][0]:.2f}x wall, "
              f"{times[1][1] / times[2][1]:.2f}x from the first file's start to the last "
              f"one's end (target >= 1.85x); {os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
