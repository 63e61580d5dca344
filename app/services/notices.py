"""News for the uploader when an import they started ends (issue 17.12): a notice on
their next page, once, and the list of their recent results. Works without e-mail."""
from collections.abc import Sequence

from sqlalchemy import and_, or_, select, update

from app.extensions import db
from app.models.imports import FINAL_STATES, ImportFile, ImportStatus
from app.services.transaction import owns_transaction

RECENT = 5


def _job_finished():
    return or_(ImportFile.status.in_(FINAL_STATES),
               and_(ImportFile.status == ImportStatus.imported,
                    ImportFile.staged_at.is_not(None)))


@owns_transaction
def take_notices(user_id: int | None) -> list[ImportFile]:
    """The user's imports that ended since they were last told, now marked told."""
    if user_id is None:
        return []
    finished = db.session.execute(
        select(ImportFile).where(ImportFile.uploaded_by_id == user_id,
                                 ImportFile.result_seen.is_(False), _job_finished())
        .order_by(ImportFile.finished_at, ImportFile.id)).scalars().all()
    if finished:
        db.session.execute(update(ImportFile).where(
            ImportFile.id.in_([imp.id for imp in finished])).values(result_seen=True))
    return finished


@owns_transaction
def mark_seen(imp: ImportFile) -> None:
    """The uploader watched the import end on its progress page: no notice later."""
    imp.result_seen = True


def recent_results(user_id: int | None, limit: int = RECENT) -> Sequence[ImportFile]:
    """The user's last imports whose job ended, newest first."""
    if user_id is None:
        return []
    return db.session.execute(
        select(ImportFile).where(ImportFile.uploaded_by_id == user_id, _job_finished())
        .order_by(ImportFile.finished_at.desc().nulls_last(), ImportFile.id.desc())
        .limit(limit)).scalars().all()
