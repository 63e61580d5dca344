#!/usr/bin/env python3
"""List screens benchmark (issue 14, "Screens at ten million rows"): the big list screens
of a distributor, its principal and an Admin over N open invoices, N/100 files, N/10
rejections and N/10 consolidated sales orders, through the Flask test client signed in
as each (tenancy, count, page, choices and template rendering included; no network).

    python bench/bench_lists.py --rows 1000000                         # SQLite
    python bench/bench_lists.py --rows 10000000 --database postgresql  # own database
    python bench/bench_lists.py --rows 1000000 --reuse                 # keep the seeded data

The data: a fresh schema (drop everything, app.setup.init_database), one distributor
with 5,000 customers connected to one principal; N invoices written by one INSERT ...
SELECT in the database (dates over 2,000 days, customers round robin, each from one of
the N/100 files, all shared with the principal), the files' N/10 rejections and N/10
consolidated sales orders; then ANALYZE (and VACUUM on PostgreSQL). Not timed. Each
screen is requested twice to warm up, then 20 times; p50/p95/max in milliseconds
against the 300 ms target (p95, warm, one user):

- Open Invoices (distributor): first page; a deep page (page 2,000: rows 50,001-50,025);
  Customer PO "Equal to" one PO; an Invoice Date range of a month; one customer;
- Open Invoices of the principal and of an Admin: first page, deep page, Customer PO,
  date range;
- Files, Rejection Log, Consolidated Sales Orders (the principal's and the Admin's):
  first page, deep page, and each list's common filter.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "bench-out" / "lists.db"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/muara_bench_screens"
CUSTOMERS = 5_000
TARGET_MS = 300
PASSWORD = "correct-horse-42"

# Each statement reads a series g = 1..:rows ({series} is the dialect's).
SERIES = {
    "postgresql": ("", "generate_series(1, CAST(:rows AS integer)) AS s(g)"),
    "sqlite": ("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
               "WHERE g < :rows) ", "s"),
}
DATE_PLUS = {"postgresql": "DATE '2019-01-01' + CAST({days} AS integer)",
             "sqlite": "date('2019-01-01', '+' || ({days}) || ' days')"}
TIME_PLUS = {"postgresql": "TIMESTAMP '2020-01-01' + ({minutes}) * INTERVAL '1 minute'",
             "sqlite": "datetime('2020-01-01', '+' || ({minutes}) || ' minutes')"}
SEEDS = [
    # files: one a day-ish, all of the distributor, shared with the principal
    ("import_file", """
INSERT INTO import_file (organization_id, principal_id, module, filename, size, sha256,
                         uploaded_at, forced, source, status, rows_total, rows_done,
                         accepted, rejected, run_batches, result_seen, dry_run)
SELECT :org, :principal, 'open_invoices', 'invoices-' || g || '.csv', 5500, 'sha-' || g,
       {time_files}, false, 'screen', 'needs_attention', 100, 100, 90, 10, 1, true, false
FROM {series}"""),
    ("open_invoice", """
INSERT INTO open_invoice (organization_id, reference, customer_id, invoice_date, balance,
                          customer_po, carrier, principal_id, import_id)
SELECT :org, 'INV-' || g, :first_customer + (g % :customers), {date_invoices}, 10,
       'PO-' || g, 'No Carrier', :principal, :first_file + (g % :files)
FROM {series}"""),
    ("import_rejection", """
INSERT INTO import_rejection (organization_id, import_id, module, row, "column", value,
                              reason, message, severity, resolved)
SELECT :org, :first_file + (g % :files), 'open_invoices', 2 + g / :files, 'Customer Code',
       'X' || g, 'unknown_customer', 'No customer with this code', 'error', false
FROM {series}"""),
    ("sales_order", """
INSERT INTO sales_order (organization_id, principal_id, file_id, consolidated_at, number,
                         line_count, total, customer_id, order_date)
SELECT :org, :principal, :first_file + (g % :files), {time_orders}, 'SO-' || g, 1, 100,
       :first_customer + (g % :customers), {date_orders}
