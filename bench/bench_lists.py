#!/usr/bin/env python3
"""List screens benchmark (issue 14, "Screens at ten million rows"): the Open Invoices
list of one distributor holding N invoices over 5,000 customers, through the Flask test
client signed in as the distributor's importer (tenancy, count, page, choices and
template rendering included; no network).

    python bench/bench_lists.py --rows 1000000                         # SQLite
    python bench/bench_lists.py --rows 10000000 --database postgresql  # own database
    python bench/bench_lists.py --rows 1000000 --reuse                 # keep the seeded data

The data: a fresh schema (drop everything, app.setup.init_database), one distributor
with 5,000 customers, N invoices written by one INSERT ... SELECT in the database
(dates over 2,000 days, customers round robin), then ANALYZE (and VACUUM on
PostgreSQL). Not timed. Each screen is requested twice to warm up, then 20 times;
p50/p95/max in milliseconds against the 300 ms target (p95, warm, one user):

- first page; a deep page (page 2,000: rows 50,001-50,025);
- Customer PO "Equal to" one PO; an Invoice Date range of a month; one customer.
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

SEED_POSTGRESQL = """
INSERT INTO open_invoice (organization_id, reference, customer_id, invoice_date, balance,
                          customer_po, carrier)
SELECT :org, 'INV-' || g, :first_customer + (g % :customers),
       DATE '2019-01-01' + (g % 2000), 10, 'PO-' || g, 'No Carrier'
FROM generate_series(1, :rows) AS g
"""
SEED_SQLITE = """
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :rows)
INSERT INTO open_invoice (organization_id, reference, customer_id, invoice_date, balance,
                          customer_po, carrier)
SELECT :org, 'INV-' || n, :first_customer + (n % :customers),
       date('2019-01-01', '+' || (n % 2000) || ' days'), 10, 'PO-' || n, 'No Carrier'
FROM g
"""


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
        db.session.flush()
        first = db.session.execute(text("SELECT min(id) FROM customer")).scalar()
        postgresql = db.engine.dialect.name == "postgresql"
        started = time.perf_counter()
        db.session.execute(text(SEED_POSTGRESQL if postgresql else SEED_SQLITE),
                           {"org": dist.id, "first_customer": first,
                            "customers": CUSTOMERS, "rows": rows})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if postgresql else "ANALYZE")
        print(f"seeded {rows:,} invoices in {time.perf_counter() - started:.0f} s")
        return first


def filter_number(app, column, filter_class):
    view = next(v for v in app.appbuilder.baseviews if v.route_base == "/openinvoiceview")
    names = [type(f).__name__ for f in view._filters.get_search_filters()[column]]
    return f"_flt_{names.index(filter_class)}_{column}"


def screens(app, first_customer):
    return {
        "first page": {},
        "deep page (2,000)": {"page_OpenInvoiceView": 2000},
        "Customer PO": {filter_number(app, "customer_po", "FilterEqual"): "PO-123457"},
        "Invoice Date range": {
            filter_number(app, "invoice_date", "FilterGreater"): "2023-01-01",
            filter_number(app, "invoice_date", "FilterSmaller"): "2023-02-01"},
        "customer": {filter_number(app, "customer", "FilterRelationOneToManyEqual"):
                     first_customer + 1234},
    }


def time_screen(client, args, requests):
    times = []
    for n in range(requests + 2):
        started = time.perf_counter()
        response = client.get("/openinvoiceview/list/", query_string=args)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if n >= 2:  # two warm-ups
            times.append(elapsed)
    times.sort()
    return {"p50": statistics.median(times),
            "p95": times[max(0, round(0.95 * len(times)) - 1)], "max": times[-1],
            "kb": len(response.data) / 1024}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--requests", type=int, default=20)
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
    if options.reuse and have == options.rows:
        with app.app_context():
            first = db.session.execute(text("SELECT min(id) FROM customer")).scalar()
    else:
        first = seed(app, options.rows)
    client = app.test_client()
    signed_in = client.post("/login/", data={"username": "lister", "password": PASSWORD})
    assert signed_in.status_code == 302, "sign-in failed"
    print(f"\nOpen Invoices, {options.rows:,} invoices of one distributor, {CUSTOMERS:,} "
          f"customers, {options.database}; {options.requests} warm requests each")
    print(f"{'screen':<20} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'page KB':>8}  target")
    for name, args in screens(app, first).items():
        result = time_screen(client, args, options.requests)
        verdict = "ok" if result["p95"] < TARGET_MS else f">= {TARGET_MS} ms"
        print(f"{name:<20} {result['p50']:>8.0f} {result['p95']:>8.0f} {result['max']:>8.0f}"
              f" {result['kb']:>8.0f}  {verdict}")


if __name__ == "__main__":
    main()
