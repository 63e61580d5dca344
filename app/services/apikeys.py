"""API keys bound to one integration (SYN-4): made here, shown once, kept as a hash."""
import hashlib
import secrets
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.errors import MuaraError, NotFound
from app.extensions import db
from app.models import Integration, Organization
from app.models.apikeys import IntegrationKey
from app.models.tasks import utcnow
from app.services.transaction import owns_transaction

KEY_PREFIX = "mk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def get_integration(org: Organization, name: str) -> Integration:
    integration = db.session.execute(select(Integration).where(
        Integration.organization_id == org.id, Integration.name == name)).scalar()
    if integration is None:
        raise NotFound(f"unknown integration of {org.code}: {name}")
    return integration


@owns_transaction
def create_key(integration: Integration) -> tuple[IntegrationKey, str]:
    """A new key for the integration: (row, the key). Only the hash is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = IntegrationKey(organization_id=integration.organization_id,
                         integration_id=integration.id, prefix=key[:10],
                         key_hash=hash_key(key))
    db.session.add(row)
    db.session.flush()
    return row, key


@owns_transaction
def revoke_keys(keys: list[IntegrationKey]) -> int:
    """Revoke the live ones of `keys` (the API keys screen); how many were revoked."""
    live = [key for key in keys if key is not None and key.revoked_at is None]
    for key in live:
        key.revoked_at = utcnow()
    return len(live)


@owns_transaction
def revoke_key(key_id: int, integration: Optional[Integration] = None) -> IntegrationKey:
    row = db.session.get(IntegrationKey, key_id)
    if row is None or (integration is not None and row.integration_id != integration.id):
        raise NotFound(f"unknown API key #{key_id}")
    if row.revoked_at is not None:
        raise MuaraError(f"API key #{key_id} is revoked already")
    row.revoked_at = utcnow()
    return row


def key_of(token: Optional[str]) -> Optional[IntegrationKey]:
    """The live key row a presented key belongs to, or None."""
    if not token or not token.startswith(KEY_PREFIX) or len(token) > 100:
        return None
    row = db.session.execute(select(IntegrationKey)
                             .options(joinedload(IntegrationKey.integration))
                             .where(IntegrationKey.key_hash == hash_key(token))).scalar()
    if row is None or row.revoked_at is not None:
        return None
    return row


def key_entries(integration: Integration) -> list[dict]:
    """The keys of the integration, oldest first: number, first characters, created, state
    (`muara apikey list`)."""
    keys = db.session.execute(select(IntegrationKey).where(
        IntegrationKey.integration_id == integration.id).order_by(IntegrationKey.id)).scalars()
    return [{"id": k.id, "prefix": k.prefix, "created_at": k.created_at.isoformat(),
             "state": k.state()} for k in keys]
