"""Applying sync records, oldest first (SYN-3): in chunks, one transaction and one lock
on the integration's row each, so two workers never apply one integration's records out
of order. What applying one record means is in appliers.py."""
import json

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import NotFound
from app.extensions import db
from app.models import Integration
from app.models.sync import SyncRecord, SyncRun, SyncStatus
from app.models.tasks import utcnow
from app.queue import job
from app.services.document_sync.appliers import APPLY, ApplyContext, SyncFailure
from app.services.sync_documents import GROUPS

# Records applied per transaction (the integration's lock is held for one chunk).
CHUNK = 500


def lock_integration(integration_id: int) -> None:
    """Take the integration's row lock for this transaction: an UPDATE holds a row lock
    on PostgreSQL (the same as SELECT ... FOR UPDATE, without blocking inserts of its
    records) and SQLite's single write lock. A second applier waits here, then sees the
    first one's results."""
    touched = db.session.execute(update(Integration).where(Integration.id == integration_id)
                                 .values(sync_locked_at=utcnow())).rowcount
    if not touched:
        raise NotFound(f"integration #{integration_id} is gone")


def apply_pending(integration_id: int, groups: list[str], trigger: str,
                  statuses: tuple = (SyncStatus.pending,),
                  record_ids: list[int] | None = None) -> dict:
    """Apply the integration's records of `groups` in `statuses`, oldest first, in chunks
    (one transaction and one lock each). Returns the runs' totals."""
    kinds = [k for g in groups for k in GROUPS[g]]
    chunk = current_app.config.get("SYNC_CHUNK", CHUNK)
    totals = {"run_ids": [], "succeeded": 0, "failed": 0}
    after = None
    while True:
        lock_integration(integration_id)
        query = (select(SyncRecord)
                 .where(SyncRecord.integration_id == integration_id,
                        SyncRecord.kind.in_(kinds), SyncRecord.status.in_(list(statuses)))
                 .order_by(SyncRecord.document_date, SyncRecord.id).limit(chunk))
        if record_ids is not None:
            query = query.where(SyncRecord.id.in_(record_ids))
        if after is not None:
            # Records failed in this call are not retried by its next chunk.
            query = query.where(or_(SyncRecord.document_date > after[0],
                                    and_(SyncRecord.document_date == after[0],
                                         SyncRecord.id > after[1])))
        records = db.session.execute(query).scalars().all()
        if not records:
            db.session.commit()
            return totals
        run = _apply_chunk(integration_id, records, trigger)
        after = (records[-1].document_date, records[-1].id)
        totals["run_ids"].append(run.id)
        totals["succeeded"] += run.succeeded
        totals["failed"] += run.failed
        db.session.commit()
        if len(records) < chunk:
            return totals


def _apply_chunk(integration_id, records, trigger):
    integration = db.session.get(Integration, integration_id)
    run = SyncRun(organization_id=integration.organization_id, integration_id=integration_id,
                  trigger=trigger, succeeded=0, failed=0)
    db.session.add(run)
    db.session.flush()
    context = ApplyContext(integration)
    for record in records:
        record.attempts = (record.attempts or 0) + 1
        record.last_attempt_at = utcnow()
        record.run_id = run.id
        try:
            with db.session.begin_nested():
                APPLY[record.kind](context, record, json.loads(record.payload))
        except SyncFailure as exc:
            record.status, record.reason = SyncStatus.failed, str(exc)
            run.failed += 1
            continue
        except (IntegrityError, ValueError, KeyError) as exc:
            record.status = SyncStatus.failed
            record.reason = f"could not be written: {type(exc).__name__}: {exc}"[:2000]
            run.failed += 1
            continue
        record.status, record.reason = SyncStatus.success, None
        run.succeeded += 1
    run.finished_at = utcnow()
    return run


@job
def apply_records_job(integration_id: int, groups: list[str], trigger: str) -> dict:
    """The queued apply pass (a push, a shift closing, the schedule)."""
    return apply_pending(integration_id, groups, trigger)
