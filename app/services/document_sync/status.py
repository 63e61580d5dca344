"""The state of an integration's sync records (SYN-2): the list, the retry of failed
ones, and applying the waiting ones by hand."""
from sqlalchemy import select

from app.errors import MuaraError, NotFound
from app.extensions import db
from app.models import Integration
from app.models.sync import SyncRecord, SyncStatus
from app.services.document_sync.apply import apply_pending
from app.services.sync_documents import GROUPS


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
        ids = [record_id]
    return apply_pending(integration.id, list(GROUPS), "refresh",
                         statuses=(SyncStatus.failed,), record_ids=ids)


def sync_now(integration: Integration, transfers_only: bool = False) -> dict:
    """Apply the waiting records by hand (the "Sync transfers now" button, needed when
    automatic transfer synchronization is off)."""
    groups = ["transfers"] if transfers_only else list(GROUPS)
    return apply_pending(integration.id, groups, "manual")
