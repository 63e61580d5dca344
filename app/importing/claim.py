"""One run per import (issue 14): the import row itself names the run that may write it.

A run claims the file with one conditional UPDATE of its row: the file must be waiting
(imported, not staged) or "processing" by a dead run, a run whose queue job is no longer
running that task (the re-queue pass gave the task a new job, or the task ended). A
second Re-process, a second delivery or a second worker finds the row claimed and does
nothing; a run that lost its claim cannot commit a batch (`count_batch`), so the
counters are always those of the one run that wrote the records.

The token is the run's queue job id (a run outside the queue, e.g. a benchmark, uses
its own token; nothing else can tell whether it is alive, so it guards only its batches).
"""
import uuid
from typing import Optional

from sqlalchemy import ColumnElement, Exists, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from app.models import ImportFile
from app.models.imports import ImportStatus
from app.models.tasks import BackgroundTask, TaskStatus, utcnow


def local_token() -> str:
    return f"local-{uuid.uuid4().hex}"


def holder_alive() -> Exists:
    """SQL: the run named by the import's token is a running task's current job."""
    return exists(select(BackgroundTask.id).where(
        BackgroundTask.rq_job_id == ImportFile.run_token,
        BackgroundTask.status == TaskStatus.running))


def claimable(token: str) -> ColumnElement[bool]:
    """SQL: the import may be claimed by the run `token`."""
    waiting = and_(ImportFile.status == ImportStatus.imported, ImportFile.staged_at.is_(None))
    orphaned = and_(ImportFile.status == ImportStatus.processing,
                    or_(ImportFile.run_token.is_(None), ImportFile.run_token == token,
                        ~holder_alive()))
    return or_(waiting, orphaned)


def claim(session: Session, import_id: int, token: str) -> bool:
    """Make `token` the import's one run and start it afresh (status processing, counters
    zero), in the session's transaction; whether it was claimed."""
    return bool(session.execute(
        update(ImportFile)
        .where(ImportFile.id == import_id, claimable(token))
        .values(run_token=token, run_batches=0, status=ImportStatus.processing,
                started_at=utcnow(), finished_at=None, staged_at=None,
                rows_done=0, accepted=0, rejected=0, rows_total=None,
                error_code=None, error_message=None, read_as_json=None,
                warnings_json=None)
        .execution_options(synchronize_session=False)).rowcount)


def count_batch(session: Session, import_id: int, token: str, sequence: int,
                rows: int, accepted: int, rejected: int) -> Optional[str]:
    """Add one batch's counts, if `token` still holds the import and this is its batch
    number `sequence` (0, 1, ...). None when counted; "done" when that batch was already
    counted (its commit went through though the connection was lost); "lost" when
    another run holds the import."""
    counted = session.execute(
        update(ImportFile)
        .where(ImportFile.id == import_id, ImportFile.run_token == token,
               ImportFile.run_batches == sequence)
        .values(run_batches=sequence + 1, rows_done=ImportFile.rows_done + rows,
                accepted=ImportFile.accepted + accepted,
                rejected=ImportFile.rejected + rejected)
        .execution_options(synchronize_session=False)).rowcount
    if counted:
        return None
    holder, batches = session.execute(
        select(ImportFile.run_token, ImportFile.run_batches)
        .where(ImportFile.id == import_id)).one()
    return "done" if holder == token and batches > sequence else "lost"


def holds(session: Session, import_id: int, token: str) -> bool:
    return session.execute(select(ImportFile.run_token)
                           .where(ImportFile.id == import_id)).scalar() == token


def release(session: Session, import_id: int, token: str) -> None:
    """The run is over (its final state is written in the same transaction)."""
    session.execute(update(ImportFile)
                    .where(ImportFile.id == import_id, ImportFile.run_token == token)
                    .values(run_token=None)
                    .execution_options(synchronize_session=False))
