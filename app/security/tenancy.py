"""Tenant scoping in one place (SEC-2), used by views, CLI, API and jobs alike.

A user sees rows of their own organization; principals also see what distributors
connected to them share. Admins see everything.
"""
from flask import g, has_request_context
from sqlalchemy import and_, false, func, inspect, or_, select

from app.extensions import db
from app.models import Connection, Membership, Organization
from app.models.organizations import OrgKind
from app.security.roles import ADMIN, ASSIGNABLE, PRINCIPAL


class Viewer:
    """Who is looking: enough to scope a query, without touching the session each time."""

    def __init__(self, user_id, role_names, organization_id, organization_kind=None):
        self.user_id = user_id
        self.role_names = frozenset(role_names)
        self.organization_id = organization_id
        # Only a principal is shared files (a connection's principal side is one):
        # a distributor's rows are then just its own, which its indexes serve.
        self.organization_kind = organization_kind

    @property
    def is_admin(self):
        return ADMIN in self.role_names

    @classmethod
    def for_user(cls, user):
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(None, (), None)
        org_id, kind = db.session.execute(
            select(Membership.organization_id, Organization.kind)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user.id)
        ).first() or (None, None)
        return cls(user.id, [r.name for r in user.roles], org_id, kind)


def user_named(username):
    """The login called `username`, matched without regard to case as the framework's
    sign-in matches it (AUTH_USERNAME_CI), or None. Commands look users up here: the
    lean app of a command has no security manager."""
    from flask_appbuilder.security.sqla.models import User
    return db.session.scalar(
        select(User).where(func.lower(User.username) == func.lower(username)))


def current_viewer():
    """The viewer of this request, computed once per request."""
    if has_request_context():
        viewer = g.get("_muara_viewer")
        if viewer is None:
            viewer = Viewer.for_user(g.get("user"))
            g._muara_viewer = viewer
        return viewer
    return Viewer(None, (), None)


def visible_criterion(model, viewer):
    """SQL criterion for the rows of `model` that `viewer` may see; None means all."""
    if viewer.is_admin:
        return None
    org_id = viewer.organization_id
    if org_id is None:
        return false()
    if model is Connection:
        return or_(Connection.distributor_id == org_id, Connection.principal_id == org_id)
    parent = getattr(model, "__tenant_parent__", None)
    if parent:
        return _through_parent(model, parent, viewer, visible_criterion)
    if model is Organization:
        return or_(Organization.id == org_id, Organization.id.in_(connected_distributors(org_id)))
    column = getattr(model, model.__tenant_column__)
    if viewer.organization_kind == OrgKind.distributor:
        return column == org_id  # shares its rows, is shared none (Viewer's note)
    principal_column = getattr(model, "__shared_principal_column__", None)
    if principal_column:
        # Files and the records imported from them (consolidated ones too) carry their
        # distributor and principal: the principal sees them while the pair's connection
        # is active (CON-1), whatever became of the file. (A condition on the row's own
        # columns and the small connection table: an index or the list's order serves
        # it, where "id IN (the shared files)" read every shared file on every page.)
        return or_(column == org_id,
                   and_(getattr(model, principal_column) == org_id,
                        column.in_(connected_distributors(org_id))))
    return column == org_id


