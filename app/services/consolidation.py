"""Consolidation for principals (seed 000, SYN-1) and the retention purge (IMP-5).

Sync All and the daily run are background tasks (app/queue.py); their work is here, shared
by the jobs, the CLI and the views. Each file is consolidated in its own transaction by
app.importing.consolidation, which claims it atomically.
"""
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Optional

from flask import current_app
from sqlalchemy import Select, delete, select

from app.errors import MuaraError
from app.extensions import db
from app.importing.consolidation import consolidate_file, pending_query
from app.models import Connection, ImportFile, Organization
from app.models.imports import ImportStatus
from app.models.organizations import OrgKind
from app.models.tasks import BackgroundTask, utcnow
from app.queue import beat, job, job_path, queue
from app.security.audit import record
from app.services.audit import purge_old_events
from app.services.sync_files import follow_import


def principal_by_code(code: str) -> Organization:
    principal = db.session.execute(select(Organization).where(Organization.code == code)).scalar()
    if principal is None:
        raise MuaraError(f"unknown organization: {code}")
    if principal.kind != OrgKind.principal:
        raise MuaraError(f"{code} is a distributor: Sync All is a principal's")
    return principal


def request_sync_all(principal: Organization) -> BackgroundTask:
    """Queue Sync All for the principal; returns the task."""
    if principal.kind != OrgKind.principal:
        raise MuaraError(f"{principal.code} is a distributor: Sync All is a principal's")
    record("sync_all", "organization", principal.id, principal.code,
           f"Sync All of {principal.code}")
    return queue().submit(sync_all_job, principal.id)


def pending_for_principal(principal_id: int) -> Select:
    """Files shared with the principal, waiting, from distributors still connected to it."""
    return (pending_query(principal_id)
            .join(Connection, (Connection.distributor_id == ImportFile.organization_id)
                  & (Connection.principal_id == ImportFile.principal_id))
            .where(Connection.active.is_(True)))


def consolidate(file_ids: Sequence[int], checkpoint: Optional[Callable] = None) -> dict:
    """Consolidate the files one by one; the counts `sync-all --wait` prints, and
    "needs_attention" when some consolidated files had rejected rows (they are in the
    state Needs attention, not Archived: the result says so, issue 17)."""
    result = {"files": len(file_ids), "consolidated": 0, "failed": 0}
    attention = 0
    for import_id in file_ids:
        outcome = consolidate_file(db.session, import_id, checkpoint=checkpoint)
        follow_import(db.session.get(ImportFile, import_id))
        db.session.commit()
        if outcome.status in ("consolidated", "failed"):
            result[outcome.status] += 1
        if outcome.status == "consolidated" and db.session.execute(
                select(ImportFile.status).where(ImportFile.id == import_id)
        ).scalar() == ImportStatus.needs_attention:
            attention += 1
    if attention:
        result["needs_attention"] = attention
    return result


def run_sync_all(principal_id: int, checkpoint: Optional[Callable] = None) -> dict:
    ids = db.session.execute(pending_for_principal(principal_id)).scalars().all()
    db.session.commit()
    return consolidate(ids, checkpoint)


def run_daily(checkpoint: Optional[Callable] = None) -> dict:
    """The automatic run (seed 000: once a day): every waiting file."""
    ids = db.session.execute(pending_query()).scalars().all()
    db.session.commit()
    return consolidate(ids, checkpoint)


def purge_old_files(now: Optional[dt.datetime] = None, days: Optional[int] = None) -> dict:
    """Delete files older than the retention period with their bytes, rejections and
    staged rows (the database cascades); consolidated records stay (they carry their
    own distributor and principal). A file being processed or undone is left for the
    next run."""
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    ids = db.session.execute(
        select(ImportFile.id).where(ImportFile.uploaded_at < cutoff,
                                    ImportFile.status.not_in((ImportStatus.processing,
                                                              ImportStatus.undoing)))
    ).scalars().all()
    for start in range(0, len(ids), 500):
        db.session.execute(delete(ImportFile).where(ImportFile.id.in_(ids[start:start + 500])))
        db.session.commit()
    return {"deleted": len(ids), "cutoff": cutoff.isoformat(sep=" ", timespec="seconds")}


def consolidates_on_arrival(imp: ImportFile) -> bool:
    """INT-2: a file that an integration's own system pushed (the API) is consolidated as
    soon as it is staged when that integration syncs in real time. A file a person
    uploads waits for Sync All or the daily run, as seed 000 says, whatever the mode."""
    from app.models.integrations import SyncMode
    return (imp.source == "api" and imp.integration is not None
            and imp.integration.sync_mode == SyncMode.realtime)


# The background jobs (app/queue.py): Sync All, the daily run, one file in real time and
# the purge. Each beats at every file, so a lost worker's task is re-queued.

@job
def sync_all_job(principal_id: int) -> dict:
    return run_sync_all(principal_id, checkpoint=beat)


@job
def daily_run_job() -> dict:
    return run_daily(checkpoint=beat)


@job
def consolidate_one_job(import_id: int) -> dict:
    return consolidate([import_id], checkpoint=beat)


@job
def purge_job() -> dict:
    return {**purge_old_files(), **purge_old_events()}


# The stored name of Sync All's tasks (its result page finds them by it).
SYNC_ALL = job_path(sync_all_job)
