"""Taking pushed documents in (SYN-4): each is stored once per (integration, kind,
reference) as a pending sync record, then an apply pass is queued when the integration's
sync settings say so (at once, at shift closing, or on schedule)."""
import json

from sqlalchemy import func, select

from app.errors import MuaraError
from app.extensions import db
from app.models import Integration
from app.models.integrations import SyncMode
from app.models.sync import SyncRecord, SyncStatus
from app.models.tasks import BackgroundTask, TaskStatus, utcnow
from app.queue import job_path, queue
from app.services.document_sync.apply import apply_records_job
from app.services.sync_documents import MASTER_KINDS, SALES_KINDS, payload_of


def _insert_ignoring_duplicates(rows):
    """Insert sync records, skipping those stored already (even by a push running at the
    same moment); returns {(kind, reference): id} of the rows this call inserted."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SyncRecord.__table__
    statement = (insert(table)
                 .on_conflict_do_nothing(index_elements=["integration_id", "kind", "reference"])
                 .returning(table.c.kind, table.c.reference, table.c.id))
    return {(k, r): i for k, r, i in db.session.execute(statement, rows)}


def accept_documents(integration: Integration, documents: list[dict]) -> list[dict]:
    """Store validated documents as pending sync records (a document already stored,
    by kind and reference, is not stored again), then start what the sync settings say.
    Returns one result per document, in order."""
    if not integration.active:
        raise MuaraError(f"integration {integration.name} is inactive: it takes no documents")
    # Plain values: the commit below expires the row, and reloading it costs a query.
    integration_id, sync_mode = integration.id, integration.sync_mode
    keys = [(d["kind"], d["reference"]) for d in documents]
    now = utcnow()
    rows, seen = [], set()
    for document in documents:
        key = (document["kind"], document["reference"])
        if key in seen:
            continue
        seen.add(key)
        rows.append({"organization_id": integration.organization_id,
                     "integration_id": integration_id, "kind": key[0], "reference": key[1],
                     "document_date": document["date"], "status": SyncStatus.pending.name,
                     "attempts": 0, "received_at": now,
                     "payload": json.dumps(payload_of(document), separators=(",", ":"))})
    inserted = _insert_ignoring_duplicates(rows)
    stored = dict(inserted)
    stored.update(_record_ids(integration_id, [k for k in seen if k not in inserted]))
    db.session.commit()
    results, reported = [], set()
    for index, key in enumerate(keys):
        created = key in inserted and key not in reported
        reported.add(key)
        results.append({"index": index, "kind": key[0], "reference": key[1],
                        "record_id": stored.get(key),
                        "result": "stored" if created else "duplicate"})
    start_due_groups(integration_id, sync_mode, {k for k, _ in inserted})
    return results


def _record_ids(integration_id, keys):
    if not keys:
        return {}
    found = {}
    by_kind = {}
    for kind, reference in keys:
        by_kind.setdefault(kind, set()).add(reference)
    for kind, references in by_kind.items():
        rows = db.session.execute(
            select(SyncRecord.kind, SyncRecord.reference, SyncRecord.id)
            .where(SyncRecord.integration_id == integration_id, SyncRecord.kind == kind,
                   SyncRecord.reference.in_(references))).all()
        found.update({(k, r): i for k, r, i in rows})
    return found


def start_due_groups(integration_id: int, sync_mode: SyncMode, kinds: set[str]) -> None:
    """Queue an apply pass for the kinds that apply at once under the settings."""
    groups = []
    if kinds & set(MASTER_KINDS):
        groups.append("master")
    if kinds & set(SALES_KINDS) and sync_mode == SyncMode.realtime:
        groups.append("sales")
    if groups:
        request_apply(integration_id, groups, "push")


def request_apply(integration_id: int, groups: list[str], trigger: str) -> BackgroundTask | None:
    """Queue an apply pass, unless one for the same groups is already waiting (it will
    see these records too): a burst of pushes costs a few passes, not one each."""
    args = json.dumps([integration_id, sorted(groups), trigger])
    waiting = db.session.execute(
        select(BackgroundTask.id).where(BackgroundTask.function == job_path(apply_records_job),
                                        BackgroundTask.status == TaskStatus.queued,
                                        BackgroundTask.args == args).limit(1)).first()
    if waiting:
        return None
    return queue().submit(apply_records_job, integration_id, sorted(groups), trigger)


def shift_closed(integration: Integration) -> dict:
    """The source closed a register shift: in "on shift closing" mode the waiting sales
    documents are applied now. Returns how many records wait for that pass."""
    if not integration.active:
        raise MuaraError(f"integration {integration.name} is inactive")
    if integration.sync_mode != SyncMode.shift_closing:
        return {"applies": False, "pending": 0,
                "message": f"sync mode is {integration.sync_mode}: a shift closing starts nothing"}
    pending = _count(integration.id, SALES_KINDS, SyncStatus.pending)
    request_apply(integration.id, ["sales"], "shift_closed")
    return {"applies": True, "pending": pending}


def _count(integration_id, kinds, status):
    return db.session.execute(
        select(func.count()).select_from(SyncRecord)
        .where(SyncRecord.integration_id == integration_id, SyncRecord.kind.in_(kinds),
               SyncRecord.status == status)).scalar()
