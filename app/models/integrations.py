"""Integrations: where an organization's data comes from (INT-1)."""
from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Integer,
    String,
    UniqueConstraint,
    false,
)

from app.models.mixins import WordedEnum
from app.models.organizations import TenantOwned


class IntegrationKind(WordedEnum):
    external = "external", "External (files and API push)"
    dms = "dms", "DMS"
    sap = "sap", "SAP"
    accurate = "accurate", "Accurate Online"
    pos = "pos", "POS"


class SyncMode(WordedEnum):
    """When pushed sales documents are applied (INT-2, seed 001's Sync Mode)."""
    realtime = "realtime", "Synchronize real time"
    shift_closing = "shift_closing", "Synchronize on register shift closing"
    scheduled = "scheduled", "Sync on scheduled time"


INTEGRATION_KIND_LABELS = {kind: kind.label for kind in IntegrationKind}
SYNC_MODE_LABELS = {mode: mode.label for mode in SyncMode}


class Integration(TenantOwned, Model):
    __tablename__ = "integration"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_integration_org_name"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    kind = Column(Enum(IntegrationKind, name="integration_kind", native_enum=False, length=20),
                  nullable=False, default=IntegrationKind.external)
    active = Column(Boolean, nullable=False, default=True)

    # Sync settings (INT-2). Times are "HH:MM" in the organizations' local time
    # (MUARA_TIME_ZONE), as people enter and read them.
    sync_mode = Column(Enum(SyncMode, name="sync_mode", native_enum=False, length=20),
                       nullable=False, default=SyncMode.realtime, server_default="realtime")
    sync_time = Column(String(5))
    transfer_sync_enabled = Column(Boolean, nullable=False, default=False,
                                   server_default=false())
    transfer_sync_time = Column(String(5))
    use_source_customer_id = Column(Boolean, nullable=False, default=False,
                                    server_default=false())
    # The day each schedule last ran, so a schedule runs once a day whatever the number
    # of processes checking it (a compare-and-set on these columns).
    sync_ran_on = Column(Date)
    transfer_sync_ran_on = Column(Date)
    # Touched by every apply pass: the row lock that keeps one integration's records in
    # order when several workers apply at once (SYN-3).
    sync_locked_at = Column(DateTime)

    def __repr__(self):
        return f"{self.name} ({self.kind})"
