#!/usr/bin/env python3
"""The ceiling of the per-row pipeline (issue 15): a hand-written loop doing the same
checks and writes as the import of the 6-column open-invoice file on SQLite, measured
side by side with the import itself, the bare read of the file and, with --cli, the
whole `muara import --wait` process (its peak memory, its JSON).

    python bench/bench_ceiling.py --rows 1000000                     # xlsx and csv, clean + 30%
    python bench/bench_ceiling.py --rows 100000 --formats csv --repeat 3 --cli

The hand loop (`hand` child) reads the file with python-calamine (.xlsx) or the csv
module (.csv) and per row does what the import does for this template, nothing else:
text trimmed and at most 20 characters (Invoice #, Customer PO), the customer and the
location looked up in dicts of the organization's codes (location required: the bench
distributor has several), the date a date cell or YYYY-MM-DD text, the balance a
number with at most 3 decimals (as Excel shows it: 15 digits), the Invoice # unique in
the file. Per batch of 20,000 rows, in one transaction, the same SQL as the import:
the counters of the import row, the open_invoice upsert (INSERT ... ON CONFLICT DO
UPDATE), the invoices' Additional Charge lines, the before-images (undo) and the
rejection log. Each case starts from the same stored file in a fresh schema
(bench_import's "store" child); every process is pinned to one CPU.

Figures: besides the table, the last stdout lines are JSON lines
{"figure", "value", "unit", "against", "against_value", "ratio", "target", "met"}
(bench/run_all.py collects them). Ratios of times are medians of interleaved runs.
"""
import argparse
import csv
import datetime as dt
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from json.encoder import encode_basestring
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_import as bi  # noqa: E402 - the generator, the children, the lock

ROOT = bi.ROOT
BATCH = 20_000
MAX_LENGTH = 20  # Invoice #, Customer PO
DECIMALS = 3
RESULT_MARK = bi.RESULT_MARK
TARGETS = {"per_row": 1.3, "bare_read": 2.5, "xlsx_mb": 700, "csv_mb": 250,
           "rejected_cost": 2.0, "rejected_speed": 0.85}


# --- the hand-written loop ---------------------------------------------------------------

def _rows_xlsx(path):
    from python_calamine import CalamineWorkbook
    workbook = CalamineWorkbook.from_path(path)
    sheet = workbook.get_sheet_by_index(0)
    workbook.close()
    rows = sheet.iter_rows()
    next(rows)  # the header
    return rows


def _rows_csv(path):
    handle = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - read to the end
    rows = csv.reader(handle)
    next(rows)
    return rows


_PLAIN = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{0,3})?\Z").match


def _text(value):
    if value.__class__ is not str:
        if value is None or value == "":
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    text = value.strip()
    return text or None


def _date(value):
    if value.__class__ is dt.date:
        return value
    if value.__class__ is dt.datetime:
        return value.date()
    if value.__class__ is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return dt.date.fromisoformat(value)
    raise ValueError


def _balance(value):
    if value.__class__ is float:
        number = Decimal(format(value, ".15g"))
        if number.as_tuple().exponent < -DECIMALS:
            raise ValueError
        return number
    if value.__class__ is str and _PLAIN(value) is not None:
        return Decimal(value)
    raise ValueError


