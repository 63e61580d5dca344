"""API keys of integrations (SYN-4): shown once, stored as a SHA-256 hash, revocable."""
from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Integer, String

from app.models.mixins import IntegrationOwned
from app.models.organizations import TenantOwned
from app.models.tasks import utcnow


class IntegrationKey(IntegrationOwned, TenantOwned, Model):
    __integration_index__ = True
    __tablename__ = "integration_key"

    id = Column(Integer, primary_key=True)
    # The first characters of the key, to tell keys apart on the screen.
    prefix = Column(String(12), nullable=False)
    # A key is 32 random bytes: a plain SHA-256 is enough (no dictionary to guess from).
    key_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_at = Column(DateTime)

    def __repr__(self):
        return f"{self.prefix}... ({self.integration})"

    def state(self):
        return "revoked" if self.revoked_at else "active"
