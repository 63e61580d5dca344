"""Synchronization of an integration's documents (SYN-2, SYN-3).

A sync record is one document an integration brought in (a pushed sales transaction, a
transfer, a customer pulled from an accounting service, ...): what it is, where it came
from, whether applying it succeeded and why not. A sync run is one pass of applying
records (a push, a shift closing, a schedule, a "Sync Master Data", a refresh); the
status panel's "View details" lists a run's records.
"""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.models.mixins import IntegrationOwned, ValueEnum
from app.models.organizations import TenantOwned
from app.models.tasks import utcnow


class SyncStatus(ValueEnum):
    pending = "pending"    # received, waiting for its sync mode (shift closing, schedule)
    success = "success"
    failed = "failed"

    @property
    def label(self):
        return self.value.capitalize()


class SyncRun(IntegrationOwned, TenantOwned, Model):
    __integration_index__ = True
    __tablename__ = "sync_run"

    id = sa.Column(sa.Integer, primary_key=True)
    # What started it: push, shift_closed, scheduled, transfer_schedule, manual,
    # refresh, master_data, transaction.
    trigger = sa.Column(sa.String(40), nullable=False)
    started_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    finished_at = sa.Column(sa.DateTime)
    succeeded = sa.Column(sa.Integer, nullable=False, default=0)
    failed = sa.Column(sa.Integer, nullable=False, default=0)
    message = sa.Column(sa.Text)  # a run-level fault (e.g. the service refused the token)

    def __repr__(self):
        return f"Run #{self.id} ({self.trigger})"


class SyncRecord(IntegrationOwned, TenantOwned, Model):
    __tablename__ = "sync_record"
    __table_args__ = (
        # The same document pushed twice is stored once (idempotency by source reference).
        sa.UniqueConstraint("integration_id", "kind", "reference", name="uq_sync_record_ref"),
        # Oldest first (SYN-3): records of an integration in document order.
        sa.Index("ix_sync_record_order", "integration_id", "document_date", "id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    run_id = sa.Column(sa.Integer, sa.ForeignKey("sync_run.id", ondelete="SET NULL"), index=True)
    run = relationship("SyncRun")
    # sales_transaction, transfer_out, transfer_in, stock_adjustment, stock_opname,
    # customer, item, unit, warehouse, tax, payment_term, employee, sales_order, file
    kind = sa.Column(sa.String(40), nullable=False)
    reference = sa.Column(sa.String(120), nullable=False)  # the source's document number or id
    document_date = sa.Column(sa.DateTime, nullable=False)
    status = sa.Column(sa.Enum(SyncStatus, name="sync_status", native_enum=False, length=20),
                    nullable=False, default=SyncStatus.pending, index=True)
    reason = sa.Column(sa.Text)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    last_attempt_at = sa.Column(sa.DateTime)
    received_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    payload = sa.Column(sa.Text)  # the document as received (JSON), to apply it again on refresh

    def __repr__(self):
        return f"{self.kind} {self.reference}"

    def status_name(self):
        return self.status.label
