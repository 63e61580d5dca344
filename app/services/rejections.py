"""The rejection log's one change (IMP-8): rejections marked resolved by a supervisor."""
from typing import Optional

from sqlalchemy import and_, func, literal, select

from app.extensions import db
from app.importing.natural_keys import close_resolved_files
from app.models import ImportRejection
from app.models.organizations import OrgKind
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


# Past this many rejections of one reason the choice says "more than 10,000": counting a
# distributor's million rejections by reason on every page of the log took 120 ms of it.
REASON_COUNT_LIMIT = 10_000


def reason_counts(import_id: Optional[int] = None) -> list[tuple[str, int]]:
    """(reason code, rejections) of the rejected records the viewer may see, of one file
    when `import_id` is given, the most frequent first: the reasons present. A
    distributor's whole log is counted up to REASON_COUNT_LIMIT per reason (a count of
    REASON_COUNT_LIMIT + 1 means "more than that"); a file's, a principal's and an
    Admin's exactly."""
    viewer = current_viewer()
    if import_id is None and not viewer.is_admin \
            and viewer.organization_kind == OrgKind.distributor:
        counted = _capped_reason_counts(viewer.organization_id, REASON_COUNT_LIMIT)
    else:
        query = (select(ImportRejection.reason, func.count())
                 .where(ImportRejection.severity == "error")
                 .group_by(ImportRejection.reason))
        if import_id is not None:
            query = query.where(ImportRejection.import_id == import_id)
        counted = db.session.execute(scope(query, ImportRejection, viewer)).all()
    return sorted(((reason, count) for reason, count in counted),
                  key=lambda pair: (-pair[1], pair[0]))


def _capped_reason_counts(org_id: int, limit: int) -> list[tuple[str, int]]:
    """The organization's reasons present and their counts up to `limit` + 1, each read
    from the (organization, severity, reason) index: the next reason found by one probe
    of it (a loose index scan), then at most `limit` + 1 of its entries counted."""
    rejection = ImportRejection.__table__
    own = and_(rejection.c.organization_id == org_id, rejection.c.severity == "error")
    present = select(func.min(rejection.c.reason).label("reason")).where(own) \
        .cte("present", recursive=True)
    following = select(func.min(rejection.c.reason)).where(
        own, rejection.c.reason > present.c.reason).scalar_subquery()
    present = present.union_all(
        select(following).where(present.c.reason.is_not(None)))
    capped = select(literal(1)).where(own, rejection.c.reason == present.c.reason) \
        .correlate(present) \
        .limit(limit + 1).subquery()
    count = select(func.count()).select_from(capped).scalar_subquery()
    return db.session.execute(
        select(present.c.reason, count).where(present.c.reason.is_not(None))).all()
