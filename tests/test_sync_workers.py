"""Two real worker processes never apply one integration's records out of order
(SYN-3): each apply pass holds the integration's row lock for its chunk and takes the
oldest waiting records after it has the lock."""
import datetime as dt
import json
import time

from rq.job import Job
from sqlalchemy import select

from app.extensions import db
from app.models import Integration, StockTransfer
from app.models.sync import SyncRecord, SyncStatus
from app.models.tasks import BackgroundTask, TaskStatus
from app.queue import job_path, queue
from app.services.document_sync import accept_documents, apply_records_job
from tests.factories import needs_redis, worker_process
from tests.sync_helpers import make_pos

PAIRS = 150


@needs_redis
def test_two_workers_apply_one_integrations_records_in_document_order(app, redis_app,
                                                                    monkeypatch):
    monkeypatch.setenv("MUARA_SYNC_CHUNK", "10")  # small chunks: the workers take turns
    integration_id, _ = make_pos(app)
    start = dt.datetime(2026, 1, 1, 8, 0)
    documents = []
    for n in range(PAIRS):
        # Each transfer in needs its transfer out applied before it.
        documents.append({"kind": "transfer_out", "reference": f"OUT-{n}",
                          "date": start + dt.timedelta(minutes=2 * n), "location": "JKT",
                          "destination": "BDG", "lines": [{"product": "P001", "quantity": 1}]})
        documents.append({"kind": "transfer_in", "reference": f"IN-{n}",
                          "date": start + dt.timedelta(minutes=2 * n + 1), "location": "BDG",
                          "transfer_out": f"OUT-{n}",
                          "lines": [{"product": "P001", "quantity": 1}]})
    documents.reverse()  # received newest first
    with redis_app.app_context():
        accept_documents(db.session.get(Integration, integration_id), documents)
    # Both workers are up and waiting before the passes are queued, so they run at once.
    workers = [worker_process(redis_app, burst=False) for _ in range(2)]
    try:
        time.sleep(8)
        with redis_app.app_context():
            tasks = [queue().submit(apply_records_job, integration_id, ["transfers"], "manual").id
                     for _ in range(8)]  # many passes at once, as a burst of pushes queues
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                db.session.expire_all()
                states = {db.session.get(BackgroundTask, t).status for t in tasks}
                if states <= {TaskStatus.done, TaskStatus.failed}:
                    break
                time.sleep(0.5)
            assert states == {TaskStatus.done}, states
    finally:
        for proc in workers:
            proc.terminate()
            proc.wait(timeout=60)
    with redis_app.app_context():
        rows = db.session.execute(select(SyncRecord).where(
            SyncRecord.integration_id == integration_id)).scalars().all()
        failed = [(r.reference, r.reason) for r in rows if r.status != SyncStatus.success]
        assert failed == []
        assert {r.attempts for r in rows} == {1}, "a record was applied twice"
        written = db.session.execute(select(StockTransfer.reference)
                                     .order_by(StockTransfer.id)).scalars().all()
        expected = [f"{kind}-{n}" for n in range(PAIRS) for kind in ("OUT", "IN")]
        assert written == expected, "written out of document order"
        passes = db.session.execute(
            select(BackgroundTask)
            .where(BackgroundTask.function == job_path(apply_records_job))).scalars().all()
        results = [json.loads(t.result) for t in passes]
        # RQ records which worker ran each job.
        ran_on = {Job.fetch(t.rq_job_id, connection=queue().connection).worker_name
                  for t in passes}
        assert len(ran_on) == 2, "one worker ran every pass"
        assert sum(len(r["run_ids"]) for r in results) >= PAIRS * 2 // 10
        # Each record applied by exactly one pass (without the lock both passes apply
        # the same chunk: measured 430 applications of 300 records).
        assert sum(r["succeeded"] for r in results) == PAIRS * 2
