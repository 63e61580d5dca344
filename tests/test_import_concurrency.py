"""Exact at scale (issue 14), with real `muara worker` processes on PostgreSQL and Redis:
Re-process pressed twice at once, the same import queued twice for two workers, two
overlapping files in opposite row orders, a worker whose database connection drops in
the middle of an import, and a worker that holds no transaction between jobs. Each ends
with every record once and counters that add up.

Needs MUARA_TEST_DATABASE_URL (PostgreSQL) and MUARA_TEST_REDIS_URL; the claim and the
retries themselves are tested on any database in test_one_run.py."""
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from rq import Worker
from sqlalchemy import create_engine, func, select, text

from app import create_app
from app.errors import MuaraError
from app.extensions import db
from app.models import Customer, ImportFile, ImportRejection, OpenInvoice
from app.models.tasks import BackgroundTask, TaskStatus
from app.queue import queue
from app.services import directory
from app.services.import_job import process_import
from app.services.imports import create_import, reprocess
from tests.factories import REDIS_URL, invoice_xlsx, needs_redis, worker_process
from tests.tcp_proxy import TcpProxy

ROWS = 4000
BAD_EVERY = 40  # every 40th row names an unknown customer: rejected


def rows(order=1, po="PO"):
    """ROWS invoices; the backward file (order -1) gives each one the other customer and
    another amount, so whichever file writes an invoice last moves balances."""
    numbers = range(1, ROWS + 1)[::order]
    customers = ("C001", "C002")[::order]
    return [[f"INV-{n}", "C999" if n % BAD_EVERY == 0 else customers[n % 2], "2025-01-31",
             n if order == 1 else n * 3, f"{po}-{n}", None] for n in numbers]


def balances_add_up(app):
    """Every customer's balance is the sum of its open invoices (counted here, apart from
    the import's own bookkeeping)."""
    with app.app_context():
        counted = dict(db.session.execute(
            select(OpenInvoice.customer_id, func.sum(OpenInvoice.balance))
            .group_by(OpenInvoice.customer_id)).all())
        kept = dict(db.session.execute(select(Customer.id, Customer.balance)).all())
        db.session.remove()
    assert counted and all(counted.values())
    assert {c: b for c, b in kept.items() if b} == counted


BAD = ROWS // BAD_EVERY


@pytest.fixture
def pg(app, monkeypatch):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (MUARA_TEST_DATABASE_URL): row locks, deadlocks and "
                    "connections of real worker processes")
    monkeypatch.setenv("MUARA_IMPORT_BATCH_SIZE", "200")  # many batches: runs overlap
    monkeypatch.setenv("PGAPPNAME", "muara-test-worker")


def store(redis_app, content, filename="invoices.xlsx"):
    with redis_app.app_context():
        imp = create_import(directory.get_org("D1"), "open_invoices", filename, content,
                            force=True)
        return imp.id, imp.task_id


def wait_for(redis_app, task_ids, seconds=240):
    deadline = time.monotonic() + seconds
    with redis_app.app_context():
        while True:
            db.session.expire_all()
            tasks = [db.session.get(BackgroundTask, t) for t in task_ids]
            if all(t.status in (TaskStatus.done, TaskStatus.failed) for t in tasks):
                return {t.id: (t.status, t.result, t.error) for t in tasks}
            assert time.monotonic() < deadline, [(t.id, t.status) for t in tasks]
            db.session.remove()
            time.sleep(0.3)


def outcome(app, import_id):
    """(status, rows, accepted, rejected, rejection rows, error code)."""
    with app.app_context():
        imp = db.session.get(ImportFile, import_id)
        logged = db.session.scalar(select(func.count()).select_from(ImportRejection)
                                   .where(ImportRejection.import_id == import_id))
        return (str(imp.status), imp.rows_done, imp.accepted, imp.rejected, logged,
                imp.error_code)


def invoices(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OpenInvoice))


EXACT = ("needs_attention", ROWS, ROWS - BAD, BAD, BAD, None)


def workers_up(redis_app, count, *, app=None):
    procs = [worker_process(app or redis_app, burst=False) for _ in range(count)]
    deadline = time.monotonic() + 60
    with redis_app.app_context():
        while len(Worker.all(queue=queue().rq)) < count:
            assert time.monotonic() < deadline, "the workers did not start"
            assert all(p.poll() is None for p in procs), procs[0].communicate()[0][-3000:]
            time.sleep(0.2)
    return procs


def stop(procs):
    for proc in procs:
        proc.terminate()
    return [proc.communicate(timeout=60)[0] for proc in procs]


@needs_redis
def test_reprocess_pressed_twice_at_once_runs_once(app, redis_app, d1, pg):
    import_id, first_task = store(redis_app, invoice_xlsx(rows()))
    procs = workers_up(redis_app, 2)
    try:
        wait_for(redis_app, [first_task])
        assert outcome(app, import_id) == EXACT
        barrier, answers = threading.Barrier(2), []

        def press():
            with redis_app.app_context():
                imp = db.session.get(ImportFile, import_id)
                barrier.wait()
                try:
                    answers.append(reprocess(imp).id)
                except MuaraError as refused:
                    answers.append(str(refused))

        presses = [threading.Thread(target=press) for _ in range(2)]
        for thread in presses:
            thread.start()
        for thread in presses:
            thread.join(timeout=60)
        accepted = [a for a in answers if isinstance(a, int)]
        assert len(accepted) == 1, answers
        refusal = next(a for a in answers if isinstance(a, str))
        assert "this file is" in refusal and "processed" in refusal, refusal
        wait_for(redis_app, accepted)
    finally:
        stop(procs)
    assert outcome(app, import_id) == EXACT
    assert invoices(app) == ROWS - BAD
    balances_add_up(app)  # the file read twice moved each balance once