def choice_criterion(related, model, relation, viewer):
    """Which `related` rows a search filter on `model`'s screen offers for its
    `relation`: those the user may see, and what the rows they see name. A principal
    sees no distributor's master data, yet filters its shared invoices by their
    customer; a distributor's rows name its principals. None means all."""
    if viewer.is_admin:
        return None
    org_id = viewer.organization_id
    if org_id is None:
        return false()
    if related is Organization:
        side = _shared_side(model, relation)
        is_principal = PRINCIPAL in viewer.role_names
        if side == "distributor":  # e.g. the Distributor filter: never the principal itself
            return (Organization.id.in_(connected_distributors(org_id)) if is_principal
                    else Organization.id == org_id)
        if side == "principal":
            return (Organization.id == org_id if is_principal
                    else Organization.id.in_(connected_principals(org_id)))
        return or_(Organization.id == org_id,
                   Organization.id.in_(connected_distributors(org_id)),
                   Organization.id.in_(connected_principals(org_id)))
    own = visible_criterion(related, viewer)
    if PRINCIPAL not in viewer.role_names:
        return own
    (local,) = inspect(model).relationships[relation].local_columns
    if local.table is related.__table__:  # a relation of the table to itself
        return or_(own, related.id.in_(select(local).where(visible_criterion(model, viewer))))
    # EXISTS per candidate (the relation's index), not IN over every row the principal
    # sees: with ten million shared invoices the IN list read them all (issue 14).
    named = select(local).where(local == related.id, visible_criterion(model, viewer))
    return or_(own, named.exists())


def _shared_side(model, relation):
    """Which side of a distributor's row shared with a principal `relation` names:
    "distributor" (the owning organization), "principal", or None (not such a row)."""
    if not hasattr(model, "__shared_principal_column__"):
        return None
    (local,) = inspect(model).relationships[relation].local_columns
    if local.name == getattr(model, "__tenant_column__", None):
        return "distributor"
    return "principal" if local.name == "principal_id" else None


def is_tenant_scoped(model):
    """Whether visible_criterion knows how to scope `model`."""
    return (model in (Connection, Organization) or hasattr(model, "__tenant_column__")
            or hasattr(model, "__tenant_parent__"))


def connected_distributors(principal_id):
    return select(Connection.distributor_id).where(Connection.principal_id == principal_id,
                                                   Connection.active.is_(True))


def connected_principals(distributor_id):
    return select(Connection.principal_id).where(Connection.distributor_id == distributor_id,
                                                 Connection.active.is_(True))


def writable_criterion(model, viewer):
    """Rows `viewer` may create or change: only their own organization's (Admin: all)."""
    if viewer.is_admin:
        return None
    if viewer.organization_id is None:
        return false()
    parent = getattr(model, "__tenant_parent__", None)
    if parent:
        return _through_parent(model, parent, viewer, writable_criterion)
    return getattr(model, model.__tenant_column__) == viewer.organization_id


def _through_parent(model, parent, viewer, criterion):
    """A child row (e.g. a template's field line) is scoped as its parent is."""
    foreign_key, parent_model = parent
    parent_ids = select(parent_model.id).where(criterion(parent_model, viewer))
    return getattr(model, foreign_key).in_(parent_ids)


def scope(query, model, viewer, criterion=visible_criterion):
    clause = criterion(model, viewer)
    return query if clause is None else query.filter(clause)


def may_write_org(viewer, organization_id):
    return viewer.is_admin or (
        viewer.organization_id is not None and viewer.organization_id == organization_id)


def users_criterion(user_model, viewer):
    """The logins `viewer` may see and manage on the Users screen: Admin all; anyone else
    the logins of their own organization that are not platform Admins (an Organization
    Admin never sees, edits or removes a platform Admin, nor another organization's
    users). None means all."""
    if viewer.is_admin:
        return None
    if viewer.organization_id is None:
        return false()
    members = select(Membership.user_id).where(
        Membership.organization_id == viewer.organization_id)
    return and_(user_model.id.in_(members),
                ~user_model.roles.any(name=ADMIN))


def assignable_role_names(viewer):
    """The roles `viewer` may give on the Users screen: Admin every one; an Organization
    Admin those of its organization's kind (never Admin)."""
    if viewer.is_admin:
        return None
    if viewer.organization_id is None:
        return ()
    org = db.session.get(Organization, viewer.organization_id)
    return ASSIGNABLE.get(org.kind.value, ()) if org is not None else ()


def integration_criterion(model, integration):
    """Rows an API key may see (SEC-2, SPEC section 9): a key acts for its integration
    only, so it sees what came in through that integration, not its organization's rest.
    Use as `scope(query, model, integration, criterion=integration_criterion)`."""
    return model.integration_id == integration.id
