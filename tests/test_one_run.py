"""One run per import and retries of what the database asks to retry (issue 14), on the
test database (SQLite by default): the claim on the import row, a second delivery, a
second Re-process, a batch retried whole after a deadlock or a lost connection, a batch
whose commit went through before the connection was lost counted once, and a connection
lost for longer than the retry time failing the file with its reason.

The same faults with real worker processes on PostgreSQL: test_import_concurrency.py."""
import json

import psycopg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

import app.importing.writers as writers
from app.errors import MuaraError
from app.extensions import db
from app.importing import retry
from app.importing.batches import Batch, Settings, rejection_rows
from app.importing.claim import claim, holds
from app.importing.retry import CONFLICT, CONNECTION, DatabaseUnavailable, Retries, retry_kind
from app.importing.validation import Rejection
from app.models import ImportFile, ImportRejection, OpenInvoice
from app.models.imports import ImportStatus
from app.models.tasks import BackgroundTask, TaskStatus
from app.queue import queue
from app.services import directory
from app.services.import_job import process_import
from app.services.imports import create_import, reprocess
from tests.factories import drain, invoice_xlsx

ROWS = [[f"INV-{n}", "C001", "2025-01-31", n, f"PO-{n}", None] for n in range(1, 8)]


def stored_import(rows=ROWS):
    """An import stored and queued (the queue is not drained)."""
    imp = create_import(directory.get_org("D1"), "open_invoices", "invoices.xlsx",
                        invoice_xlsx(rows))
    return imp.id


def state(import_id):
    db.session.expire_all()
    imp = db.session.get(ImportFile, import_id)
    rejections = db.session.scalar(select(func.count()).select_from(ImportRejection)
                                   .where(ImportRejection.import_id == import_id))
    return str(imp.status), imp.rows_done, imp.accepted, imp.rejected, rejections


def invoice_count():
    return db.session.scalar(select(func.count()).select_from(OpenInvoice))


def lost_connection():
    return OperationalError("SELECT 1", {}, psycopg.OperationalError("server closed the "
                                                                     "connection"),
                            connection_invalidated=True)


def refused_connection():
    return OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))


def deadlock():
    return OperationalError("INSERT", {}, psycopg.errors.DeadlockDetected("deadlock detected"))


def test_what_the_database_asks_to_retry_is_told_apart():
    assert retry_kind(deadlock()) == CONFLICT
    assert retry_kind(OperationalError(
        "UPDATE", {}, psycopg.errors.SerializationFailure("could not serialize"))) == CONFLICT
    assert retry_kind(lost_connection()) == CONNECTION
    assert retry_kind(refused_connection()) == CONNECTION
    # A mistake a retry would not cure is raised at once.
    assert retry_kind(OperationalError(
        "SELECT", {}, psycopg.errors.UndefinedTable("no such table"))) is None
    assert retry_kind(ValueError("bad")) is None


def test_a_lost_connection_is_retried_for_the_retry_time_then_said():
    clock = {"now": 0.0}
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock["now"] += seconds

    retries = Retries(10, sleep=sleep, clock=lambda: clock["now"])
    with pytest.raises(DatabaseUnavailable, match="could not be reached for 10 s"):
        for _ in range(1000):
            retries.wait_or_raise(refused_connection())
    assert clock["now"] == pytest.approx(10)  # it waited the whole retry time, no more
    assert waits[1] > waits[0] / 2 and max(waits) <= retry.LONGEST_DELAY  # backing off
    # Conflicts are retried a bounded number of times, then the error itself is raised.
    retries = Retries(10, sleep=lambda s: None)
    with pytest.raises(OperationalError):
        for _ in range(retry.MAX_CONFLICTS + 1):
            retries.wait_or_raise(deadlock())
    assert retries.conflicts == retry.MAX_CONFLICTS + 1


def test_an_import_is_claimed_by_one_run_at_a_time(app, ctx, d1):
    import_id = stored_import()
    assert claim(db.session, import_id, "muara-first")
    db.session.commit()
    holder = BackgroundTask(function="x", args="[]", status=TaskStatus.running,
                            rq_job_id="muara-first")
    db.session.add(holder)
    db.session.commit()
    # While the first run's task runs its job, nobody else may claim the file.
    assert not claim(db.session, import_id, "muara-second")
    db.session.rollback()
    assert holds(db.session, import_id, "muara-first")
    db.session.execute(update(ImportFile).where(ImportFile.id == import_id)
                       .values(rows_done=5, accepted=4, rejected=1, run_batches=3))
    db.session.commit()
    # The re-queue pass gave the task a new job (its worker was lost): the file is free,
    # and the new run starts from zero.
    holder.rq_job_id = "muara-second"
    db.session.commit()
    assert claim(db.session, import_id, "muara-second")
    db.session.commit()
    assert state(import_id) == ("processing", 0, 0, 0, 0)
    imp = db.session.get(ImportFile, import_id)
    assert (imp.run_token, imp.run_batches) == ("muara-second", 0)
    # A finished file is not waiting: a late delivery does not run it again.
    db.session.execute(update(ImportFile).where(ImportFile.id == import_id)
                       .values(status=ImportStatus.archived))
    holder.status = TaskStatus.done
    db.session.commit()
    assert not claim(db.session, import_id, "muara-third")


def test_a_second_delivery_runs_nothing_and_counts_stay_exact(app, d1):
    with app.app_context():
        import_id = stored_import()
        second = queue().submit(process_import, import_id).id
    drain(app)
    with app.app_context():
        assert state(import_id) == ("archived", 7, 7, 0, 0)
        assert invoice_count() == 7
        result = json.loads(db.session.get(BackgroundTask, second).result)
        assert result == {"import_id": import_id, "status": "not run", "reason": "not waiting"}
        assert db.session.get(ImportFile, import_id).run_token is None  # the claim is given back


