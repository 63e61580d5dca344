"""A real `muara worker` killed in the middle of a consolidation (PostgreSQL + Redis): the
principal never sees half a file, the file is still waiting, and the next Sync All
consolidates it whole, once. (On SQLite the same fault is a rolled-back transaction:
test_consolidation.py.)

The worker is caught in the middle deterministically: the test holds an uncommitted
order with the same number as the file's fifth document, so the worker's transaction has
written the first four and waits on that row's lock when it is killed."""
import datetime as dt
import json
import time

import pytest
from sqlalchemy import create_engine, select, text, update

from app.extensions import db
from app.models import BackgroundTask, Customer, ImportFile, SalesOrder, SalesOrderLine
from app.models.tasks import TaskStatus
from app.queue import queue
from app.services import directory
from app.services.consolidation import request_sync_all
from tests.consolidation_helpers import file_state, import_file, order_file, portal
from tests.factories import count, needs_redis, worker_process


@needs_redis
def test_a_worker_killed_mid_consolidation_leaves_nothing_and_the_rerun_completes(
        app, redis_app, runner, tmp_path):  # noqa: F811
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL row locks to stop the worker mid-way; on SQLite the "
                    "same fault is a rollback (test_consolidation.py)")
    portal(app)
    rows = [[f"SO-{n}", "2025-02-01", "C001", "P001", n, 10, None] for n in range(1, 7)]
    import_id = import_file(runner, order_file(tmp_path, rows))["import_id"]
    with app.app_context():
        d1, p1 = directory.get_org("D1").id, directory.get_org("P1").id
        customer = db.session.execute(select(Customer.id).where(
            Customer.organization_id == d1, Customer.code == "C001")).scalar()

    blocking_engine = create_engine(url)
    blocker = blocking_engine.connect()
    held = blocker.begin()
    blocker.execute(SalesOrder.__table__.insert().values(
        organization_id=d1, principal_id=p1, number="SO-5", order_date=dt.date(2025, 1, 1),
        customer_id=customer, line_count=0, total=0, file_id=0,
        consolidated_at=dt.datetime(2025, 1, 1)))
    with redis_app.app_context():
        killed_task = request_sync_all(directory.get_org("P1")).id
    worker = worker_process(redis_app, burst=False)
    try:
        deadline = time.monotonic() + 60
        # Polled from its own autocommit connection: a transaction sees one snapshot of
        # pg_stat_activity.
        watcher = blocking_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        while not watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar():
            if time.monotonic() > deadline:
                worker.kill()
                with redis_app.app_context():
                    task = db.session.get(BackgroundTask, killed_task)
                    state = (task.status, task.error, task.result)
                pytest.fail(f"the worker never reached the held order: {state} "
                            f"{worker.communicate()[0][-3000:]}")
            assert worker.poll() is None
            time.sleep(0.1)
        # Mid-way: four orders are written inside the worker's transaction, none visible.
        assert count(app, SalesOrder) == 0
        worker.kill()  # SIGKILL: no clean-up of any kind
        worker.wait(timeout=30)
        watcher.close()
    finally:
        if worker.poll() is None:
            worker.kill()
        held.rollback()
        blocker.close()
        blocking_engine.dispose()

    # The dead worker's transaction never commits: its database session rolls back.
    engine = create_engine(url)
    deadline = time.monotonic() + 60
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
        while watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%' "
                "OR wait_event_type = 'Lock')")).scalar():
            assert time.monotonic() < deadline, "the killed worker's session stayed open"
            time.sleep(0.2)
    engine.dispose()
    assert count(app, SalesOrder) == 0
    assert file_state(app, import_id) == ("imported", 6, 0, 6)

    with redis_app.app_context():
        rerun = request_sync_all(directory.get_org("P1")).id
    proc = worker_process(redis_app)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    with redis_app.app_context():
        done = db.session.get(BackgroundTask, rerun)
        assert json.loads(done.result) == {"files": 1, "consolidated": 1, "failed": 0}
    assert file_state(app, import_id) == ("archived", 6, 0, 0)
    assert count(app, SalesOrder) == 6 and count(app, SalesOrderLine) == 6

    # The killed run, delivered again, finds nothing left to do.
    with redis_app.app_context():
        db.session.execute(update(BackgroundTask).where(BackgroundTask.id == killed_task)
                           .values(status=TaskStatus.queued, rq_job_id="muara-again"))
        db.session.commit()
        queue()._push(killed_task, "muara-again")
    proc = worker_process(redis_app)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    with redis_app.app_context():
        again = db.session.get(BackgroundTask, killed_task)
        assert json.loads(again.result) == {"files": 0, "consolidated": 0, "failed": 0}
        assert db.session.get(ImportFile, import_id).consolidated_records == 6
    assert count(app, SalesOrder) == 6 and count(app, SalesOrderLine) == 6
