"""Integrations: where an organization's data comes from (INT-1)."""
import enum

from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Enum, Integer, String, UniqueConstraint

from app.models.organizations import TenantOwned


class IntegrationKind(str, enum.Enum):
    external = "external"
    dms = "dms"
    sap = "sap"
    accurate = "accurate"
    pos = "pos"

    def __str__(self):
        return self.value


INTEGRATION_KIND_LABELS = {
    IntegrationKind.external: "External (files and API push)",
    IntegrationKind.dms: "DMS",
    IntegrationKind.sap: "SAP",
    IntegrationKind.accurate: "Accurate Online",
    IntegrationKind.pos: "POS",
}


class Integration(TenantOwned, Model):
    __tablename__ = "integration"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_integration_org_name"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    kind = Column(Enum(IntegrationKind, name="integration_kind", native_enum=False, length=20),
                  nullable=False, default=IntegrationKind.external)
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        return f"{self.name} ({self.kind})"
