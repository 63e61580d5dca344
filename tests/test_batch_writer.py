"""The batch writer of PostgreSQL imports (app/importing/batch_writer.py): batches written
on a thread of their own, in order, one batch ahead of the reading at most, a failure
raised on the job's thread; and an import on PostgreSQL written through it whole."""
import os
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.importing import batch_writer
from app.models import ImportFile, OpenInvoice
from tests.factories import invoice_file, run_import


def test_batches_are_written_in_order_on_another_thread_one_ahead_at_most(app):
    written, first_may_end = [], threading.Event()

    def batch(number, hold=None):
        def write(session):
            if hold is not None:
                assert hold.wait(10)
            written.append((number, threading.current_thread().name))
        return write

    with app.app_context():
        writer = batch_writer.BatchWriter(app)
        try:
            writer.submit(batch(1, hold=first_may_end))
            second = threading.Thread(target=writer.submit, args=(batch(2),))
            second.start()
            second.join(0.3)
            # The reading is one batch ahead: batch 2 waits while batch 1 is written.
            assert second.is_alive() and written == []
            first_may_end.set()
            second.join(10)
            assert not second.is_alive()
            writer.submit(batch(3))
            writer.wait()
        finally:
            writer.close()
    assert [number for number, _ in written] == [1, 2, 3]
    assert {name for _, name in written} == {"muara-batch-writer"}


def test_a_failed_batch_is_raised_on_the_jobs_thread_and_stops_the_writing(app):
    written = []

    def failing(session):
        raise ValueError("batch 1 failed")

    with app.app_context():
        writer = batch_writer.BatchWriter(app)
        try:
            writer.submit(failing)
            with pytest.raises(ValueError, match="batch 1 failed"):
                writer.submit(lambda session: written.append(2))
            writer.wait()
        finally:
            writer.close()
    assert written == []  # the batch after a failure is never written


def test_sqlite_imports_write_on_the_jobs_thread(app):
    if os.environ.get("MUARA_TEST_DATABASE_URL"):
        pytest.skip("the SQLite case: this suite runs on PostgreSQL")
    with app.app_context():
        with batch_writer.batch_writer(db.session) as writer:
            assert writer is None


def test_an_import_on_postgresql_is_written_by_the_writer_whole(app, runner, d1, tmp_path,
                                                                 monkeypatch):
    if not os.environ.get("MUARA_TEST_DATABASE_URL"):
        pytest.skip("needs PostgreSQL (MUARA_TEST_DATABASE_URL): SQLite writes on the job's "
                    "thread")
    monkeypatch.setitem(app.config, "IMPORT_BATCH_SIZE", 7)
    threads = []
    submit = batch_writer.BatchWriter.submit

    def counted_submit(self, write):
        threads.append(threading.current_thread().name)
        return submit(self, write)

    monkeypatch.setattr(batch_writer.BatchWriter, "submit", counted_submit)
    rows = [[f"INV-{n}", "C001" if n % 5 else "C404", "2025-01-31", n, f"PO-{n}", "JKT"]
            for n in range(50)]
    _, out = run_import(runner, invoice_file(tmp_path, rows, "many.xlsx"), "open_invoices",
                        "D1", "--force")
    assert len(threads) == 8  # 50 rows in batches of 7
    assert (out["accepted"], out["rejected"]) == (40, 10)
    with app.app_context():
        imp = db.session.get(ImportFile, out["import_id"])
        written = db.session.scalar(select(func.count()).select_from(OpenInvoice)
                                    .where(OpenInvoice.import_id == imp.id))
        assert (imp.rows_done, imp.accepted, imp.rejected, written) == (50, 40, 10, 40)
        assert imp.run_batches == 8