def hand_loop(path, fmt, db_path, import_id, org_id):
    """Every row checked, every batch written; returns (rows, accepted, rejected)."""
    con = sqlite3.connect(db_path)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL",
                   "cache_size=-16384", "wal_autocheckpoint=10000"):  # as app.extensions
        con.execute(f"PRAGMA {pragma}")
    customers = dict(con.execute("SELECT code, id FROM customer WHERE organization_id = ?",
                                 (org_id,)))
    locations = dict(con.execute("SELECT code, id FROM location WHERE organization_id = ?",
                                 (org_id,)))
    principal_id = con.execute("SELECT principal_id FROM import_file WHERE id = ?",
                               (import_id,)).fetchone()[0]
    module = "open_invoices"
    upsert = (
        'INSERT INTO "open_invoice" ("organization_id", "import_id", "principal_id", '
        '"carrier", "reference", "customer_id", "invoice_date", "balance", "customer_po", '
        '"location_id") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT '
        '("organization_id", "reference") DO UPDATE SET "customer_id" = excluded."customer_id", '
        '"invoice_date" = excluded."invoice_date", "balance" = excluded."balance", '
        '"customer_po" = excluded."customer_po", "location_id" = excluded."location_id", '
        '"carrier" = excluded."carrier", "import_id" = excluded."import_id", '
        '"principal_id" = excluded."principal_id"')
    images = ("INSERT INTO import_before_image (import_id, table_name, record_id, before) "
              "SELECT ?, 'open_invoice', id, {image} FROM open_invoice WHERE "
              "organization_id = ? AND reference IN (SELECT value FROM json_each(?)) "
              "ON CONFLICT DO NOTHING")
    restored = ('json_array("customer_id", "invoice_date", "balance", "customer_po", '
                '"location_id", "carrier", "import_id", "principal_id")')
    charge = ("INSERT INTO invoice_charge (invoice_id, kind, amount) "
              "SELECT id, 'Additional Charge', balance FROM open_invoice WHERE id > ? "
              "ON CONFLICT (invoice_id, kind) DO UPDATE SET amount = excluded.amount")
    reject_sql = ('INSERT INTO "import_rejection" ("import_id", "organization_id", "module", '
                  '"row", "column", "field", "value", "reason", "message", "original", '
                  '"resolved", "natural_key") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    counters = ("UPDATE import_file SET run_batches = run_batches + 1, "
                "rows_done = rows_done + ?, accepted = accepted + ?, rejected = rejected + ? "
                "WHERE id = ?")
    fixed = (org_id, import_id, principal_id, "No Carrier")
    seen = {}
    records, rejections, keys = [], [], []
    totals = [0, 0, 0]

    def write(rows, accepted, rejected):
        con.execute(counters, (rows, accepted, rejected, import_id))
        if records:
            last_id = con.execute("SELECT max(id) FROM open_invoice").fetchone()[0] or 0
            keys_json = json.dumps(keys)
            con.execute(images.format(image=restored), (import_id, org_id, keys_json))
            con.executemany(upsert, records)
            con.execute(images.format(image="NULL"), (import_id, org_id, keys_json))
            con.execute(charge, (last_id,))
        if rejections:
            con.executemany(reject_sql, rejections)
        con.commit()
        records.clear()
        rejections.clear()
        keys.clear()
        totals[0] += rows
        totals[1] += accepted
        totals[2] += rejected

    def rejected_row(number, column, field, value, reason, message, cells):
        original = json.dumps([c.isoformat() if isinstance(c, (dt.date, dt.datetime)) else c
                               for c in cells])
        # The row's natural key (its Invoice #) when that is valid, as the import keeps it.
        reference = _text(cells[0])
        key = (f"[{encode_basestring(reference)}]"
               if reference is not None and len(reference) <= MAX_LENGTH else None)
        rejections.append((import_id, org_id, module, number, column, field,
                           None if value is None else str(value), reason, message,
                           original, False, key))

    rows = _rows_xlsx(path) if fmt == "xlsx" else _rows_csv(path)
    batch_rows = accepted = rejected = 0
    for number, cells in enumerate(rows, start=2):
        if len(cells) < 6:
            cells = list(cells) + [""] * (6 - len(cells))
        problem = None
        reference = _text(cells[0])
        if reference is None:
            problem = ("Invoice #", "reference", None, "required", "Invoice # is required.")
        elif len(reference) > MAX_LENGTH:
            problem = ("Invoice #", "reference", reference, "too_long", "too long")
        customer = _text(cells[1])
        customer_id = customers.get(customer)
        if problem is None and customer_id is None:
            problem = ("Customer Code", "customer", customer, "unknown_customer", "unknown")
        try:
            invoice_date = _date(cells[2])
        except ValueError:
            invoice_date = None
            if problem is None:
                problem = ("Invoice Date", "invoice_date", cells[2], "invalid_date", "date")
        try:
            balance = _balance(cells[3])
        except (ValueError, ArithmeticError):
            balance = None
            if problem is None:
                reason = ("too_many_decimals" if cells[3].__class__ is float
                          else "invalid_number")
                problem = ("Invoice Balance", "balance", cells[3], reason, "number")
        po = _text(cells[4])
        if problem is None and po is not None and len(po) > MAX_LENGTH:
            problem = ("Customer PO", "customer_po", po, "too_long", "too long")
        location = _text(cells[5])
        location_id = locations.get(location) if location is not None else None
        if problem is None and location is None:
            problem = ("Location Code", "location", None, "required", "required")
        elif problem is None and location_id is None:
            problem = ("Location Code", "location", location, "unknown_location", "unknown")
        if problem is None:
            first = seen.setdefault(reference, number)
            if first != number:
                problem = ("Invoice #", "reference", reference, "duplicate_in_file", "dup")
        batch_rows += 1
        if problem is None:
            accepted += 1
            keys.append(reference)
            records.append((*fixed, reference, customer_id, invoice_date.isoformat(),
                            float(balance), po, location_id))
        else:
            rejected += 1
            rejected_row(number, *problem, cells)
        if batch_rows >= BATCH:
            write(batch_rows, accepted, rejected)
            batch_rows = accepted = rejected = 0
    write(batch_rows, accepted, rejected)
    # Every customer's balance: its open invoices less its credits, in one grouped pass.
    con.execute("UPDATE customer SET balance = 0 WHERE organization_id = ? AND balance != 0",
                (org_id,))
    con.execute("UPDATE customer SET balance = totals.total FROM (SELECT customer_id, "
                "sum(amount) AS total FROM (SELECT customer_id, balance AS amount FROM "
                "open_invoice WHERE organization_id = ? UNION ALL SELECT customer_id, "
                "-amount FROM balance_adjustment WHERE organization_id = ?) "
                "GROUP BY customer_id) AS totals WHERE customer.id = totals.customer_id",
                (org_id, org_id))
    con.commit()
    con.close()
    return tuple(totals)


