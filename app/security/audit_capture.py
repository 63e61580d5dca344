"""Row changes of the audited models (app/security/audit.py), captured from the ORM
session: a create, update or delete of one of them, flushed by any view, service, command
or job, writes its event in the same transaction (a rollback takes both away).

Values are read from the flush itself: the columns that changed, before and after. Bulk
statements (the importer's batches, the retention purge) bypass the ORM and are not
row events; what they do is recorded as the upload or the purge that asked for them.
"""
import itertools

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from app.errors import MuaraError
from app.models.audit import AuditEvent
from app.security import audit

_OLD_VALUES = "muara_audit_old_values"
# The column that names a row in a summary, first found first.
_LABEL_COLUMNS = ("code", "username", "name", "filename", "field", "prefix", "service")


def install():
    """Listen on every ORM session (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


_declarations = {}


def _declared(obj):
    """How `obj`'s model is audited, or None (read once: the models import late)."""
    if not _declarations:
        _declarations.update(audit.audited_models())
    return next((_declarations[cls] for cls in type(obj).__mro__ if cls in _declarations),
                None)


def _before_flush(session, _context, _instances):
    for obj in itertools.chain(session.dirty, session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise MuaraError("The audit trail is append-only: events are never changed.")
    session.info[_OLD_VALUES] = _unloaded_old_values(session)


def _unloaded_old_values(session):
    """Before values the session never loaded (a column set on an expired row): read from
    the database while it still holds them. {(model, id): {column: value}}."""
    wanted = {}
    for obj in session.dirty:
        how = _declared(obj)
        if how is None or "update" not in how.actions:
            continue
        state = inspect(obj)
        missing = [a.key for a in state.mapper.column_attrs if how.follows(a.key)
                   and a.key not in how.secret and state.attrs[a.key].history.added
                   and not state.attrs[a.key].history.deleted]
        if missing:
            wanted[(type(obj), state.identity[0])] = missing
    found = {}
    for (model, pk), columns in wanted.items():
        row = session.connection().execute(
            select(*(getattr(model, c) for c in columns)).where(model.id == pk)
        ).first()
        found[(model, pk)] = dict(zip(columns, row, strict=True)) if row else {}
    return found


def _after_flush(session, _context):
    old_values = session.info.pop(_OLD_VALUES, {})
    org_codes = {}
    rows = []
    changed = itertools.chain(((o, "create") for o in session.new),
                              ((o, "update") for o in session.dirty),
                              ((o, "delete") for o in session.deleted))
    for obj, kind in changed:
        how = _declared(obj)
        if how is None or kind not in how.actions:
            continue
        state = inspect(obj)
        changes = _changes(state, kind, how, old_values.get((type(obj), _pk(state)), {}))
        if kind == "update" and not changes:
            continue
        action = how.create_action if kind == "create" else kind
        rows.append(audit.event(action, entity=obj.__tablename__, entity_id=_pk(state),
                                organization=_org_code(session, obj, state, org_codes),
                                summary=_label(obj, state), changes=changes))
    if rows:
        session.connection().execute(insert(AuditEvent.__table__), rows)


def _pk(state):
    return state.identity[0] if state.identity else state.dict.get("id")


def _changes(state, kind, how, old_values):
    """{column: [before, after]} of the followed columns that changed (a creation: the
    values set; a deletion: the values the row had). A secret column: "changed"."""
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key == "id" or not how.follows(key):
            continue
        if kind == "update":
            history = state.attrs[key].history
            if not history.added and not history.deleted:
                continue
            before = history.deleted[0] if history.deleted else old_values.get(key)
            after = history.added[0] if history.added else None
        else:
            value = state.dict.get(key)
            if value is None:
                continue
            before, after = (None, value) if kind == "create" else (value, None)
        if before == after:
            continue
        changes[key] = ("changed" if key in how.secret
                        else [audit.plain(before), audit.plain(after)])
    for key in how.collections:
        history = state.attrs[key].history
        if kind == "update" and not history.added and not history.deleted:
            continue
        kept = list(history.unchanged or ())
        before = sorted(str(m) for m in kept + list(history.deleted or ()))
        after = sorted(str(m) for m in kept + list(history.added or ()))
        if kind == "create":
            before = []
        if before != after:
            changes[key] = [before, after]
    return changes


def _org_code(session, obj, state, cache):
    """The code of the organization the row belongs to (None for a role)."""
    from app.models import Connection, Membership, Organization
    if isinstance(obj, Organization):
        return state.dict.get("code")
    if isinstance(obj, Connection):
        org_id = state.dict.get("distributor_id")
    elif hasattr(obj, "__tenant_parent__"):
        foreign_key, parent = obj.__tenant_parent__
        org_id = session.connection().execute(
            select(parent.organization_id).where(parent.id == state.dict.get(foreign_key))
        ).scalar()
    elif hasattr(obj, "organization_id"):
        org_id = state.dict.get("organization_id")
    elif obj.__tablename__ == "ab_user" and _pk(state) is not None:
        org_id = session.connection().execute(
            select(Membership.organization_id).where(Membership.user_id == _pk(state))
        ).scalar()
    else:
        return None
    if org_id is None:
        return None
    if org_id not in cache:
        cache[org_id] = session.connection().execute(
            select(Organization.code).where(Organization.id == org_id)).scalar()
    return cache[org_id]


def _label(obj, state):
    for key in _LABEL_COLUMNS:
        value = state.dict.get(key)
        if value:
            return str(value)
    return f"{obj.__tablename__} #{_pk(state)}"
