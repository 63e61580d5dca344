"""Flask-AppBuilder filters that apply app.security.tenancy to views and form choices."""
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import false

from app.security.tenancy import (
    assignable_role_names,
    choice_criterion,
    current_viewer,
    scope,
    users_criterion,
    writable_criterion,
)


class VisibleToViewer(BaseFilter):
    """base_filters entry: only rows the signed-in user may see (list, show, edit, delete)."""
    name = "Visible to the signed-in user"

    def apply(self, query, value):
        return scope(query, self.model, current_viewer())


class WritableByViewer(BaseFilter):
    """query_rel_fields entry: only rows (organizations, templates) the signed-in user may
    write to."""
    name = "Writable by the signed-in user"

    def apply(self, query, value):
        return scope(query, self.model, current_viewer(), writable_criterion)


class ChoicesForViewer(BaseFilter):
    """Search filter choices of a related record: what the user may pick to narrow the
    rows they see (tenancy.choice_criterion). Its value: (the screen's model, relation)."""
    name = "Choices for the signed-in user"

    def apply(self, query, value):
        model, relation = value
        clause = choice_criterion(self.model, model, relation, current_viewer())
        if clause is not None:
            query = query.filter(clause)
        # In the order people look them up: by code, else by name.
        order = getattr(self.model, "code", None) or getattr(self.model, "name", None)
        return query if order is None else query.order_by(order)


def search_choices(model, relation):
    return [["id", ChoicesForViewer, (model, relation)]]


TENANT_BASE_FILTERS = [["id", VisibleToViewer, None]]
WRITABLE_ORGS = [["id", WritableByViewer, None]]


class UsersOfViewer(BaseFilter):
    """base_filters of the Users screen: the logins the signed-in user may manage."""
    name = "Users the signed-in user may manage"

    def apply(self, query, value):
        clause = users_criterion(self.model, current_viewer())
        return query if clause is None else query.filter(clause)


class RolesViewerMayGive(BaseFilter):
    """Choices of the Users screen's roles field: never Admin for an Organization Admin."""
    name = "Roles the signed-in user may give"

    def apply(self, query, value):
        names = assignable_role_names(current_viewer())
        return query if names is None else query.filter(self.model.name.in_(names))


USERS_OF_VIEWER = [["id", UsersOfViewer, None]]
ROLES_VIEWER_MAY_GIVE = [["id", RolesViewerMayGive, None]]


class GroupsViewerMayGive(BaseFilter):
    """Choices of the Users screen's groups field: groups carry roles (Admin among them),
    so only the platform Admin gives them."""
    name = "Groups the signed-in user may give"

    def apply(self, query, value):
        return query if current_viewer().is_admin else query.filter(false())


GROUPS_VIEWER_MAY_GIVE = [["id", GroupsViewerMayGive, None]]
