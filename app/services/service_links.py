"""Re-integration of an OAuth service (INT-3, seed 003): remove, connect, choose the
branch, and a client that keeps the tokens fresh. Shared by the screens and the jobs."""
import datetime as dt
import json
import secrets as pysecrets
from typing import Optional

from flask import current_app
from sqlalchemy import select

from app.connectors import connector_for
from app.connectors.base import GrantRevoked, TokenExpired
from app.errors import MuaraError
from app.extensions import db
from app.models import Integration
from app.models.service_links import LinkStatus, ServiceLink, SyncCursor
from app.models.sync import SyncRecord, SyncRun
from app.models.tasks import BackgroundTask, TaskStatus, utcnow
from app.queue import queue
from app.services.secrets import decrypt, encrypt
from app.services.transaction import owns_transaction

# Refresh a little before the service would refuse the token.
REFRESH_MARGIN = dt.timedelta(seconds=60)
# The service pulls (app.services.service_sync), by group, and the job that runs one.
GROUPS = {"master_data": "Sync Master Data", "transaction": "Sync Transaction"}
SYNC_JOB = "app.jobs.service_sync.sync_service"


class NotConnected(MuaraError):
    """A pull asked of an integration whose service is not connected to a branch."""


class AlreadyRunning(MuaraError):
    """A pull asked while another of the same integration is queued or running."""


def connector(integration: Integration):
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


def authorize_url(integration: Integration, redirect_uri: str, state: str) -> str:
    if not integration.active:
        raise MuaraError(f"Integration {integration.name} is inactive: activate it before "
                         "connecting the service.")
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


# --- the pulls: queued by a person, run by app.jobs.service_sync ---------------------------

def waiting_pulls(integration: Integration) -> list[str]:
    """The groups of this integration's pulls still queued or running.

    The task's arguments are [integration id, group] (request_pull): decoded and compared,
    never matched as text."""
    waiting = []
    for args in db.session.execute(select(BackgroundTask.args).where(
            BackgroundTask.function == SYNC_JOB,
            BackgroundTask.status.in_([TaskStatus.queued, TaskStatus.running]))).scalars():
        integration_id, group = json.loads(args)[:2]
        if integration_id == integration.id:
            waiting.append(GROUPS.get(group, ""))
    return waiting


def request_pull(integration: Integration, group: str) -> BackgroundTask:
    """Queue a pull of `group`; NotConnected or AlreadyRunning say why not."""
    if group not in GROUPS:
        raise MuaraError(f"unknown group: {group} (one of {', '.join(GROUPS)})")
    link = link_of(integration)
    if link is None or link.status != LinkStatus.connected:
        raise NotConnected("Connect the service and choose a branch before syncing.")
    if waiting_pulls(integration):
        # Two runs of one integration would read and write the same cursors.
        raise AlreadyRunning("A sync of this integration is already queued or running: "
                             "wait for it to end.")
    return queue().submit(SYNC_JOB, integration.id, group)


def recent_runs(integration: Integration, limit: int = 10) -> list[SyncRun]:
    """The integration's last pulls, newest first."""
    return db.session.execute(
        select(SyncRun).where(SyncRun.integration_id == integration.id,
                              SyncRun.trigger.in_(list(GROUPS)))
        .order_by(SyncRun.id.desc()).limit(limit)).scalars().all()


def recent_records(integration: Integration, limit: int = 100) -> list[SyncRecord]:
    """The sync records of the service's kinds, last attempted first."""
    service = connector(integration)
    kinds = [r.kind for r in service.MASTER_DATA + service.TRANSACTIONS]
    return db.session.execute(
        select(SyncRecord).where(SyncRecord.integration_id == integration.id,
                                 SyncRecord.kind.in_(kinds))
        .order_by(SyncRecord.last_attempt_at.desc(), SyncRecord.id.desc())
        .limit(limit)).scalars().all()


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

    def __init__(self, integration, link):
        self.integration = integration
        self.link = link
        self.service = connector(integration)

    def call(self, action):
        if self.link.token_expires_at and self.link.token_expires_at - REFRESH_MARGIN <= utcnow():
            self.refresh()
        try:
            return action(self.service, decrypt(self.link.access_token))
        except TokenExpired:
            self.refresh()
            return action(self.service, decrypt(self.link.access_token))

    def refresh(self):
        try:
            tokens = self.service.refresh(decrypt(self.link.refresh_token) or "")
        except GrantRevoked as exc:
            _forget(self.link)
            self.link.message = str(exc)
            db.session.commit()
            raise
        _store_tokens(self.link, tokens)
        db.session.commit()

    def reopen_branch(self):
        session = self.call(lambda service, token: service.open_branch(token, self.link.branch_id))
        self.link.session_host, self.link.session_id = session.host, encrypt(session.session)
        return session
