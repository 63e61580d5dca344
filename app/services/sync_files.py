"""Files as sync records (SYN-2, issue 17.13): a file an integration pushes to the API is
a synchronized document like the others. Its sync record (kind "file", the file's name
as the reference) follows its import: waiting while the import runs or waits for
consolidation, Success when every row went in, Failed with the reason otherwise; each
outcome is a run of the integration, so the status panel lists it with "View details".
Refresh re-processes the file (app/services/document_sync/status.py).

Only models here: the import job, consolidation and the upload all call it."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import ImportFile
from app.models.imports import ImportStatus
from app.models.sync import SyncRecord, SyncRun, SyncStatus
from app.models.tasks import utcnow

FILE_KIND = "file"
# The trigger of the run that records a file's outcome.
FILE_TRIGGER = "file_import"
REFERENCE_LENGTH = 120


def record_file(imp: ImportFile) -> SyncRecord:
    """The sync record of a pushed file, in the upload's transaction. The same file name
    pushed again (a fixed file) is the same document: its record follows the new import."""
    reference = imp.filename[:REFERENCE_LENGTH]
    record = db.session.execute(select(SyncRecord).where(
        SyncRecord.integration_id == imp.integration_id, SyncRecord.kind == FILE_KIND,
        SyncRecord.reference == reference)).scalar()
    if record is None:
        record = SyncRecord(organization_id=imp.organization_id,
                            integration_id=imp.integration_id, kind=FILE_KIND,
                            reference=reference, attempts=0)
        db.session.add(record)
    record.document_date = imp.uploaded_at or utcnow()
    record.payload = json.dumps({"import_id": imp.id, "module": imp.module,
                                 "filename": imp.filename})
    _waiting(record)
    db.session.flush()
    return record


def record_of(imp: ImportFile) -> SyncRecord | None:
    """The sync record that follows this import, if it was pushed through the API."""
    if imp.integration_id is None or imp.source != "api":
        return None
    record = db.session.execute(select(SyncRecord).where(
        SyncRecord.integration_id == imp.integration_id, SyncRecord.kind == FILE_KIND,
        SyncRecord.reference == imp.filename[:REFERENCE_LENGTH])).scalar()
    if record is None or import_id_of(record) != imp.id:
        return None  # a later push of the same name took the record over
    return record


def import_id_of(record: SyncRecord) -> int | None:
    try:
        return json.loads(record.payload or "{}").get("import_id")
    except (ValueError, AttributeError):
        return None


def follow_import(imp: ImportFile | None) -> None:
    """Bring the file's sync record to its import's state (the caller commits). A final
    state is recorded once, as a run of one record."""
    record = None if imp is None else record_of(imp)
    if record is None:
        return
    status, reason = outcome(imp)
    if status == SyncStatus.pending:
        _waiting(record)
        return
    if record.status == status and record.reason == reason and record.run_id is not None:
        return
    now = utcnow()
    run = SyncRun(organization_id=record.organization_id,
                  integration_id=record.integration_id, trigger=FILE_TRIGGER,
                  succeeded=int(status == SyncStatus.success),
                  failed=int(status == SyncStatus.failed), started_at=now, finished_at=now)
    db.session.add(run)
    db.session.flush()
    record.run_id, record.status, record.reason = run.id, status, reason
    record.attempts = (record.attempts or 0) + 1
    record.last_attempt_at = now


def outcome(imp: ImportFile) -> tuple[SyncStatus, str | None]:
    """(status, reason) of a file's sync record, from its import."""
    if imp.status in (ImportStatus.imported, ImportStatus.processing):
        return SyncStatus.pending, None
    if imp.status == ImportStatus.archived:
        return SyncStatus.success, None
    if imp.status == ImportStatus.failed:
        return SyncStatus.failed, imp.error_message or "The file could not be imported."
    done = imp.rows_done or (imp.accepted or 0) + (imp.rejected or 0)
    rows = "row" if done == 1 else "rows"
    verb = "was" if imp.rejected == 1 else "were"
    return SyncStatus.failed, (f"{imp.rejected} of {done} {rows} {verb} not imported: see the "
                               "file's rejections, fix them and refresh (or push the fixed "
                               "file again)")


def _waiting(record):
    record.status, record.reason = SyncStatus.pending, None