def test_a_second_reprocess_is_refused_and_one_run_happens(app, d1):
    with app.app_context():
        import_id = stored_import()
    drain(app)
    with app.app_context():
        first = reprocess(db.session.get(ImportFile, import_id)).id
        with pytest.raises(MuaraError, match="this file is waiting to be processed already"):
            reprocess(db.session.get(ImportFile, import_id))
        db.session.execute(update(ImportFile).where(ImportFile.id == import_id)
                           .values(status=ImportStatus.processing))
        db.session.commit()
        with pytest.raises(MuaraError, match="this file is being processed"):
            reprocess(db.session.get(ImportFile, import_id))
        db.session.execute(update(ImportFile).where(ImportFile.id == import_id)
                           .values(status=ImportStatus.imported))
        db.session.commit()
        runs = db.session.scalar(select(func.count()).select_from(BackgroundTask))
        assert runs == 2  # the upload's and the one accepted Re-process
    drain(app)
    with app.app_context():
        assert db.session.get(BackgroundTask, first).status == TaskStatus.done
        assert state(import_id) == ("archived", 7, 7, 0, 0)
        assert invoice_count() == 7


def _claimed(import_id, token="muara-test"):
    claim(db.session, import_id, token)
    db.session.commit()
    return db.session.get(ImportFile, import_id)


def _rejected_row(imp, row):
    return rejection_rows(imp, [Rejection(row, "Invoice No", "reference", "x", "required",
                                          "Invoice No is required.")], ["x"])


def test_a_deadlocked_batch_is_written_again_whole(app, ctx, d1):
    imp = _claimed(stored_import())
    written = []

    def write(session, records):
        written.append(list(records))
        if len(written) == 1:
            raise deadlock()

    settings = Settings(run_token="muara-test", retries=Retries(60, sleep=lambda s: None))
    batch = Batch(db.session, imp, settings, write=write)
    for n in range(3):
        batch.accept(n)
    batch.reject(_rejected_row(imp, 5))
    batch.commit()
    assert written == [[0, 1, 2], [0, 1, 2]]  # the same batch, whole, twice
    assert state(imp.id) == ("processing", 4, 3, 1, 1)  # counted once, one rejection row
    assert db.session.get(ImportFile, imp.id).run_batches == 1


def test_a_batch_committed_before_the_connection_was_lost_is_counted_once(app, ctx, d1,
                                                                          monkeypatch):
    imp = _claimed(stored_import())
    session = db.session()
    real_commit = session.commit
    calls = {"n": 0}

    def commit_then_lose_the_answer():
        calls["n"] += 1
        real_commit()
        if calls["n"] == 1:
            raise lost_connection()

    monkeypatch.setattr(session, "commit", commit_then_lose_the_answer)
    settings = Settings(run_token="muara-test", retries=Retries(60, sleep=lambda s: None))
    batch = Batch(db.session, imp, settings)
    batch.accept()
    batch.reject(_rejected_row(imp, 3))
    batch.commit()
    monkeypatch.undo()
    assert calls["n"] == 2
    assert state(imp.id) == ("processing", 2, 1, 1, 1)
    assert settings.batches == 1


def test_a_run_that_lost_its_claim_commits_nothing(app, ctx, d1):
    from app.errors import TaskSuperseded
    imp = _claimed(stored_import(), "muara-old")
    claim_taken = update(ImportFile).where(ImportFile.id == imp.id).values(run_token="muara-new")
    db.session.execute(claim_taken)
    db.session.commit()
    batch = Batch(db.session, imp, Settings(run_token="muara-old"),
                  write=lambda session, records: pytest.fail("written by a run without claim"))
    batch.accept(1)
    with pytest.raises(TaskSuperseded):
        batch.commit()
    db.session.rollback()
    assert state(imp.id) == ("processing", 0, 0, 0, 0)


def test_a_deadlock_in_a_real_import_is_retried_and_nothing_is_doubled(app, d1, monkeypatch):
    real = writers.WRITERS["open_invoices"]
    calls = {"n": 0}

    def deadlocks_once(session, origin, records, layout):
        calls["n"] += 1
        real(session, origin, records, layout)  # written, then the database says deadlock
        if calls["n"] == 2:
            raise deadlock()

    monkeypatch.setitem(writers.WRITERS, "open_invoices", deadlocks_once)
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 3)
    with app.app_context():
        import_id = stored_import()
    drain(app)
    with app.app_context():
        assert calls["n"] == 4  # batches of 3, 3 and 1, the second twice
        assert state(import_id) == ("archived", 7, 7, 0, 0)
        assert invoice_count() == 7


def test_a_database_lost_for_longer_than_the_retry_time_fails_the_file_with_the_reason(
        app, d1, monkeypatch):
    def unreachable(session, origin, records, layout):
        raise refused_connection()

    monkeypatch.setitem(writers.WRITERS, "open_invoices", unreachable)
    monkeypatch.setitem(app.config, "DB_RETRY_SECONDS", 1)
    with app.app_context():
        import_id = stored_import()
        task_id = db.session.get(ImportFile, import_id).task_id
    drain(app)
    with app.app_context():
        imp = db.session.get(ImportFile, import_id)
        assert (str(imp.status), imp.error_code, imp.rows_done) == \
            ("failed", "database_unavailable", 0)
        assert imp.error_message.startswith(
            "The database could not be reached for 1 seconds while the file was processed")
        assert imp.run_token is None
        assert db.session.get(BackgroundTask, task_id).status == TaskStatus.failed