def child_hand(args):
    from urllib.parse import urlparse
    db_path = urlparse(args["database_url"]).path
    db_path = db_path[1:] if db_path.startswith("//") else db_path
    con = sqlite3.connect(db_path)
    org_id = con.execute("SELECT organization_id FROM import_file WHERE id = ?",
                         (args["import_id"],)).fetchone()[0]
    con.close()
    started = time.perf_counter()
    rows, accepted, rejected = hand_loop(args["file"], args["format"], db_path,
                                         args["import_id"], org_id)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "accepted": accepted, "rejected": rejected,
            "peak_mb": bi.peak_mb()}


def child_world(args):
    """The bench distributor's world in a fresh schema, no file stored (for --cli)."""
    app = bi.make_app(args["database_url"])
    with app.app_context():
        bi.fresh_world()
    return {"ok": True}


def run_cli_import(path, database_url, instance, cpu):
    """The whole `muara import --wait` process: (seconds, its own peak MB, its JSON)."""
    env = dict(os.environ, DATABASE_URL=database_url, MUARA_INSTANCE=instance,
               MUARA_MAX_UPLOAD_MB="4096", MUARA_LOG_LEVEL="WARNING")
    env.pop("REDIS_URL", None)
    # Through a wrapper whose only child is the command: its RUSAGE_CHILDREN peak is the
    # command's own (this process's would be the largest of every child it ran).
    wrapper = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "file=sys.stderr); sys.exit(code)")
    # `muara import` (the launcher, app/__main__.py): the same command as
    # `flask --app run muara import` without flask's plugin commands.
    command = [sys.executable, "-c", wrapper, sys.executable, "-m", "app", "import",
               str(path), "--module", bi.MODULE, "--org", "BENCH-DIST", "--wait"]
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=preexec)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak = int(err.decode().strip().splitlines()[-1]) / 1024  # the wrapper's last line, KB
    if proc.returncode != 0:
        bi.log(err.decode(errors="replace")[-3000:])
        raise RuntimeError(f"muara import exited {proc.returncode}")
    return seconds, peak, json.loads(out)


# --- the run -----------------------------------------------------------------------------