FROM {series}"""),
]
ROWS_PER = {"import_file": 100, "open_invoice": 1, "import_rejection": 10, "sales_order": 10}


def seed_statement(dialect, table, template):
    prefix, series = SERIES[dialect]
    return prefix + template.format(
        series=series,
        time_files=TIME_PLUS[dialect].format(minutes="g * 7"),
        time_orders=TIME_PLUS[dialect].format(minutes="g"),
        date_invoices=DATE_PLUS[dialect].format(days="g % 2000"),
        date_orders=DATE_PLUS[dialect].format(days="g % 2000")).strip()


def make_app(database_url):
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from config import normalise_database_url
    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "MAIL_ENABLED": False,
        "REDIS_URL": None,
        "EMBEDDED_WORKER": False,
        "EMBEDDED_SCHEDULER": False,
        "WTF_CSRF_ENABLED": False,
    })


def seeded_rows(db, OpenInvoice):
    from sqlalchemy import func, inspect, select
    if not inspect(db.engine).has_table("open_invoice"):
        return 0
    return db.session.execute(select(func.count()).select_from(OpenInvoice)).scalar()


def seed(app, rows):
    """Fresh schema, the distributor, its customers, `rows` invoices, statistics."""
    from sqlalchemy import MetaData, insert, text

    from app.extensions import db
    from app.models import Customer
    from app.security import roles
    from app.services import directory
    from app.setup import init_database
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # Everything, the migrations' functions and triggers included.
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        else:
            metadata = MetaData()
            metadata.reflect(bind=db.engine)
            metadata.drop_all(bind=db.engine)
        init_database()
        dist = directory.add_org("BENCH-DIST", "Bench Distributor", "distributor")
        directory.add_org("BENCH-PRIN", "Bench Principal", "principal")
        directory.connect("BENCH-DIST", "BENCH-PRIN", active=True)
        directory.add_user("lister", "BENCH-DIST", roles.IMPORTER, "lister@example.test",
                           PASSWORD)
        db.session.execute(insert(Customer), [
            {"organization_id": dist.id, "code": f"C{n:05}", "name": f"Customer {n}",
             "balance": 0} for n in range(CUSTOMERS)])
        directory.add_user("plister", "BENCH-PRIN", roles.PRINCIPAL, "plister@example.test",
                           PASSWORD)
        directory.add_user("alister", None, roles.ADMIN, "alister@example.test", PASSWORD)
        db.session.flush()
        first = db.session.execute(text("SELECT min(id) FROM customer")).scalar()
        principal = db.session.execute(
            text("SELECT id FROM organization WHERE code = 'BENCH-PRIN'")).scalar()
        dialect = db.engine.dialect.name
        files = max(1, rows // ROWS_PER["import_file"])
        started = time.perf_counter()
        first_file = None
        for table, template in SEEDS:
            db.session.execute(text(seed_statement(dialect, table, template)), {
                "org": dist.id, "principal": principal, "first_customer": first,
                "customers": CUSTOMERS, "rows": max(1, rows // ROWS_PER[table]),
                "files": files, "first_file": first_file})
            if table == "import_file":
                first_file = db.session.execute(text("SELECT min(id) FROM import_file")).scalar()
        db.session.commit()
        postgresql = dialect == "postgresql"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if postgresql else "ANALYZE")
        print(f"seeded {rows:,} invoices in {time.perf_counter() - started:.0f} s")
        return first


def filter_number(app, column, filter_class, route="/openinvoiceview"):
    view = next(v for v in app.appbuilder.baseviews if v.route_base == route)
    names = [type(f).__name__ for f in view._filters.get_search_filters()[column]]
    return f"_flt_{names.index(filter_class)}_{column}"


def invoice_screens(app, first_customer, who, customer=True):
    po = filter_number(app, "customer_po", "FilterEqual")
    since = filter_number(app, "invoice_date", "FilterGreater")
    until = filter_number(app, "invoice_date", "FilterSmaller")
    screens = [
        (who, "Open Invoices: first page", "/openinvoiceview/list/", {}),
        (who, "Open Invoices: page 2,000", "/openinvoiceview/list/",
         {"page_OpenInvoiceView": 2000}),
        (who, "Open Invoices: Customer PO", "/openinvoiceview/list/", {po: "PO-123457"}),
        (who, "Open Invoices: date range", "/openinvoiceview/list/",
         {since: "2023-01-01", until: "2023-02-01"})]
    if customer:
        screens.append((who, "Open Invoices: a customer", "/openinvoiceview/list/",
                        {filter_number(app, "customer", "FilterRelationOneToManyEqual"):
                         first_customer + 1234}))
    return screens


def screens(app, first_customer, first_file):
    """(user, screen, url, query) of every timed request."""
    since = filter_number(app, "order_date", "FilterGreater", "/salesorderview")
    until = filter_number(app, "order_date", "FilterSmaller", "/salesorderview")
    of_file = filter_number(app, "import_file", "FilterRelationOneToManyEqual",
                            "/rejections")
    status = filter_number(app, "status", "FilterEqual", "/imports")
    lists = []
    for who in ("lister", "plister", "alister"):
        lists += invoice_screens(app, first_customer, who, customer=who == "lister")
        lists += [(who, "Files: first page", "/imports/list/", {}),
                  (who, "Files: page 2,000", "/imports/list/", {"page_ImportFileView": 2000}),
                  (who, "Files: Needs attention", "/imports/list/",
                   {status: "needs_attention"})]
        if who != "plister":  # the principal has no Rejection Log
            lists += [
                (who, "Rejection Log: first page", "/rejections/list/", {}),
                (who, "Rejection Log: page 2,000", "/rejections/list/",
                 {"page_ImportRejectionView": 2000}),
                (who, "Rejection Log: one file", "/rejections/list/",
                 {of_file: first_file + 4321})]
        if who != "lister":  # the distributor's consolidated data is its principal's
            lists += [
                (who, "Sales Orders: first page", "/salesorderview/list/", {}),
                (who, "Sales Orders: page 2,000", "/salesorderview/list/",
                 {"page_SalesOrderView": 2000}),
                (who, "Sales Orders: date range", "/salesorderview/list/",
                 {since: "2023-01-01", until: "2023-02-01"})]
    return lists


def time_screen(client, url, args, requests):
    times = []
    for n in range(requests + 2):
        started = time.perf_counter()
        response = client.get(url, query_string=args)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, args, response.status_code)
        if n >= 2:  # two warm-ups
            times.append(elapsed)
    times.sort()
    return {"p50": statistics.median(times),
            "p95": times[max(0, round(0.95 * len(times)) - 1)], "max": times[-1],
            "kb": len(response.data) / 1024}


WHO = {"lister": "distributor", "plister": "principal", "alister": "Admin"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="", help="time only screens containing this text")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data if it already has --rows invoices")
    options = parser.parse_args()
    DEFAULT_SQLITE.parent.mkdir(exist_ok=True)
    url = (options.postgres_url if options.database == "postgresql"
           else f"sqlite:///{DEFAULT_SQLITE}")
    app = make_app(url)
    from sqlalchemy import text

    from app.extensions import db
    from app.models import OpenInvoice
    with app.app_context():
        have = seeded_rows(db, OpenInvoice)
    if not (options.reuse and have == options.rows):
        seed(app, options.rows)
    with app.app_context():
        first = db.session.execute(text("SELECT min(id) FROM customer")).scalar()
        first_file = db.session.execute(text("SELECT min(id) FROM import_file")).scalar()
    clients = {}
    for who in WHO:
        clients[who] = app.test_client()
        signed_in = clients[who].post("/login/", data={"username": who, "password": PASSWORD})
        assert signed_in.status_code == 302, f"sign-in of {who} failed"
    print(f"\n{options.rows:,} open invoices of one distributor ({CUSTOMERS:,} customers), "
          f"{options.rows // 100:,} files, {options.rows // 10:,} rejections, "
          f"{options.rows // 10:,} sales orders; {options.database}; {options.requests} warm "
          "requests each")
    print(f"{'user':<12} {'screen':<28} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
          f"{'KB':>5}  target")
    for who, name, path, args in screens(app, first, first_file):
        if options.only and options.only not in name:
            continue
        result = time_screen(clients[who], path, args, options.requests)
        verdict = "ok" if result["p95"] < TARGET_MS else f">= {TARGET_MS} ms"
        print(f"{WHO[who]:<12} {name:<28} {result['p50']:>7.0f} {result['p95']:>7.0f} "
              f"{result['max']:>7.0f} {result['kb']:>5.0f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
