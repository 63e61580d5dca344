"""Reading the audit trail, recording an event on its own, and the retention purge.

The purge is the only statement that deletes events; nothing updates them
(app/security/audit_capture.py refuses it through the ORM).
"""
import datetime as dt
import json
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import delete, select

from app.errors import MuaraError
from app.extensions import db
from app.models import Organization
from app.models.audit import AuditEvent
from app.models.tasks import utcnow
from app.security.audit import record
from app.security.tenancy import current_viewer

FIELDS = ("at", "actor", "address", "action", "entity", "entity_id", "organization",
          "summary", "changes")


def record_now(action: str, entity: str | None = None, entity_id: int | str | None = None,
               organization: str | None = None, summary: str | None = None,
               changes: dict | None = None) -> None:
    """Record and commit an event that changes no row (an export, a download): there is
    no other write for it to ride with."""
    record(action, entity, entity_id, organization, summary, changes)
    db.session.commit()


def viewer_org_code() -> str | None:
    """The code of the signed-in user's organization (None: an Admin without one)."""
    org_id = current_viewer().organization_id
    return None if org_id is None else db.session.get(Organization, org_id).code


def events(since: dt.datetime | None = None, org_code: str | None = None,
           batch: int = 1000) -> Iterator[dict]:
    """Events oldest first, as plain dicts, read in batches (the trail can be long)."""
    query = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if org_code is not None:
        if db.session.execute(select(Organization.id).where(Organization.code == org_code)
                              ).scalar() is None and not _named_in_trail(org_code):
            raise MuaraError(f"unknown organization: {org_code}")
        query = query.where(AuditEvent.organization == org_code)
    for row in db.session.execute(query.execution_options(yield_per=batch)).scalars():
        yield as_dict(row)


def _named_in_trail(org_code):
    """An organization deleted since still has its events."""
    return db.session.execute(
        select(AuditEvent.id).where(AuditEvent.organization == org_code).limit(1)
    ).scalar() is not None


def as_dict(row: AuditEvent) -> dict:
    values = {field: getattr(row, field) for field in FIELDS}
    values["at"] = row.at.isoformat(sep=" ", timespec="seconds")
    values["changes"] = json.loads(row.changes) if row.changes else None
    return values


def purge_old_events(now: dt.datetime | None = None, days: int | None = None) -> dict:
    """Delete events older than MUARA_AUDIT_RETENTION_DAYS (the daily purge job)."""
    days = current_app.config["AUDIT_RETENTION_DAYS"] if days is None else days
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    deleted = db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount
    db.session.commit()
    return {"audit_events_deleted": deleted}
