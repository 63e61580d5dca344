"""Flask-AppBuilder filters that apply app.security.tenancy to views and form choices."""
from flask_appbuilder.models.filters import BaseFilter

from app.security.tenancy import choice_criterion, current_viewer, scope, writable_criterion


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