@needs_redis
def test_the_same_import_queued_twice_for_two_workers_runs_once(app, redis_app, d1, pg):
    content = invoice_xlsx(rows())
    procs = workers_up(redis_app, 2)
    try:
        import_id, first = store(redis_app, content)
        with redis_app.app_context():
            second = queue().submit(process_import, import_id).id
        done = wait_for(redis_app, [first, second])
    finally:
        output = stop(procs)
    assert {status for status, _, _ in done.values()} == {TaskStatus.done}, done
    results = sorted(result for _, result, _ in done.values())
    assert sum('"not run"' in r for r in results) == 1, results
    assert outcome(app, import_id) == EXACT
    assert invoices(app) == ROWS - BAD
    assert "Traceback" not in "".join(output)


@needs_redis
def test_overlapping_files_in_opposite_orders_do_not_fail_each_other(app, redis_app, d1, pg):
    forward = store(redis_app, invoice_xlsx(rows(1, "A")), "forward.xlsx")
    backward = store(redis_app, invoice_xlsx(rows(-1, "B")), "backward.xlsx")
    procs = workers_up(redis_app, 2)
    try:
        done = wait_for(redis_app, [forward[1], backward[1]])
    finally:
        stop(procs)
    assert {status for status, _, _ in done.values()} == {TaskStatus.done}, done
    for import_id, _ in (forward, backward):
        assert outcome(app, import_id) == EXACT
    assert invoices(app) == ROWS - BAD
    balances_add_up(app)


def _proxied(url, proxy):
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def proxied(app, redis_app):
    """(proxy, an app whose database connections go through the proxy)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    through = create_app({"SQLALCHEMY_DATABASE_URI": _proxied(url, proxy), "TESTING": True,
                          "REDIS_URL": REDIS_URL,
                          "QUEUE_NAME": redis_app.config["QUEUE_NAME"]})
    yield proxy, through
    proxy.close()


def _cut_mid_import(app, proxy, import_id, seconds):
    deadline = time.monotonic() + 120
    while True:
        done = outcome(app, import_id)[1]
        if 0 < done < ROWS // 2:
            break
        assert done < ROWS // 2, "the import ended before the connection could be cut"
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.02)
    proxy.cut()
    time.sleep(seconds)
    proxy.restore()
    return done


@needs_redis
def test_a_worker_whose_database_connection_drops_mid_import_finishes_it_exactly(
        app, redis_app, d1, pg, proxied, monkeypatch):
    proxy, through = proxied
    monkeypatch.setenv("MUARA_DB_RETRY_SECONDS", "60")
    procs = workers_up(redis_app, 1, app=through)
    try:
        import_id, task_id = store(redis_app, invoice_xlsx(rows()))
        at_cut = _cut_mid_import(app, proxy, import_id, seconds=4)
        done = wait_for(redis_app, [task_id])
    finally:
        output = stop(procs)[0]
    assert 0 < at_cut < ROWS
    assert done[task_id][0] == TaskStatus.done, (done, output[-3000:])
    assert "retry" in output  # it did lose the connection and retried
    assert outcome(app, import_id) == EXACT
    assert invoices(app) == ROWS - BAD
    balances_add_up(app)  # a batch cut off moved no balance


@needs_redis
def test_a_database_gone_longer_than_the_retry_time_fails_the_file_with_the_reason(
        app, redis_app, d1, pg, proxied, monkeypatch):
    proxy, through = proxied
    monkeypatch.setenv("MUARA_DB_RETRY_SECONDS", "2")
    procs = workers_up(redis_app, 1, app=through)
    try:
        import_id, task_id = store(redis_app, invoice_xlsx(rows()))
        _cut_mid_import(app, proxy, import_id, seconds=3)
        wait_for(redis_app, [task_id])
    finally:
        stop(procs)
    status, rows_done, accepted, rejected, logged, code = outcome(app, import_id)
    assert (status, code) == ("failed", "database_unavailable")
    assert rows_done == accepted + rejected and logged == rejected  # what was committed
    with app.app_context():
        message = db.session.get(ImportFile, import_id).error_message
    assert message.startswith("The database could not be reached for 2 seconds")


@needs_redis
def test_a_worker_holds_no_transaction_between_jobs(app, redis_app, d1, pg):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    watch = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def worker_sessions():
        return dict(watch.execute(text(
            "SELECT state, count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'muara-test-worker' GROUP BY state")).all())

    procs = workers_up(redis_app, 1)
    try:
        time.sleep(2)  # started up, re-queue pass done, waiting for work
        assert "idle in transaction" not in worker_sessions(), worker_sessions()
        import_id, task_id = store(redis_app, invoice_xlsx(rows()[:50]))
        wait_for(redis_app, [task_id])
        time.sleep(2)
        assert "idle in transaction" not in worker_sessions(), worker_sessions()
        assert outcome(app, import_id)[0] == "needs_attention"
    finally:
        stop(procs)
        watch.close()
        engine.dispose()
