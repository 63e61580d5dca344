"""Sync Master Data against the local fake Accurate (real HTTP on loopback): how fast the
paging and upserts go, and what a resumed run costs.

    python bench/bench_service_pull.py --customers 10000 --page-size 100

On a fresh SQLite schema in a temp folder: connects through the OAuth code flow, runs one
Sync Master Data (all rows new), a second one (all rows updated), then a run with a 500
half-way through the customers and its resumed retry.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="muara-bench-sync-")
    os.environ["MUARA_INSTANCE"] = folder

    from app import create_app
    from app.extensions import db
    from app.services import service_links as links
    from app.services.directory import add_integration, add_org
    from app.services.service_pull import run_pull
    from app.setup import init_database
    from tests.fake_accurate import FakeAccurate, sample_data

    fake = FakeAccurate(data=sample_data(args.customers, args.items)).start()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                      "MAIL_ENABLED": False, "REDIS_URL": None,
                      **fake.settings(page_size=args.page_size)})
    with app.app_context(), app.test_request_context():
        init_database()
        add_org("BENCH", "Bench", "distributor")
        integration = add_integration("BENCH", "Accurate", "accurate")
        db.session.commit()
        redirect_uri = "http://127.0.0.1/service-links/callback"
        fake.codes["bench-code"] = redirect_uri
        links.finish_authorization(integration, "bench-code", redirect_uri)
        db.session.commit()
        rows = args.customers + args.items + 2 + 2 + 1 + 2 + 1

        def timed(label):
            started = time.perf_counter()
            run = run_pull(integration, "master_data")
            seconds = time.perf_counter() - started
            print(f"{label:28} {run.succeeded:>7} ok {run.failed:>3} failed {seconds:7.2f} s "
                  f"{run.succeeded / seconds:9.0f} docs/s  {run.message or ''}")
            return run

        print(f"{rows} documents, page size {args.page_size}, SQLite, fake Accurate on loopback")
        timed("first run (all new)")
        timed("second run (all updated)")
        half = (args.customers // args.page_size) // 2 + 1
        fake.fail_page = ("customer", half)
        timed(f"500 on customer page {half}")
        fake.fail_page = None
        timed("retry (resumes)")
    fake.stop()


if __name__ == "__main__":
    main()
