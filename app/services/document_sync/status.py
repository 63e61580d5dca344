"""The state of an integration's sync records (SYN-2): the list, the retry of failed
ones, and applying the waiting ones by hand."""
from sqlalchemy import select

from app.errors import MuaraError, NotFound
from app.extensions import db
from app.models import ImportFile, Integration
from app.models.sync import SyncRecord, SyncStatus
from app.services.document_sync.apply import apply_pending
from app.services.imports import reprocess
from app.services.sync_documents import GROUPS
from app.services.sync_files import FILE_KIND, import_id_of


def record_entry(record: SyncRecord) -> dict:
    return {"id": record.id, "run_id": record.run_id, "kind": record.kind,
            "reference": record.reference, "document_date": record.document_date.isoformat(),
            "status": record.status.label, "reason": record.reason,
            "attempts": record.attempts,
            "last_attempt_at": (record.last_attempt_at.isoformat()
                                if record.last_attempt_at else None)}


def sync_status(integration: Integration) -> list[dict]:
    """Every sync record of the integration, oldest first (`muara sync-status`)."""
    records = db.session.execute(
        select(SyncRecord).where(SyncRecord.integration_id == integration.id)
        .order_by(SyncRecord.document_date, SyncRecord.id)).scalars()
    return [record_entry(r) for r in records]


def refresh(integration: Integration, record_id: int | None = None) -> dict:
    """Retry one failed record, or every failed one oldest first (the panel's Refresh)."""
    from app.services.service_links import supports
    if supports(integration):
        # Its records were pulled from the service, not pushed: pulling again is the retry.
        raise MuaraError(f"the records of {integration.name} come from its service: retry "
                         "them with Sync Master Data or Sync Transaction on its service "
                         "connection page (a sync resumes where it stopped)")
    ids = None
    if record_id is not None:
        record = db.session.get(SyncRecord, record_id)
        if record is None or record.integration_id != integration.id:
            raise NotFound(f"no sync record #{record_id} in integration {integration.name}")
        if record.status != SyncStatus.failed:
            raise MuaraError(f"sync record #{record_id} is {record.status.label.lower()}: "
                             "only failed records are refreshed")
        if record.kind == FILE_KIND:
            return {"run_ids": [], "succeeded": 0, "failed": 0,
                    "files_queued": _reprocess_files([record])}
        ids = [record_id]
    totals = apply_pending(integration.id, list(GROUPS), "refresh",
                           statuses=(SyncStatus.failed,), record_ids=ids)
    if record_id is None:
        failed_files = db.session.execute(select(SyncRecord).where(
            SyncRecord.integration_id == integration.id, SyncRecord.kind == FILE_KIND,
            SyncRecord.status == SyncStatus.failed)
            .order_by(SyncRecord.document_date, SyncRecord.id)).scalars().all()
        totals["files_queued"] = _reprocess_files(failed_files)
    return totals


def _reprocess_files(records: list[SyncRecord]) -> int:
    """Refresh of a file: its import runs again (rows whose master data is fixed now go
    in); its record waits until the import ends. How many files were queued."""
    queued = 0
    for record in records:
        imp = db.session.get(ImportFile, import_id_of(record) or 0)
        if imp is None:
            record.reason = ("its stored file was removed after the retention period: "
                             "push the file again")
            db.session.commit()
            continue
        reprocess(imp)
        queued += 1
    return queued


def sync_now(integration: Integration, transfers_only: bool = False) -> dict:
    """Apply the waiting records by hand (the "Sync transfers now" button, needed when
    automatic transfer synchronization is off)."""
    groups = ["transfers"] if transfers_only else list(GROUPS)
    return apply_pending(integration.id, groups, "manual")
