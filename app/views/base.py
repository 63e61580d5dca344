"""The base of every tenant-owned CRUD view: scoping and write checks live here once."""
from flask import abort, jsonify, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.fields import QuerySelectField
from sqlalchemy import select
from wtforms import BooleanField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired

from app.errors import MuaraError
from app.extensions import db
from app.models import Organization
from app.security.filters import TENANT_BASE_FILTERS, WRITABLE_ORGS, search_choices
from app.security.tenancy import (
    current_viewer,
    is_tenant_scoped,
    may_write_org,
    scope,
    writable_criterion,
)
from app.views.date_filters import LocalFilterConverter
from app.views.integrity import still_in_use_message, with_unique_keys
from app.views.pages import page_action
from app.views.paging import scale_lists
from app.views.remote_choices import (
    RelatedChoices,
    RemoteChoiceField,
    choices_json,
    remote_choice_fields,
)


class TenantModelView(ModelView):
    """List, show, edit and delete only rows the user may see (others: 404).

    Forms offer only organizations the user may write to, and a post naming another
    organization is refused before anything is written.
    """
    base_filters = TENANT_BASE_FILTERS
    add_form_query_rel_fields = {"organization": WRITABLE_ORGS}
    edit_form_query_rel_fields = {"organization": WRITABLE_ORGS}
    page_size = 25

    def __init__(self, **kwargs):
        self.datamodel.filter_converter_class = LocalFilterConverter
        scale_lists(self)  # no count(*) of millions, no deep OFFSET over whole rows
        super().__init__(**kwargs)

    def _init_forms(self):
        # Every choice list of a related record (search filters, add and edit forms)
        # offers only what the user may see: the framework lists a related table whole,
        # which would name other tenants' customers and organizations. A view's own
        # entries (e.g. every principal, to connect to) stand.
        model = self.datamodel.obj
        self.search_form_query_rel_fields = self._scoped_choices(
            self.search_columns, self.search_form_query_rel_fields,
            lambda column: search_choices(model, column))
        self.add_form_query_rel_fields = self._scoped_choices(
            self.add_columns, self.add_form_query_rel_fields)
        self.edit_form_query_rel_fields = self._scoped_choices(
            self.edit_columns, self.edit_form_query_rel_fields)
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            allow_unchecked_boxes(form)
        no_blank_choice(self.search_form)
        for kind, form in self._choice_forms().items():
            remote_choice_fields(form, self.datamodel, self._choice_filters()[kind],
                                 lambda column, kind=kind: url_for(
                                     f"{self.endpoint}.choices", form_kind=kind, column=column))
        self.add_form = with_unique_keys(self.add_form, model)
        self.edit_form = with_unique_keys(self.edit_form, model)

    def _scoped_choices(self, columns, explicit, filters_for=lambda column: TENANT_BASE_FILTERS):
        scoped = {column: filters_for(column) for column in columns or ()
                  if self.datamodel.is_relation(column)
                  and is_tenant_scoped(self.datamodel.get_related_model(column))}
        return {**scoped, **(explicit or {})}

    def _choice_forms(self):
        return {"search": self.search_form, "add": self.add_form, "edit": self.edit_form}

    def _choice_filters(self):
        return {"search": self.search_form_query_rel_fields,
                "add": self.add_form_query_rel_fields,
                "edit": self.edit_form_query_rel_fields}

    @page_action("/choices/<form_kind>/<column>", "list")
    def choices(self, form_kind, column):
        """A related record's choices matching `q` (select2's search-as-you-type), as
        the `form_kind` form's field `column` offers them (scoped as that field is)."""
        filters = self._choice_filters().get(form_kind)
        form = self._choice_forms().get(form_kind)
        field = getattr(form, column, None) if form is not None else None
        if getattr(field, "field_class", None) is not RemoteChoiceField:
            abort(404)
        choices = RelatedChoices(self.datamodel, column, filters.get(column))
        return jsonify(choices_json(choices, request.args.get("q", ""),
                                    request.args.get("page", 1, type=int)))

    def owning_org_id(self, item):
        return item.organization_id if item.organization is None else item.organization.id

    def _check_write(self, item):
        if not may_write_org(current_viewer(), self.owning_org_id(item)):
            abort(403)

    def pre_add(self, item):
        self._check_write(item)

    def pre_update(self, item):
        self._check_write(item)

    def pre_delete(self, item):
        self._check_write(item)
        in_use = still_in_use_message(item)
        if in_use:
            # The framework records the page to go back to only after a delete succeeds:
            # record it here too, or the refusal lands on the home page.
            self.update_redirect()
            raise MuaraError(in_use)  # shown as the page's error; nothing is deleted


def allow_unchecked_boxes(form):
    """The framework makes every NOT NULL column's field InputRequired, and a browser sends
    nothing for an unchecked box: "no" (e.g. a single-location organization, an inactive
    integration) could not be saved. A checkbox always has an answer, so it needs none."""
    for unbound in _unbound_fields(form, BooleanField):
        unbound.kwargs["validators"] = [
            v for v in unbound.kwargs.get("validators") or ()
            if not isinstance(v, (InputRequired, DataRequired))]


def no_blank_choice(form):
    """A search filter on an optional relation filters by a record: the blank choice the
    framework adds for the relation being optional showed as "__None" (and came first)."""
    for unbound in _unbound_fields(form, QuerySelectField):
        unbound.kwargs["allow_blank"] = False


def _unbound_fields(form, field_class):
    """The fields of a form class (not yet bound to a request) of `field_class`."""
    for name in dir(form):
        unbound = getattr(form, name, None)
        if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, field_class):
            yield unbound


def writable_organizations(kind=None):
    """Organizations the user may act for: their own (Admin: every one, of `kind`)."""
    query = scope(select(Organization), Organization, current_viewer(), writable_criterion)
    if kind is not None:
        query = query.where(Organization.kind == kind)
    return db.session.execute(query.order_by(Organization.code)).scalars().all()


def chosen_org(organizations, required=True):
    """The organization named by the request's `org` (404 when the user may not act for
    it), else the user's own (Admin: the first). None, or 403 when `required`, if there
    is none."""
    wanted = request.values.get("org", type=int)
    if wanted is not None:
        org = next((o for o in organizations if o.id == wanted), None)
        if org is None:
            abort(404)
        return org
    viewer = current_viewer()
    own = next((o for o in organizations if o.id == viewer.organization_id), None)
    org = own or (organizations[0] if viewer.is_admin and organizations else None)
    if org is None and required:
        abort(403)
    return org


def visible_or_404(model, pk):
    """The row of `model` with id `pk` if the signed-in user may see it, else 404 (SEC-2:
    a guessed id never gives the row). `pk` may be text (the framework passes a page's pk
    so): a non-number is a 404."""
    if not str(pk).isdigit():
        abort(404)
    query = scope(select(model).where(model.id == int(pk)), model, current_viewer())
    row = db.session.execute(query).scalar()
    if row is None:
        abort(404)
    return row