def figure(name, value, unit, against, against_value, ratio, target, met):
    return {"figure": name, "value": value, "unit": unit, "against": against,
            "against_value": against_value, "ratio": None if ratio is None else round(ratio, 3),
            "target": target, "met": met}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--reject-rates", default="0,0.3")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (medians)")
    parser.add_argument("--cli", action="store_true",
                        help="also run the whole `muara import --wait` process (memory, JSON)")
    parser.add_argument("--out", default=str(ROOT / "bench-out"))
    parser.add_argument("--cpu", default="auto")
    parser.add_argument("--regenerate", action="store_true")
    return parser.parse_args(argv)


def measure(opts, fmt, rate, out, instance, cpu):
    path, meta = bi.data_file(out, fmt, opts.rows, rate, opts.regenerate)
    payload = {"file": str(path), "format": fmt, "instance": str(instance),
               "database_url": bi.sqlite_url(out)}
    times = {"read": [], "hand": [], "job": []}
    peaks = {"job": [], "hand": []}
    label = f"{fmt} {opts.rows:,} rows, {rate:.0%} rejected"
    for round_no in range(opts.repeat):
        times["read"].append(run_child("read", payload, cpu)["seconds"])
        for mode in ("hand", "job"):  # each from the same stored file, fresh schema
            bi.reset_sqlite(out)
            stored = run_child("store", payload)
            result = run_child(mode, dict(payload, import_id=stored["import_id"]), cpu)
            if mode == "job":
                summary = result["summary"]
                accepted, rejected = summary["accepted"], summary["rejected"]
            else:
                accepted, rejected = result["accepted"], result["rejected"]
            if (accepted, rejected) != (meta["expected_accepted"], meta["expected_rejected"]):
                raise SystemExit(f"{label}, {mode}: {accepted} accepted, {rejected} rejected; "
                                 f"the file has {meta['expected_accepted']} and "
                                 f"{meta['expected_rejected']}")
            times[mode].append(result["seconds"])
            peaks[mode].append(result["peak_mb"])
        bi.log(f"{label}, round {round_no + 1}: read {times['read'][-1]:.2f} s, hand "
               f"{times['hand'][-1]:.2f} s, import job {times['job'][-1]:.2f} s")
    case = {"format": fmt, "rate": rate, "rows": opts.rows,
            **{f"{k}_s": statistics.median(v) for k, v in times.items()},
            "job_peak_mb": max(peaks["job"]), "hand_peak_mb": max(peaks["hand"])}
    if opts.cli:
        bi.reset_sqlite(out)
        run_child("world", payload)
        seconds, peak, data = run_cli_import(path, bi.sqlite_url(out), str(instance), cpu)
        case.update(cli_s=seconds, cli_peak_mb=peak, cli_listed=len(data["rejections"]),
                    cli_rejected=data["rejected"], cli_more=data.get("rejections_more", 0))
        bi.log(f"{label}: muara import --wait {seconds:.1f} s, peak {peak:.0f} MB, "
               f"{data['rejected']:,} rejected, {len(data['rejections'])} listed, "
               f"{data.get('rejections_more', 0):,} more")
    return case


def run_child(mode, payload, cpu=None):
    """bench_import's run_child, running this script (which knows every child)."""
    env = dict(os.environ, MUARA_INSTANCE=payload["instance"])
    env.setdefault("MUARA_LOG_LEVEL", "WARNING")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode,
               json.dumps(payload)]
    preexec = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    proc = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
    lines = proc.stdout.splitlines()
    result = next((json.loads(line[len(RESULT_MARK):]) for line in lines
                   if line.startswith(RESULT_MARK)), None)
    if proc.returncode != 0 or result is None:
        bi.log("\n".join(proc.stderr.splitlines()[-30:]))
        raise RuntimeError(f"{mode} process failed (exit {proc.returncode})")
    return result


