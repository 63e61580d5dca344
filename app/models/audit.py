"""The audit trail (issue 18): one row per thing someone did, kept for
MUARA_AUDIT_RETENTION_DAYS. Append-only from the app's point of view: nothing updates or
deletes a row except the retention purge (app/services/audit.py).

The organization is kept as its code, not a foreign key: an event outlives the
organization it names (deleting an organization is itself an event to keep).
"""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, Text

from app.models.tasks import utcnow


class AuditEvent(Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_org_at", "organization", "at"),)

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    # A username, "cli:<os user>", "api-key:<prefix>", "anonymous" or "system".
    actor = Column(String(120), nullable=False, index=True)
    address = Column(String(64))      # the client's address (behind ProxyFix: the real one)
    action = Column(String(40), nullable=False, index=True)   # create, update, sign_in, ...
    entity = Column(String(60))       # the table the event is about
    entity_id = Column(String(40))
    organization = Column(String(40))  # the code of the organization concerned
    summary = Column(String(300))     # what the row was, in words
    # JSON: {column: [before, after]}; a secret column is "changed" with no values.
    changes = Column(Text)

    def __repr__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.entity or ''}"
