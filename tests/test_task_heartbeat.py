"""A long job beats at every batch: a running task whose beat stopped is lost even while
the queue still calls its job started (its worker was killed), and a run that was
handed over stops at its next beat without committing anything."""
import datetime as dt

from sqlalchemy import func, select, update

from app.extensions import db
from app.jobs.diagnostics import echo
from app.models import ImportFile, OpenInvoice
from app.models.tasks import BackgroundTask, TaskStatus, utcnow
from app.queue import queue
from app.services import directory
from app.services.imports import create_import
from tests.factories import drain, invoice_file


def task(task_id):
    db.session.expire_all()
    return db.session.get(BackgroundTask, task_id)


def claimed_with_heartbeat(task_id, age):
    db.session.execute(update(BackgroundTask).where(BackgroundTask.id == task_id).values(
        status=TaskStatus.running, attempts=1, heartbeat_at=utcnow() - age))
    db.session.commit()


def test_a_running_task_whose_heartbeat_stopped_is_requeued(app, ctx):
    submitted = queue().submit(echo, "silent")
    claimed_with_heartbeat(submitted.id, dt.timedelta(hours=1))
    assert queue().job_state(submitted.rq_job_id) is not None  # the queue knows the job
    assert queue().requeue_lost(grace_seconds=0) == [submitted.id]
    drain(app)
    assert task(submitted.id).status == TaskStatus.done


def test_a_running_task_that_beats_is_left_alone(app, ctx):
    submitted = queue().submit(echo, "busy")
    claimed_with_heartbeat(submitted.id, dt.timedelta(seconds=5))
    assert queue().requeue_lost(grace_seconds=0) == []
    assert task(submitted.id).rq_job_id == submitted.rq_job_id


def test_a_handed_over_import_stops_and_the_new_run_completes_it(app, d1, tmp_path,  # noqa: F811
                                                                 monkeypatch):
    rows = [[f"INV-{n}", "C001", "2025-01-31", n, f"PO-{n}", None] for n in range(1, 31)]
    with open(invoice_file(tmp_path, rows), "rb") as handle:
        content = handle.read()
    app.config["IMPORT_BATCH_SIZE"] = 10
    try:
        with app.app_context():
            org = directory.get_org("D1")
            imp = create_import(org, "open_invoices", "invoices.xlsx", content)
            task_id, import_id = imp.task_id, imp.id

        import app.services.import_job as jobs
        real_run_import = jobs.run_import

        def handed_over_midway(session, import_id, settings):
            """Another process decides this run is lost and re-queues the task."""
            beats = {"n": 0}
            real_beat = settings.on_batch

            def beat(session):
                beats["n"] += 1
                if beats["n"] == 2:
                    session.execute(update(BackgroundTask).where(
                        BackgroundTask.id == task_id).values(
                            status=TaskStatus.queued, rq_job_id="muara-new-run"))
                    session.commit()
                real_beat(session)
            settings.on_batch = beat
            return real_run_import(session, import_id, settings)

        monkeypatch.setattr(jobs, "run_import", handed_over_midway)
        drain(app)
        with app.app_context():
            stopped = db.session.get(ImportFile, import_id)
            assert stopped.status != "failed", "the stopped run must not fail the file"
            assert (stopped.rows_done, stopped.accepted) == (10, 10)  # batch 1 only
            assert task(task_id).status == TaskStatus.queued

        monkeypatch.setattr(jobs, "run_import", real_run_import)
        with app.app_context():
            queue()._push(task_id, "muara-new-run")
        drain(app)
        with app.app_context():
            done = db.session.get(ImportFile, import_id)
            assert (str(done.status), done.rows_done, done.accepted, done.rejected) == \
                ("archived", 30, 30, 0)
            assert task(task_id).status == TaskStatus.done
            assert db.session.scalar(select(func.count()).select_from(OpenInvoice)) == 30
    finally:
        app.config["IMPORT_BATCH_SIZE"] = 5000