def figures_of(cases, rows):
    lines = []
    by = {(c["format"], c["rate"]): c for c in cases}
    for (fmt, rate), c in sorted(by.items()):
        n = c["rows"]
        if rate == 0:
            ratio = c["job_s"] / c["hand_s"]
            lines.append(figure(f"per_row_{fmt}_{n}", round(n / c["job_s"]), "rows/s",
                                f"hand loop ({'python-calamine' if fmt == 'xlsx' else 'csv'}"
                                " + sqlite3, same checks and writes)", round(n / c["hand_s"]),
                                ratio, f"import time <= {TARGETS['per_row']}x hand loop",
                                ratio <= TARGETS["per_row"]))
            if fmt == "xlsx":
                ratio = c["job_s"] / c["read_s"]
                lines.append(figure(f"xlsx_vs_bare_read_{n}", round(n / c["job_s"]), "rows/s",
                                    "bare python-calamine read", round(n / c["read_s"]), ratio,
                                    f"import time <= {TARGETS['bare_read']}x bare read",
                                    ratio <= TARGETS["bare_read"]))
        if "cli_peak_mb" in c:
            limit = TARGETS[f"{fmt}_mb"]
            lines.append(figure(f"memory_{fmt}_{n}_r{rate:g}", round(c["cli_peak_mb"]), "MB",
                                "limit", limit, c["cli_peak_mb"] / limit,
                                f"whole muara import process < {limit} MB",
                                c["cli_peak_mb"] < limit))
        clean = by.get((fmt, 0))
        if rate and clean:
            speed = c["rows"] / c["job_s"] / (clean["rows"] / clean["job_s"])
            lines.append(figure(f"rejected_{rate:.0%}_speed_{fmt}_{n}", round(n / c["job_s"]),
                                "rows/s", "clean file's import", round(n / clean["job_s"]),
                                speed, f">= {TARGETS['rejected_speed']}x clean speed",
                                speed >= TARGETS["rejected_speed"]))
            accepted_cost = clean["job_s"] / n
            rejected_cost = (c["job_s"] - (1 - rate) * n * accepted_cost) / (rate * n)
            ratio = rejected_cost / accepted_cost
            lines.append(figure(f"rejected_row_cost_{fmt}_{n}", round(rejected_cost * 1e6, 1),
                                "us/row", "accepted row", round(accepted_cost * 1e6, 1), ratio,
                                f"<= {TARGETS['rejected_cost']}x an accepted row",
                                ratio <= TARGETS["rejected_cost"]))
            if "cli_listed" in c and c["cli_rejected"] > 1000:
                ok = c["cli_listed"] == 1000 and c["cli_more"] == c["cli_rejected"] - 1000
                lines.append(figure(f"wait_json_rejections_{fmt}_{n}", c["cli_listed"],
                                    "listed", "rejected", c["cli_rejected"], None,
                                    "first 1,000 listed and rejections_more", ok))
    return lines


def main(argv=None):
    opts = parse_args(argv)
    out = Path(opts.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    lock = bi.hold_lock(out)  # noqa: F841 - held while this process runs
    instance = out / "instance"
    instance.mkdir(exist_ok=True)
    cpu = bi.pick_cpu(opts.cpu)
    formats = bi.split(opts.formats)
    rates = bi.split(opts.reject_rates, float)
    for fmt in formats:
        for rate in rates:
            bi.data_file(out, fmt, opts.rows, rate, opts.regenerate)
    cases = [measure(opts, fmt, rate, out, instance, cpu) for fmt in formats for rate in rates]
    bi.reset_sqlite(out)
    print(f"{'case':<28} {'bare read':>12} {'hand loop':>12} {'import':>12} {'import/hand':>11}")
    for c in cases:
        n = c["rows"]
        print(f"{c['format'] + ' ' + format(n, ',') + ' r' + format(c['rate'], 'g'):<28} "
              f"{n / c['read_s']:>10,.0f}/s {n / c['hand_s']:>10,.0f}/s "
              f"{n / c['job_s']:>10,.0f}/s {c['job_s'] / c['hand_s']:>10.2f}x")
    (out / "ceiling.json").write_text(json.dumps({"cases": cases, "code": bi.code_version()},
                                                 indent=1))
    for line in figures_of(cases, opts.rows):
        print(json.dumps(line))
    return 0


bi.CHILDREN.update({"hand": child_hand, "world": child_world})

if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        outcome = bi.CHILDREN[sys.argv[2]](json.loads(sys.argv[3]))
        print(RESULT_MARK + json.dumps(outcome, default=str), flush=True)
    else:
        sys.exit(main())
