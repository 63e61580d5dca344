"""The audit trail's vocabulary: which rows are audited and how, who is acting and from
where, and `record()` for what is not a row change (a sign-in, an export, Sync All).

Row changes of the declared models are captured by app/security/audit_capture.py from the
ORM session, so no view, service or command has to remember to log them.
"""
import dataclasses
import datetime as dt
import decimal
import enum
import getpass
import json

import click
from flask import g, has_request_context, request

from app.extensions import db
from app.models.audit import AuditEvent


@dataclasses.dataclass(frozen=True)
class Audited:
    """How one model is audited. `actions`: the row changes recorded; `create_action`:
    the name of a creation (an import file's is an upload); `only`: the columns followed
    (None: every column but `ignore`); `secret`: recorded as changed, never with values;
    `collections`: relationships recorded by the names of their members (a user's roles)."""
    actions: tuple = ("create", "update", "delete")
    create_action: str = "create"
    only: tuple = None
    ignore: tuple = ()
    secret: tuple = ()
    collections: tuple = ()

    def follows(self, column):
        return column not in self.ignore and (self.only is None or column in self.only)


# Bookkeeping a row changes by itself (timestamps, counters, locks): not someone's act.
_STAMPS = ("created_on", "changed_on", "created_by_fk", "changed_by_fk", "updated_at")


def audited_models():
    """{model: Audited}: what the issue lists (organizations, connections, integrations
    with their sync settings, API keys, services, templates and their lines, users and
    roles, uploads, rejections resolved)."""
    from flask_appbuilder.security.sqla.models import Role, User

    from app.models import (
        Connection,
        ImportFile,
        ImportRejection,
        Integration,
        IntegrationKey,
        MapperTemplate,
        Membership,
        Organization,
        ServiceLink,
        TemplateField,
    )
    return {
        Organization: Audited(),
        Membership: Audited(),
        Connection: Audited(),
        Integration: Audited(ignore=("sync_ran_on", "transfer_sync_ran_on", "sync_locked_at")),
        IntegrationKey: Audited(secret=("key_hash",)),
        ServiceLink: Audited(ignore=("message",),
                             secret=("access_token", "refresh_token", "session_id")),
        MapperTemplate: Audited(),
        TemplateField: Audited(),
        User: Audited(ignore=_STAMPS + ("last_login", "login_count", "fail_login_count"),
                      secret=("password",), collections=("roles",)),
        Role: Audited(only=("name",)),
        # The worker moves a file's status and counters: only the upload is someone's act
        # (re-processing is recorded where it is asked for).
        ImportFile: Audited(actions=("create",), create_action="upload",
                            ignore=("rows_done", "task_id")),
        ImportRejection: Audited(actions=("update",), only=("resolved",)),
    }


def actor():
    """Who is acting: the signed-in user, the API key, the command line's OS user, or the
    system (a background job, the scheduler)."""
    if has_request_context():
        key = g.get("api_key")
        if key is not None:
            return f"api-key:{key.prefix}"
        user = g.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            return user.username
        return "anonymous"
    if click.get_current_context(silent=True) is not None:
        return f"cli:{_os_user()}"
    return "system"


def _os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"


def address():
    """The client's address: ProxyFix, when configured, has already put the real one in
    remote_addr."""
    return request.remote_addr if has_request_context() else None


def event(action, entity=None, entity_id=None, organization=None, summary=None,
          changes=None, who=None):
    """The column values of one event, made now by the current actor."""
    return {"at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "actor": (who or actor())[:120], "address": address(), "action": action,
            "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
            "organization": organization, "summary": (summary or "")[:300] or None,
            "changes": json.dumps(changes, default=plain, sort_keys=True) if changes else None}


def record(action, entity=None, entity_id=None, organization=None, summary=None,
           changes=None, who=None):
    """Add an event that is not a row change to the current transaction: it is kept
    when the caller commits, and disappears with what it describes on a rollback."""
    row = AuditEvent(**event(action, entity, entity_id, organization, summary, changes, who))
    db.session.add(row)
    return row


def plain(value):
    """A JSON-able form of a column value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
