"""The rejection log's one change (IMP-8): rejections marked resolved by a supervisor."""
from app.extensions import db
from app.importing.natural_keys import close_resolved_files
from app.models import ImportRejection
from app.models.tasks import utcnow
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
