"""The base of every tenant-owned CRUD view: scoping and write checks live here once."""
from flask import abort
from flask_appbuilder import ModelView

from app.security.filters import TENANT_BASE_FILTERS, WRITABLE_ORGS
from app.security.tenancy import current_viewer, may_write_org


class TenantModelView(ModelView):
    """List, show, edit and delete only rows the user may see (others: 404).

    Forms offer only organizations the user may write to, and a post naming another
    organization is refused before anything is written.
    """
    base_filters = TENANT_BASE_FILTERS
    # Search filters offer only organizations the user may see: a full list would name
    # every tenant.
    search_form_query_rel_fields = {"organization": TENANT_BASE_FILTERS}
    add_form_query_rel_fields = {"organization": WRITABLE_ORGS}
    edit_form_query_rel_fields = {"organization": WRITABLE_ORGS}
    page_size = 25

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
