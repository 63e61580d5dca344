"""Re-integration of an OAuth service (INT-3, seed 003): remove, connect, choose the
branch, and a client that keeps the tokens fresh. Shared by the screens and the jobs."""
import datetime as dt
import secrets as pysecrets
from collections.abc import Callable
from typing import Optional, TypeVar

from flask import current_app
from sqlalchemy import select

from app.connectors import connector_for
from app.connectors.base import BranchSession, Connector, GrantRevoked, TokenExpired
from app.errors import MuaraError, PreconditionFailed
from app.extensions import db
from app.models import Integration
from app.models.service_links import LinkStatus, ServiceLink, SyncCursor
from app.models.tasks import utcnow
from app.services import preconditions
from app.services.preconditions import Precondition
from app.services.secrets import decrypt, encrypt
from app.services.transaction import owns_transaction

T = TypeVar("T")

# Refresh a little before the service would refuse the token.
REFRESH_MARGIN = dt.timedelta(seconds=60)


def connector(integration: Integration) -> Connector:
    return connector_for(integration.kind, current_app.config)


def supports(integration: Integration) -> bool:
    try:
        connector(integration)
        return True
    except LookupError:
        return False


def link_of(integration: Integration, create: bool = False) -> Optional[ServiceLink]:
    link = db.session.execute(
        select(ServiceLink).where(ServiceLink.integration_id == integration.id)).scalar()
    if link is None and create:
        link = ServiceLink(integration_id=integration.id,
                           organization_id=integration.organization_id,
                           service=str(integration.kind), status=LinkStatus.disconnected)
        db.session.add(link)
    return link


@owns_transaction
def remove_service(integration: Integration) -> Optional[ServiceLink]:
    """Seed 003 step 3: the service is dropped with its credentials; status disconnected."""
    link = link_of(integration)
    if link is None:
        return None
    _forget(link)
    link.message = None
    _reset_cursors(integration)
    return link


def _reset_cursors(integration):
    db.session.execute(SyncCursor.__table__.delete()
                       .where(SyncCursor.integration_id == integration.id))


def _forget(link):
    link.status = LinkStatus.disconnected
    link.access_token = link.refresh_token = link.session_id = None
    link.token_expires_at = link.connected_at = None
    link.scope = link.branch_id = link.branch_name = link.session_host = None


def new_state() -> str:
    return pysecrets.token_urlsafe(32)


def not_configured(integration: Integration) -> Precondition | None:
    """The precondition of a service whose client the operator has not set (issue 17
    item 9), or None when it is configured."""
    service = connector(integration)
    missing = service.missing_settings()
    return preconditions.service_not_configured(service.label, missing) if missing else None


def authorize_url(integration: Integration, redirect_uri: str, state: str) -> str:
    """Where Connect sends the browser; never with an empty client."""
    unset = not_configured(integration)
    if unset is not None:
        raise PreconditionFailed(unset)
    if not integration.active:
        raise PreconditionFailed(preconditions.inactive_integration(integration))
    return connector(integration).authorize_url(redirect_uri, state)


@owns_transaction
def finish_authorization(integration: Integration, code: str, redirect_uri: str) -> list:
    """Tokens for the code, stored encrypted; then the branches: one is chosen at once,
    several wait for the user. Returns the branches."""
    service = connector(integration)
    tokens = service.exchange_code(code, redirect_uri)
    link = link_of(integration, create=True)
    _forget(link)
    _store_tokens(link, tokens)
    link.message = None
    link.status = LinkStatus.choose_branch
    branches = service.list_branches(tokens.access_token)
    if not branches:
        raise MuaraError("The service account has no database to integrate: create or "
                         "prepare one first (see the prerequisites on this screen).")
    if len(branches) == 1:
        choose_branch(integration, branches[0].id, branches)
    return branches


@owns_transaction
def choose_branch(integration: Integration, branch_id: str, branches: list) -> ServiceLink:
    """Open the chosen one of `branches` (as the service listed them) and keep its session."""
    link = link_of(integration)
    if link is None or link.access_token is None:
        raise MuaraError("Connect the service first.")
    client = ServiceClient(integration, link)
    branch = next((b for b in branches if b.id == str(branch_id)), None)
    if branch is None:
        raise MuaraError("Choose one of the branches the service lists.")
    session = client.call(lambda service, token: service.open_branch(token, branch.id))
    _reset_cursors(integration)   # a new connection reads everything from the start
    link.branch_id, link.branch_name = branch.id, branch.name
    link.session_host, link.session_id = session.host, encrypt(session.session)
    link.status = LinkStatus.connected
    link.connected_at = utcnow()
    return link


def list_branches(integration: Integration) -> list:
    link = link_of(integration)
    if link is None or link.access_token is None:
        raise MuaraError("Connect the service first.")
    return ServiceClient(integration, link).call(
        lambda service, token: service.list_branches(token))


def _store_tokens(link, tokens):
    link.access_token = encrypt(tokens.access_token)
    if tokens.refresh_token:
        link.refresh_token = encrypt(tokens.refresh_token)
    link.token_expires_at = tokens.expires_at
    link.scope = tokens.scope or link.scope


class ServiceClient:
    """Calls the service with the link's token: refreshes it when it has expired (by the
    clock, or when the service says so, then retries once). A refused refresh
    disconnects the link with a clear message and raises GrantRevoked."""

    def __init__(self, integration: Integration, link: ServiceLink):
        self.integration = integration
        self.link = link
        self.service = connector(integration)

    def call(self, action: Callable[[Connector, str | None], T]) -> T:
        if self.link.token_expires_at and self.link.token_expires_at - REFRESH_MARGIN <= utcnow():
            self.refresh()
        try:
            return action(self.service, decrypt(self.link.access_token))
        except TokenExpired:
            self.refresh()
            return action(self.service, decrypt(self.link.access_token))

    def refresh(self) -> None:
        try:
            tokens = self.service.refresh(decrypt(self.link.refresh_token) or "")
        except GrantRevoked as exc:
            _forget(self.link)
            self.link.message = str(exc)
            db.session.commit()
            raise
        _store_tokens(self.link, tokens)
        db.session.commit()

    def reopen_branch(self) -> BranchSession:
        session = self.call(lambda service, token: service.open_branch(token, self.link.branch_id))
        self.link.session_host, self.link.session_id = session.host, encrypt(session.session)
        return session
