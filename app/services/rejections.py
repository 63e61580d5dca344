"""The rejection log's one change (IMP-8): rejections marked resolved by a supervisor."""
from typing import Optional

from sqlalchemy import func, select

from app.extensions import db
from app.importing.natural_keys import close_resolved_files
from app.models import ImportRejection
from app.models.tasks import utcnow
from app.security.tenancy import current_viewer, scope
from app.services.transaction import owns_transaction


@owns_transaction
def resolve_rejections(rejections: list[ImportRejection]) -> None:
    """Mark the rejections resolved now (the caller has checked it may write them); a
    file left with no open rejection leaves the "Needs attention" list (issue 17)."""
    now = utcnow()
    for rejection in rejections:
        rejection.resolved, rejection.resolved_at = True, now
    db.session.flush()
    close_resolved_files(db.session, {rejection.import_id for rejection in rejections})


def reason_counts(import_id: Optional[int] = None) -> list[tuple[str, int]]:
    """(reason code, rejections) of the rejected records the viewer may see, of one file
    when `import_id` is given, the most frequent first: the reasons present."""
    query = (select(ImportRejection.reason, func.count())
             .where(ImportRejection.severity == "error")
             .group_by(ImportRejection.reason)
             .order_by(func.count().desc(), ImportRejection.reason))
    if import_id is not None:
        query = query.where(ImportRejection.import_id == import_id)
    query = scope(query, ImportRejection, current_viewer())
    return [(reason, count) for reason, count in db.session.execute(query).all()]
